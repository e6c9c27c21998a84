"""A file sent through each marketplace API comes back in the chat history, as the official schema says."""

import base64

from sandbox import assets
from tests.sandbox.spec_schemas import (
    OZON_SPEC,
    WILDBERRIES_SPEC,
    YANDEX_MARKET_SPEC,
    assert_response,
)
from tests.sandbox.test_ozon import buyer_chat


def test_wildberries_file_and_text_echo_as_one_seller_event(client):
    cabinet = client.cabinet("wildberries")
    chat = next(iter(cabinet.chats.values()))
    newest = cabinet.last_time_ms

    sent = client.wildberries(
        "POST",
        "/api/v1/seller/message",
        files=[
            ("replySign", (None, chat.reply_sign)),
            ("message", (None, "Чек во вложении")),
            ("file", ("Чек.pdf", assets.pdf_bytes(), "application/pdf")),
        ],
    )
    assert sent.status_code == 200
    response = client.wildberries("GET", "/api/v1/seller/events", params={"next": newest})
    events = assert_response(WILDBERRIES_SPEC, "/api/v1/seller/events", "GET", response)["result"]["events"]

    echo = [event for event in events if event["chatID"] == chat.chat_id and event["sender"] == "seller"]
    assert len(echo) == 1
    assert echo[0]["source"] == "seller-public-api"
    assert echo[0]["message"]["text"] == "Чек во вложении"
    files = echo[0]["message"]["attachments"]["files"]
    assert [(item["name"], item["contentType"], item["size"]) for item in files] == [
        ("Чек.pdf", "application/pdf", len(assets.pdf_bytes()))
    ]


def test_ozon_file_echoes_as_a_seller_message_with_a_markdown_link(client):
    cabinet = client.cabinet("ozon")
    chat = buyer_chat(cabinet)
    content = base64.b64encode(assets.pdf_bytes()).decode()

    client.ozon("/v1/chat/send/file", {"chat_id": chat.chat_id, "name": "Акт.pdf", "base64_content": content})
    response = client.ozon("/v3/chat/history", {"chat_id": chat.chat_id, "limit": 1})
    latest = assert_response(OZON_SPEC, "/v3/chat/history", "POST", response)["messages"][0]

    assert latest["user"]["type"] == "Seller"
    assert latest["is_image"] is False
    assert len(latest["data"]) == 1 and latest["data"][0].startswith("[Акт.pdf](")


def test_yandex_market_file_echoes_in_history_payload(client):
    cabinet = client.cabinet("yandex_market")
    chat = next(chat for chat in cabinet.chats.values() if chat.status != "FINISHED")
    last_id = int(chat.messages[-1].message_id)

    client.yandex_market(
        "POST",
        "/chats/file/send",
        params={"chatId": chat.chat_id},
        files={"file": ("Фото.png", assets.png_bytes(), "image/png")},
    )
    response = client.yandex_market(
        "POST", "/chats/history", params={"chatId": chat.chat_id}, json={"messageIdFrom": last_id}
    )
    messages = assert_response(
        YANDEX_MARKET_SPEC, "/v2/businesses/{businessId}/chats/history", "POST", response
    )["result"]["messages"]

    echo = [message for message in messages if message["sender"] == "PARTNER"]
    assert len(echo) == 1 and "message" not in echo[0]
    assert [(item["name"], item["size"]) for item in echo[0]["payload"]] == [
        ("Фото.png", len(assets.png_bytes()))
    ]
