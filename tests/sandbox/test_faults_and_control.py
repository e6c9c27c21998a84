import json
import time

import pytest
import requests

from sandbox import SandboxServer, WorldOptions
from tests.sandbox.spec_schemas import OZON_SPEC, WILDBERRIES_SPEC, YANDEX_MARKET_SPEC, assert_response

pytestmark = pytest.mark.e2e


def test_server_errors_use_each_marketplace_error_shape(client):
    client.control("POST", "/faults", {"marketplace": "all", "error_share": 1})

    ozon = client.ozon("/v3/chat/list", {"limit": 1})
    market = client.yandex_market("POST", "/chats", json={})
    wildberries = client.wildberries("GET", "/api/v1/seller/chats")

    assert ozon.status_code == market.status_code == wildberries.status_code == 500
    assert assert_response(OZON_SPEC, "/v3/chat/list", "POST", ozon) == {
        "code": 13,
        "message": "Internal error",
        "details": [],
    }
    assert_response(YANDEX_MARKET_SPEC, "/v2/businesses/{businessId}/chats", "POST", market)
    assert wildberries.json()["status"] == 500


def test_rate_limit_storm_answers_like_the_marketplace(client):
    client.control("POST", "/faults", {"marketplace": "all", "rate_limit_share": 1})

    wildberries = client.wildberries("GET", "/api/v1/seller/chats")
    ozon = client.ozon("/v3/chat/list", {"limit": 1})
    market = client.yandex_market("POST", "/chats", json={})

    assert wildberries.status_code == 429 and wildberries.headers["X-Ratelimit-Retry"] == "2"
    assert_response(WILDBERRIES_SPEC, "/api/v1/seller/chats", "GET", wildberries, "application/problem+json")
    assert ozon.status_code == 429 and ozon.headers["Retry-After"] == "1" and ozon.json()["code"] == 8
    assert market.status_code == 420


def test_truncated_json_keeps_a_consistent_content_length(client):
    client.control("POST", "/faults", {"ozon": {"truncate_share": 1}})

    response = client.ozon("/v3/chat/list", {"limit": 5})

    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_timeout_after_processing_delivers_the_reply_but_loses_the_answer(client):
    client.control("POST", "/faults", {"yandex_market": {"timeout_share": 1, "timeout_seconds": 1.5}})
    chat = next(chat for chat in client.cabinet("yandex_market").chats.values() if chat.status != "FINISHED")

    with pytest.raises(requests.exceptions.ReadTimeout):
        client.http.post(
            f"{client.sandbox.urls['YANDEX_MARKET_API_URL']}/v2/businesses/{client.cabinet('yandex_market').external_id}"
            f"/chats/message",
            params={"chatId": chat.chat_id},
            json={"message": "Ответ, который потеряется"},
            headers={"Api-Key": client.cabinet("yandex_market").credentials["api_key"]},
            timeout=0.3,
        )

    replies = client.control("GET", "/replies?marketplace=yandex_market")["replies"]
    assert [reply["text"] for reply in replies] == ["Ответ, который потеряется"]


def test_timeout_before_processing_changes_nothing(client):
    client.control(
        "POST", "/faults", {"ozon": {"timeout_share": 1, "timeout_seconds": 1, "timeout_phase": "before"}}
    )
    cabinet = client.cabinet("ozon")
    chat = next(
        chat
        for chat in cabinet.chats.values()
        if chat.chat_type == "BUYER_SELLER" and chat.status == "OPENED"
    )

    with pytest.raises(requests.exceptions.ReadTimeout):
        client.http.post(
            client.sandbox.urls["OZON_API_URL"] + "/v1/chat/send/message",
            json={"chat_id": chat.chat_id, "text": "Не дойдёт"},
            headers={"Client-Id": cabinet.external_id, "Api-Key": cabinet.credentials["api_key"]},
            timeout=0.3,
        )
    assert cabinet.replies == []


def test_latency_is_added(client):
    client.control("POST", "/faults", {"wildberries": {"latency_ms": 300}})
    started = time.monotonic()
    assert client.wildberries("GET", "/api/v1/seller/chats").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_duplicated_events_repeat_an_event_id(client):
    client.control("POST", "/faults", {"wildberries": {"duplicate_share": 1}})

    events = client.wildberries("GET", "/api/v1/seller/events").json()["result"]["events"]

    ids = [event["eventID"] for event in events]
    assert len(ids) == len(set(ids)) + 1


def test_faults_are_deterministic_for_a_seed():
    def statuses(seed: int) -> list[int]:
        with SandboxServer(options=WorldOptions(seed=seed, chats=2)) as sandbox:
            sandbox.faults.configure("ozon", {"error_share": 0.5})
            sandbox.context.limits.ozon_per_second = 1000
            cabinet = sandbox.world.cabinets_of("ozon")[0]
            headers = {"Client-Id": cabinet.external_id, "Api-Key": cabinet.credentials["api_key"]}
            with requests.Session() as http:
                return [
                    http.post(
                        sandbox.urls["OZON_API_URL"] + "/v3/chat/list",
                        json={"limit": 1},
                        headers=headers,
                        timeout=5,
                    ).status_code
                    for _ in range(16)
                ]

    first = statuses(5)
    assert first == statuses(5)
    assert set(first) == {200, 500}
    assert first != statuses(6)


