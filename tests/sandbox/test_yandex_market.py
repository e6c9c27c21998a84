import threading
from email.utils import parsedate_to_datetime

import pytest

from sandbox import assets
from tests.sandbox.spec_schemas import YANDEX_MARKET_SPEC, assert_response

pytestmark = pytest.mark.e2e

BASE = "/v2/businesses/{businessId}"


def test_chats_page_with_token_and_match_the_schema(client):
    cabinet = client.cabinet("yandex_market")
    seen, token = [], None
    while True:
        params = {"limit": 5, **({"page_token": token} if token else {})}
        response = client.yandex_market("POST", "/chats", params=params, json={})
        page = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats", "POST", response)
        assert page["status"] == "OK"
        seen.extend(str(chat["chatId"]) for chat in page["result"]["chats"])
        token = page["result"]["paging"].get("nextPageToken")
        if not token:
            break
    assert sorted(seen) == sorted(cabinet.chats) and len(seen) == len(set(seen))
    for name in ("Limit", "Remaining", "Until"):
        assert f"X-RateLimit-Resource-{name}" in response.headers
    assert response.headers["X-RateLimit-Resource-Limit"] == "5000"
    assert parsedate_to_datetime(response.headers["X-RateLimit-Resource-Until"]).minute == 0


def test_chats_filters(client):
    cabinet = client.cabinet("yandex_market")
    waiting = client.yandex_market(
        "POST", "/chats", params={"limit": 20}, json={"statuses": ["WAITING_FOR_PARTNER"]}
    )
    returns = client.yandex_market("POST", "/chats", params={"limit": 20}, json={"contextTypes": ["RETURN"]})

    got = {str(chat["chatId"]) for chat in waiting.json()["result"]["chats"]}
    assert got == {chat.chat_id for chat in cabinet.chats.values() if chat.status == "WAITING_FOR_PARTNER"}
    assert got
    return_chats = returns.json()["result"]["chats"]
    assert return_chats and all(chat["context"]["returnId"] >= 1 for chat in return_chats)


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"limit": 21}, {}),
        ({"limit": 0}, {}),
        ({}, {"statuses": []}),
        ({}, {"statuses": ["OPEN"]}),
        ({"page_token": "%%%"}, {}),
    ],
)
def test_chats_reject_bad_requests(client, params, body):
    response = client.yandex_market("POST", "/chats", params=params, json=body)

    assert response.status_code == 400
    error = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats", "POST", response)
    assert error["status"] == "ERROR" and error["errors"][0]["code"] == "BAD_REQUEST"


def test_get_chat_and_message(client):
    cabinet = client.cabinet("yandex_market")
    chat = next(chat for chat in cabinet.chats.values() if chat.messages)
    message = chat.messages[0]

    one = client.yandex_market("GET", "/chat", params={"chatId": chat.chat_id})
    single = client.yandex_market(
        "GET", "/chats/message", params={"chatId": chat.chat_id, "messageId": message.message_id}
    )
    missing = client.yandex_market("GET", "/chat", params={"chatId": 1})

    info = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chat", "GET", one)["result"]
    assert info["chatId"] == int(chat.chat_id) and info["status"] == chat.status
    assert info["context"]["customer"]["name"] == chat.buyer_name
    got = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats/message", "GET", single)["result"]
    assert got["messageId"] == int(message.message_id) and got["sender"] == "CUSTOMER"
    assert missing.status_code == 404
    assert (
        assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chat", "GET", missing)["errors"][0]["code"]
        == "NOT_FOUND"
    )


def test_history_is_ascending_after_message_id_from_with_paging(client):
    chat = max(client.cabinet("yandex_market").chats.values(), key=lambda item: len(item.messages))
    ids = [int(message.message_id) for message in chat.messages]
    assert len(ids) >= 3

    collected, token = [], None
    while True:
        params = {"chatId": chat.chat_id, "limit": 2, **({"page_token": token} if token else {})}
        response = client.yandex_market(
            "POST", "/chats/history", params=params, json={"messageIdFrom": ids[0]}
        )
        result = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats/history", "POST", response)["result"]
        collected.extend(message["messageId"] for message in result["messages"])
        token = result["paging"].get("nextPageToken")
        if not token:
            break
    assert collected == ids[1:]
    assert result["context"]["type"] == chat.context_type


def test_send_message_switches_status_and_echoes(client):
    cabinet = client.cabinet("yandex_market")
    chat = next(chat for chat in cabinet.chats.values() if chat.status == "WAITING_FOR_PARTNER")

    response = client.yandex_market(
        "POST",
        "/chats/message",
        params={"chatId": chat.chat_id},
        json={"message": "Здравствуйте! Заказ уже в пути."},
    )

    assert assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats/message", "POST", response) == {"status": "OK"}
    assert chat.status == "WAITING_FOR_CUSTOMER"
    last = chat.messages[-1]
    history = client.yandex_market(
        "POST",
        "/chats/history",
        params={"chatId": chat.chat_id},
        json={"messageIdFrom": int(chat.messages[-2].message_id)},
    ).json()["result"]
    assert history["messages"] == [
        {
            "messageId": int(last.message_id),
            "createdAt": history["messages"][0]["createdAt"],
            "sender": "PARTNER",
            "message": "Здравствуйте! Заказ уже в пути.",
        }
    ]
    client.control("POST", "/buyer-message", {"marketplace": "yandex_market", "chat_id": chat.chat_id})
    assert chat.status == "WAITING_FOR_PARTNER"


