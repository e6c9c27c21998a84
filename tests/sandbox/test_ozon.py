import base64
import json

import pytest

from sandbox import assets
from tests.sandbox.spec_schemas import OZON_SPEC, assert_response

pytestmark = pytest.mark.e2e


def buyer_chat(cabinet, status="OPENED"):
    return next(
        chat
        for chat in cabinet.chats.values()
        if chat.chat_type == "BUYER_SELLER" and chat.status == status and chat.messages
    )


def test_chat_list_pages_with_cursor_and_uses_2026_enums(client):
    cabinet = client.cabinet("ozon")
    seen, cursor = [], None
    while True:
        body = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        response = client.ozon("/v3/chat/list", body)
        page = assert_response(OZON_SPEC, "/v3/chat/list", "POST", response)
        seen.extend(item["chat"]["chat_id"] for item in page["chats"])
        assert len(page["chats"]) <= 4
        if not page["has_next"]:
            break
        cursor = page["cursor"]
    assert sorted(seen) == sorted(cabinet.chats) and len(seen) == len(set(seen))
    assert page["total_unread_count"] == sum(
        1
        for chat in cabinet.chats.values()
        for message in chat.messages
        if message.author != "seller" and not message.is_read
    )
    types = {
        item["chat"]["chat_type"] for item in client.ozon("/v3/chat/list", {"limit": 100}).json()["chats"]
    }
    assert types == {"BUYER_SELLER", "SELLER_SUPPORT"}
    assert "Ratelimit-Remaining" in response.headers


def test_message_ids_are_json_integers_above_2_53(client):
    response = client.ozon("/v3/chat/list", {"limit": 100})
    raw = response.text
    chat = buyer_chat(client.cabinet("ozon"))
    last_id = chat.messages[-1].message_id

    assert f'"last_message_id":{last_id}' in raw
    assert int(last_id) > 2**53
    parsed = json.loads(raw, parse_int=str)
    assert any(item["last_message_id"] == last_id for item in parsed["chats"])


def test_chat_list_filters(client):
    closed = client.ozon("/v3/chat/list", {"limit": 100, "filter": {"chat_status": "CLOSED"}}).json()["chats"]
    legacy = client.ozon("/v3/chat/list", {"limit": 100, "filter": {"chat_status": "Closed"}}).json()["chats"]
    unread = client.ozon("/v3/chat/list", {"limit": 100, "filter": {"unread_only": True}}).json()["chats"]

    assert closed and {item["chat"]["chat_status"] for item in closed} == {"CLOSED"}
    assert legacy == closed
    assert unread and all(item["unread_count"] > 0 for item in unread)


@pytest.mark.parametrize(
    "body", [{"limit": 101}, {"limit": 0}, {"limit": 5, "filter": {"chat_status": "WHATEVER"}}]
)
def test_chat_list_rejects_bad_requests_with_rpc_status(client, body):
    response = client.ozon("/v3/chat/list", body)

    assert response.status_code == 400
    error = assert_response(OZON_SPEC, "/v3/chat/list", "POST", response)
    assert error["code"] == 3 and error["message"]


def test_history_forward_backward_and_filter(client):
    chat = max(client.cabinet("ozon").chats.values(), key=lambda item: len(item.messages))
    ids = [int(message.message_id) for message in chat.messages]
    assert len(ids) >= 3

    backward = client.ozon("/v3/chat/history", {"chat_id": chat.chat_id, "limit": 2})
    forward = client.ozon(
        "/v3/chat/history",
        {"chat_id": chat.chat_id, "direction": "Forward", "from_message_id": ids[0], "limit": 1000},
    )
    filtered = client.ozon(
        "/v3/chat/history", {"chat_id": chat.chat_id, "filter": {"message_ids": [str(ids[1])]}}
    )

    newest = assert_response(OZON_SPEC, "/v3/chat/history", "POST", backward)
    assert [item["message_id"] for item in newest["messages"]] == ids[::-1][:2]
    assert newest["has_next"] is True
    after_first = assert_response(OZON_SPEC, "/v3/chat/history", "POST", forward)
    assert [item["message_id"] for item in after_first["messages"]] == ids[1:]
    assert after_first["has_next"] is False
    assert [item["message_id"] for item in filtered.json()["messages"]] == [ids[1]]
    buyer = next(
        item for item in after_first["messages"] + newest["messages"] if item["user"]["type"] == "Customer"
    )
    assert buyer["context"] == {"order_number": chat.order_number, "sku": str(chat.product.sku)}