def test_fault_settings_are_validated(client):
    response = client.http.post(
        client.sandbox.control_url + "/faults", json={"ozon": {"error_share": 2}}, timeout=5
    )
    unknown = client.http.post(
        client.sandbox.control_url + "/faults", json={"ozon": {"explode": 1}}, timeout=5
    )
    assert response.status_code == unknown.status_code == 400
    client.control("POST", "/faults", {"ozon": {"error_share": 0.25}})
    assert client.control("GET", "/faults")["ozon"]["error_share"] == 0.25
    assert client.control("DELETE", "/faults")["ozon"]["error_share"] == 0


def test_buyer_message_on_demand_and_state_readback(client):
    created = client.control(
        "POST", "/buyer-message", {"marketplace": "wildberries", "text": "Новый вопрос по заказу"}
    )
    follow = client.control(
        "POST",
        "/buyer-message",
        {"marketplace": "wildberries", "chat_id": created["chat"]["external_id"], "attachment": "file"},
    )

    state = client.control("GET", "/state?marketplace=wildberries")["cabinets"][0]
    chat = next(chat for chat in state["chats"] if chat["external_id"] == created["chat"]["external_id"])
    assert [message["external_id"] for message in chat["messages"]] == [
        created["message"]["external_id"],
        follow["message"]["external_id"],
    ]
    assert chat["messages"][1]["attachments"][0]["content_type"] == "application/pdf"
    events = client.wildberries(
        "GET", "/api/v1/seller/events", params={"next": created["message"]["created_ms"] - 1}
    )
    feed = events.json()["result"]["events"]
    assert [event["eventID"] for event in feed] == [
        chat["messages"][0]["external_id"],
        chat["messages"][1]["external_id"],
    ]
    assert feed[0]["isNewChat"] is True and feed[0]["message"]["text"] == "Новый вопрос по заказу"


def test_cabinets_listing_includes_credentials_and_capabilities(client):
    cabinets = client.control("GET", "/cabinets")["cabinets"]
    assert [item["marketplace"] for item in cabinets].count("ozon") == 3
    assert any(item["marketplace"] == "ozon" and not item["premium"] for item in cabinets)
    assert any(item["marketplace"] == "wildberries" and item["token_type"] == 1 for item in cabinets)


def test_simulated_buyers_write(client):
    before = sum(
        len(chat.messages) for cabinet in client.sandbox.world.cabinets for chat in cabinet.chats.values()
    )
    before += sum(len(cabinet.questions) for cabinet in client.sandbox.world.cabinets)
    client.control("POST", "/buyers", {"interval_seconds": 0.05})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        after = sum(
            len(chat.messages) for cabinet in client.sandbox.world.cabinets for chat in cabinet.chats.values()
        )
        after += sum(len(cabinet.questions) for cabinet in client.sandbox.world.cabinets)
        if after >= before + 3:
            break
        time.sleep(0.05)
    assert client.control("POST", "/buyers", {"interval_seconds": 0})["running"] is False
    assert after >= before + 3


def test_unknown_prefix_and_path(client):
    assert client.http.get(client.sandbox.base_url + "/nowhere", timeout=5).status_code == 404
    response = client.ozon("/v9/chat/nothing", {})
    assert response.status_code == 404 and response.json()["code"] == 5


def test_request_counts_record_marketplace_calls_only(client):
    client.wildberries("GET", "/api/v1/seller/chats")
    client.ozon("/v3/chat/list", {"limit": 1})
    client.control("GET", "/health")

    with client.sandbox.request_counts_lock:
        counts = dict(client.sandbox.request_counts)
    assert counts == {"GET /wildberries-chat/api/v1/seller/chats": 1, "POST /ozon/v3/chat/list": 1}


def test_in_flight_lists_a_request_being_answered_with_its_client_port(client):
    import http.client
    import threading

    client.control("POST", "/faults", {"ozon": {"latency_ms": 1500}})
    cabinet = client.cabinet("ozon")
    connection = http.client.HTTPConnection(client.sandbox.host, client.sandbox.port, timeout=10)
    connection.connect()
    client_port = connection.sock.getsockname()[1]
    headers = {
        "Client-Id": cabinet.credentials["client_id"],
        "Api-Key": cabinet.credentials["api_key"],
        "Content-Type": "application/json",
    }
    statuses = []

    def call() -> None:
        connection.request("POST", "/ozon/v3/chat/list", body=b'{"limit": 1}', headers=headers)
        statuses.append(connection.getresponse().status)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.5)
    during = client.control("GET", "/in-flight")["requests"]
    thread.join()
    after = client.control("GET", "/in-flight")["requests"]
    connection.close()

    assert statuses == [200]
    assert [(item["method"], item["path"], item["client_port"]) for item in during] == [
        ("POST", "/ozon/v3/chat/list", client_port)
    ]
    assert after == []