@pytest.mark.parametrize("body", [{"message": ""}, {"message": "я" * 4097}, {}])
def test_send_message_validates_length(client, body):
    chat = next(iter(client.cabinet("yandex_market").chats.values()))
    response = client.yandex_market("POST", "/chats/message", params={"chatId": chat.chat_id}, json=body)

    assert response.status_code == 400
    assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats/message", "POST", response)
    assert client.cabinet("yandex_market").replies == []


def test_send_file_multipart(client):
    chat = next(chat for chat in client.cabinet("yandex_market").chats.values() if chat.status != "FINISHED")

    sent = client.yandex_market(
        "POST",
        "/chats/file/send",
        params={"chatId": chat.chat_id},
        files={"file": ("накладная.pdf", assets.pdf_bytes(), "application/pdf")},
    )
    too_big = client.yandex_market(
        "POST",
        "/chats/file/send",
        params={"chatId": chat.chat_id},
        files={"file": ("big.pdf", b"0" * (5 * 1024 * 1024 + 1), "application/pdf")},
    )

    assert assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats/file/send", "POST", sent) == {"status": "OK"}
    assert too_big.status_code == 400
    payload = client.yandex_market(
        "GET", "/chats/message", params={"chatId": chat.chat_id, "messageId": chat.messages[-1].message_id}
    ).json()["result"]["payload"]
    assert payload[0]["name"] == "накладная.pdf" and payload[0]["size"] == len(assets.pdf_bytes())
    assert client.http.get(payload[0]["url"], timeout=5).content == assets.pdf_bytes()


def test_create_chat_returns_existing_or_new(client):
    cabinet = client.cabinet("yandex_market")
    existing = next(chat for chat in cabinet.chats.values() if chat.context_type == "ORDER")

    same = client.yandex_market(
        "POST", "/chats/new", json={"context": {"type": "ORDER", "id": int(existing.order_number)}}
    )
    fresh = client.yandex_market("POST", "/chats/new", json={"context": {"type": "ORDER", "id": 777}})

    assert assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats/new", "POST", same)["result"]["chatId"] == int(
        existing.chat_id
    )
    new_id = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats/new", "POST", fresh)["result"]["chatId"]
    assert cabinet.chats[str(new_id)].status == "NEW"


@pytest.mark.parametrize(
    ("api_key", "message"),
    [
        ("", "Credentials are not specified"),
        ("wrong", "Api-Key token is invalid"),
        (None, "Api-Key token prefix invalid"),
    ],
)
def test_auth_errors(client, api_key, message):
    if api_key is None:
        api_key = "Bearer " + client.cabinet("yandex_market").credentials["api_key"]
    response = client.yandex_market("POST", "/chats", json={}, api_key=api_key)

    assert response.status_code == 401
    body = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats", "POST", response)
    assert body["errors"] == [{"code": "UNAUTHORIZED", "message": message}]
    assert "X-RateLimit-Resource-Limit" in response.headers


def test_foreign_business_is_forbidden(client):
    other = client.cabinet("yandex_market", 1)
    response = client.yandex_market("POST", "/chats", json={}, business_id=other.external_id)

    assert response.status_code == 403
    assert (
        assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chats", "POST", response)["errors"][0]["code"]
        == "FORBIDDEN"
    )


def test_hourly_quota_gives_420(client):
    client.control("POST", "/limits", {"yandex_market_hourly": {"getChat": 2}})
    chat_id = next(iter(client.cabinet("yandex_market").chats))
    responses = [client.yandex_market("GET", "/chat", params={"chatId": chat_id}) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 420]
    assert [response.headers["X-RateLimit-Resource-Remaining"] for response in responses] == ["1", "0", "0"]
    body = assert_response(YANDEX_MARKET_SPEC, f"{BASE}/chat", "GET", responses[-1])
    assert body["errors"][0]["code"] == "LIMIT_EXCEEDED" and "getChat" in body["errors"][0]["message"]


def test_more_than_four_parallel_requests_get_420(client):
    client.control("POST", "/faults", {"yandex_market": {"latency_ms": 400}})
    statuses = []

    def call():
        statuses.append(client.yandex_market("POST", "/chats", json={}).status_code)

    threads = [threading.Thread(target=call) for _ in range(6)]
    # One session is not thread-safe for parallel use; give each thread its own connection.
    client.http.close()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 200, 200, 200, 420, 420]