@pytest.mark.parametrize(
    "body",
    [
        {"direction": "Forward"},
        {"limit": 1001},
        {"direction": "Sideways"},
    ],
)
def test_history_validation(client, body):
    chat = buyer_chat(client.cabinet("ozon"))
    response = client.ozon("/v3/chat/history", {"chat_id": chat.chat_id, **body})

    assert response.status_code == 400
    assert assert_response(OZON_SPEC, "/v3/chat/history", "POST", response)["code"] == 3


def test_unknown_chat_is_404(client):
    response = client.ozon("/v3/chat/history", {"chat_id": "00000000-0000-4000-a000-000000000000"})
    assert response.status_code == 404
    assert assert_response(OZON_SPEC, "/v3/chat/history", "POST", response)["code"] == 5


def test_images_arrive_as_markdown(client):
    cabinet = client.cabinet("ozon")
    chat = buyer_chat(cabinet)
    client.control(
        "POST",
        "/buyer-message",
        {"marketplace": "ozon", "chat_id": chat.chat_id, "text": "Вот фото", "attachment": "image"},
    )

    latest = client.ozon("/v3/chat/history", {"chat_id": chat.chat_id, "limit": 1}).json()["messages"][0]

    assert latest["is_image"] is True and latest["moderate_image_status"] == "SUCCESS"
    assert latest["data"][0] == "Вот фото"
    assert latest["data"][1].startswith("![") and "](http://127.0.0.1" in latest["data"][1]
    url = latest["data"][1].split("](", 1)[1].rstrip(")")
    assert client.http.get(url, timeout=5).content.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))


def test_send_message_echoes_in_history_and_list(client):
    cabinet = client.cabinet("ozon")
    chat = buyer_chat(cabinet)

    response = client.ozon(
        "/v1/chat/send/message", {"chat_id": chat.chat_id, "text": "Добрый день! Уже отправили."}
    )

    assert assert_response(OZON_SPEC, "/v1/chat/send/message", "POST", response) == {"result": "success"}
    latest = client.ozon("/v3/chat/history", {"chat_id": chat.chat_id, "limit": 1}).json()["messages"][0]
    assert latest["user"] == {"id": cabinet.external_id, "type": "Seller"}
    assert latest["data"] == ["Добрый день! Уже отправили."]
    listed = next(
        item
        for item in client.ozon("/v3/chat/list", {"limit": 100}).json()["chats"]
        if item["chat"]["chat_id"] == chat.chat_id
    )
    assert listed["last_message_id"] == latest["message_id"]
    assert [reply["text"] for reply in cabinet.replies] == ["Добрый день! Уже отправили."]


@pytest.mark.parametrize(("text", "status"), [("", 400), ("ы" * 1001, 400), (None, 400)])
def test_send_message_validates_text(client, text, status):
    chat = buyer_chat(client.cabinet("ozon"))
    body = {"chat_id": chat.chat_id} if text is None else {"chat_id": chat.chat_id, "text": text}

    response = client.ozon("/v1/chat/send/message", body)

    assert response.status_code == status
    assert_response(OZON_SPEC, "/v1/chat/send/message", "POST", response)
    assert client.cabinet("ozon").replies == []


def test_send_to_support_or_closed_chat_is_refused(client):
    cabinet = client.cabinet("ozon")
    support = next(chat for chat in cabinet.chats.values() if chat.chat_type == "SELLER_SUPPORT")
    closed = buyer_chat(cabinet, status="CLOSED")

    to_support = client.ozon("/v1/chat/send/message", {"chat_id": support.chat_id, "text": "Привет"})
    to_closed = client.ozon("/v1/chat/send/message", {"chat_id": closed.chat_id, "text": "Привет"})

    assert to_support.status_code == 400 and to_closed.status_code == 409
    assert_response(OZON_SPEC, "/v1/chat/send/message", "POST", to_closed)
    assert cabinet.replies == []


def test_send_file_takes_base64_json(client):
    cabinet = client.cabinet("ozon")
    chat = buyer_chat(cabinet)
    content = base64.b64encode(assets.png_bytes()).decode()

    sent = client.ozon(
        "/v1/chat/send/file", {"chat_id": chat.chat_id, "name": "схема.png", "base64_content": content}
    )
    broken = client.ozon(
        "/v1/chat/send/file", {"chat_id": chat.chat_id, "name": "x.png", "base64_content": "%%%"}
    )

    assert assert_response(OZON_SPEC, "/v1/chat/send/file", "POST", sent) == {"result": "success"}
    assert broken.status_code == 400
    latest = client.ozon("/v3/chat/history", {"chat_id": chat.chat_id, "limit": 1}).json()["messages"][0]
    assert latest["is_image"] is True and latest["user"]["type"] == "Seller"
    assert cabinet.replies[0]["attachments"][0]["name"] == "схема.png"


def test_read_marks_messages_up_to_the_id(client):
    cabinet = client.cabinet("ozon")
    chat = buyer_chat(cabinet)
    client.control(
        "POST", "/buyer-message", {"marketplace": "ozon", "chat_id": chat.chat_id, "text": "Первое"}
    )
    client.control(
        "POST", "/buyer-message", {"marketplace": "ozon", "chat_id": chat.chat_id, "text": "Второе"}
    )
    first_new = chat.messages[-2]

    partial = client.ozon(
        "/v2/chat/read", {"chat_id": chat.chat_id, "from_message_id": int(first_new.message_id)}
    )
    full = client.ozon("/v2/chat/read", {"chat_id": chat.chat_id})

    assert assert_response(OZON_SPEC, "/v2/chat/read", "POST", partial) == {"unread_count": 1}
    assert full.json() == {"unread_count": 0}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Api-Key": "wrong"}, "Invalid Api-Key, please check the key and try again"),
        ({"Client-Id": ""}, "Client-Id and Api-Key headers are required"),
    ],
)
def test_bad_credentials_get_rpc_status_403(client, headers, message):
    response = client.ozon("/v3/chat/list", {"limit": 1}, headers=headers)

    assert response.status_code == 403
    assert assert_response(OZON_SPEC, "/v3/chat/list", "POST", response) == {
        "code": 7,
        "message": message,
        "details": [],
    }


def test_cabinet_without_premium_cannot_send_or_read(client):
    cabinet = next(item for item in client.sandbox.world.cabinets_of("ozon") if not item.premium)

    listed = client.ozon("/v3/chat/list", {"limit": 1}, cabinet=cabinet)
    sent = client.ozon("/v1/chat/send/message", {"chat_id": "x", "text": "Привет"}, cabinet=cabinet)
    read = client.ozon("/v2/chat/read", {"chat_id": "x"}, cabinet=cabinet)

    assert listed.status_code == 200
    for response in (sent, read):
        assert response.status_code == 403
        assert "Premium Plus" in response.json()["message"]


def test_rate_limit_429_with_retry_after(client):
    client.control("POST", "/limits", {"ozon_per_second": 3})
    responses = [client.ozon("/v3/chat/list", {"limit": 1}) for _ in range(4)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    limited = responses[-1]
    assert limited.json() == {
        "code": 8,
        "message": "You have reached request rate limit per second",
        "details": [],
    }
    assert limited.headers["Retry-After"] == "1"
    assert responses[0].headers["Ratelimit-Remaining"] == "2"
