import base64
import json
import logging
from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from marketplaces import errors
from marketplaces.ozon import OzonConnector, parse_markdown
from marketplaces.types import AttachmentKind, Author, ChatPosition, ChatRef, ModerationState
from tests.marketplaces.conftest import OZON_API_KEY, OZON_CLIENT_ID, OZON_URL, FakeClock, fixture_text

LIST = f"{OZON_URL}/v3/chat/list"
HISTORY = f"{OZON_URL}/v3/chat/history"
BUYER_CHAT = "99feb3fc-a474-469f-95d5-268b470cc607"
OLD_BUYER_CHAT = "18b8e1f9-4ae7-461c-84ea-8e1f54d1a45e"
NEW_CHAT = "b646d975-0c9c-4872-9f41-8b1e57181063"


def text(name: str) -> str:
    return fixture_text("ozon", name)


def connector(clock: FakeClock, limiter=None) -> OzonConnector:
    return OzonConnector(
        client_id=OZON_CLIENT_ID,
        api_key=OZON_API_KEY,
        account_key="ozon:1",
        api_url=OZON_URL,
        limiter=limiter,
        clock=clock,
        sleep=clock.sleep,
    )


def body_of(call) -> dict:
    return json.loads(call.request.body)


def test_history_request_keeps_64_bit_ids_exact(clock) -> None:
    with responses.RequestsMock() as mocked:
        mocked.post(LIST, body=text("chat_list_page_1.json"))
        mocked.post(HISTORY, body=text("chat_history_forward.json"))
        positions = {
            BUYER_CHAT: ChatPosition(last_message_external_id="3000000000817031930"),
            OLD_BUYER_CHAT: ChatPosition(last_message_external_id="3000000300211559667"),
        }
        page = connector(clock).fetch_updates(cursor={}, positions=lambda ids: positions)
        raw = mocked.calls[1].request.body
        assert b'"from_message_id": 3000000000817031930' in raw
    assert page.requests_made == 2


@responses.activate
def test_incremental_pass_lists_pages_and_fetches_only_moved_buyer_chats(clock) -> None:
    responses.post(
        LIST,
        body=text("chat_list_page_1.json"),
        match=[matchers.json_params_matcher({"filter": {"chat_status": "ALL"}, "limit": 100})],
    )
    responses.post(
        HISTORY,
        body=text("chat_history_forward.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "chat_id": BUYER_CHAT,
                    "direction": "Forward",
                    "from_message_id": 3000000000817031930,
                    "limit": 100,
                }
            )
        ],
    )
    asked: list[list[str]] = []
    positions = {
        BUYER_CHAT: ChatPosition(last_message_external_id="3000000000817031930"),
        OLD_BUYER_CHAT: ChatPosition(last_message_external_id="3000000300211559667"),
    }

    def lookup(chat_ids):
        asked.append(chat_ids)
        return positions

    page = connector(clock).fetch_updates(cursor={}, positions=lookup)

    headers = responses.calls[0].request.headers
    assert headers["Client-Id"] == OZON_CLIENT_ID
    assert headers["Api-Key"] == OZON_API_KEY
    assert "Authorization" not in headers
    assert asked == [[BUYER_CHAT, OLD_BUYER_CHAT]]  # the support chat is not a buyer chat
    assert page.requests_made == 2
    assert page.has_more is True
    assert page.cursor["list_cursor"] == "30000002342123123"
    assert [m.external_id for m in page.messages] == [
        "3000000000817031942",
        "3000000000817031946",
        "3000000000817031950",
    ]
    question, photo, reply = page.messages
    assert question.author == Author.BUYER  # "Сustomer" with a Cyrillic С
    assert question.created_at == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    assert question.text.endswith(
        "Подойдет ли он на данную модель "
        "(https://www.ozon.ru/product/smartfon-samsung-galaxy-a03s-4-64-gb-chernyy) телефона?"
    )
    assert [(a.kind, a.url) for a in question.attachments] == [
        (AttachmentKind.LINK, "https://www.ozon.ru/product/smartfon-samsung-galaxy-a03s-4-64-gb-chernyy")
    ]
    assert photo.text == ""
    assert [(a.kind, a.name, a.moderation) for a in photo.attachments] == [
        (AttachmentKind.IMAGE, "photo.jpg", ModerationState.PENDING)
    ]
    assert photo.is_read is False
    assert reply.author == Author.SELLER
    (chat,) = page.chats
    assert chat.external_id == BUYER_CHAT
    assert chat.order_number == "47873153-0052-1"
    assert chat.product is not None and chat.product.sku == "987654321"
    assert chat.last_message_external_id == "3000000000817031950"
    assert chat.unread_count == 2
    assert chat.marketplace_status == "OPENED"


@responses.activate
def test_second_list_page_with_a_new_chat_walks_its_history_backward(clock) -> None:
    responses.post(
        LIST,
        body=text("chat_list_page_2.json"),
        match=[
            matchers.json_params_matcher(
                {"filter": {"chat_status": "ALL"}, "limit": 100, "cursor": "30000002342123123"}
            )
        ],
    )
    responses.post(
        HISTORY,
        body=text("chat_history_backward_page_1.json"),
        match=[matchers.json_params_matcher({"chat_id": NEW_CHAT, "direction": "Backward", "limit": 100})],
    )
    responses.post(
        HISTORY,
        body=text("chat_history_backward_page_2.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "chat_id": NEW_CHAT,
                    "direction": "Backward",
                    "limit": 100,
                    "from_message_id": 3000000300211559600,
                }
            )
        ],
    )
    cursor = json.loads(json.dumps({"list_cursor": "30000002342123123", "list_more": True, "pending": []}))
    page = connector(clock).fetch_updates(cursor=cursor, positions=lambda ids: {})
    assert page.requests_made == 3
    assert page.has_more is False
    assert page.cursor == {"list_cursor": None, "list_more": False, "pending": []}
    assert [(m.external_id, m.author) for m in page.messages] == [
        ("3000000300211559667", Author.MARKETPLACE),
        ("3000000300211559600", Author.SUPPORT),
        ("3000000300211559500", Author.BUYER),
    ]
    (chat,) = page.chats
    assert (chat.external_id, chat.order_number, chat.marketplace_status) == (
        NEW_CHAT,
        "12345678-0001-1",
        "CLOSED",
    )


@responses.activate
def test_idle_pass_costs_one_list_call_per_page_and_no_history(clock) -> None:
    responses.post(LIST, body=text("chat_list_page_2.json"))
    known = {NEW_CHAT: ChatPosition(last_message_external_id="3000000000900000001")}
    page = connector(clock).fetch_updates(cursor={}, positions=lambda ids: known)
    assert page.requests_made == 1
    assert page.messages == () and page.chats == ()
    assert page.has_more is False


@responses.activate
def test_backfill_walks_history_and_stops_at_since(clock) -> None:
    responses.post(LIST, body=text("chat_list_page_2.json"))
    responses.post(HISTORY, body=text("chat_history_backward_page_1.json"))
    page = connector(clock).fetch_history(cursor={}, since=datetime(2025, 6, 12, tzinfo=UTC))
    assert [m.external_id for m in page.messages] == ["3000000300211559667"]
    assert page.requests_made == 2  # the page reached `since`, so no second history page
    assert page.has_more is False


@responses.activate
def test_send_message_file_and_read(clock) -> None:
    responses.post(
        f"{OZON_URL}/v1/chat/send/message",
        body=text("send_ok.json"),
        match=[matchers.json_params_matcher({"chat_id": BUYER_CHAT, "text": "Добрый день!"})],
    )
    responses.post(
        f"{OZON_URL}/v1/chat/send/file",
        body=text("send_ok.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "chat_id": BUYER_CHAT,
                    "name": "чек.png",
                    "base64_content": base64.b64encode(b"\x89PNG").decode(),
                }
            )
        ],
    )
    responses.post(f"{OZON_URL}/v2/chat/read", body=text("read_ok.json"))
    ozon = connector(clock)
    chat = ChatRef(external_id=BUYER_CHAT)
    receipt = ozon.send_text(chat=chat, text="Добрый день!")
    assert receipt.sent_at == datetime.fromtimestamp(clock(), UTC)
    ozon.send_file(chat=chat, name="чек.png", content=b"\x89PNG", content_type="image/png")
    ozon.mark_read(chat=chat, up_to_message_external_id="3000000000817031950")
    assert b'"from_message_id": 3000000000817031950' in responses.calls[2].request.body
    assert body_of(responses.calls[2]) == {"chat_id": BUYER_CHAT, "from_message_id": 3000000000817031950}


def test_text_longer_than_1000_is_rejected_locally(clock) -> None:
    with responses.RequestsMock() as mocked, pytest.raises(errors.RequestRejectedError):
        connector(clock).send_text(chat=ChatRef(external_id=BUYER_CHAT), text="ы" * 1001)
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(
    ("status", "fixture", "headers", "error_class", "fragment"),
    [
        (403, "error_403_invalid_key.json", {}, errors.AuthError, "Invalid Api-Key"),
        (403, "error_403_premium.json", {}, errors.CapabilityError, "Premium Plus или Premium Pro"),
        (
            429,
            "error_429.json",
            {"Retry-After": "5", "Ratelimit-Remaining": "0"},
            errors.RateLimitedError,
            "5 с",
        ),
        (401, "error_403_invalid_key.json", {}, errors.AuthError, "Invalid Api-Key"),
        (404, "error_400.json", {}, errors.RequestRejectedError, "value length"),
    ],
)
@responses.activate
def test_errors_map_to_classes(clock, status, fixture, headers, error_class, fragment) -> None:
    responses.post(LIST, status=status, body=text(fixture), headers=headers)
    with pytest.raises(error_class) as caught:
        connector(clock).fetch_updates(cursor={}, positions=lambda ids: {})
    assert fragment in caught.value.message
    assert len(responses.calls) == 1
    if error_class is errors.RateLimitedError:
        assert caught.value.retry_after == 5.0


@responses.activate
def test_check_credentials_without_premium_is_a_capability_error(clock) -> None:
    responses.post(LIST, status=403, body=text("error_403_premium.json"))
    with pytest.raises(errors.CapabilityError) as caught:
        connector(clock).check_credentials()
    assert caught.value.message.startswith("Ozon не дал доступ к чатам с покупателями")
    assert body_of(responses.calls[0]) == {"filter": {"chat_status": "ALL"}, "limit": 1}


@responses.activate
def test_check_credentials_returns_client_id(clock) -> None:
    responses.post(LIST, body=text("chat_list_empty.json"))
    assert connector(clock).check_credentials().external_id == OZON_CLIENT_ID


@responses.activate
def test_rejected_message_carries_ozon_reason(clock) -> None:
    responses.post(f"{OZON_URL}/v1/chat/send/message", status=400, body=text("error_400.json"))
    with pytest.raises(errors.RequestRejectedError) as caught:
        connector(clock).send_text(chat=ChatRef(external_id=BUYER_CHAT), text="Привет")
    assert (
        caught.value.message == "Ozon отклонил сообщение: text: value length must be between 1 and 1000 runes"
    )


@responses.activate
def test_server_error_retries_reads_but_not_sends(clock) -> None:
    responses.post(LIST, status=500, body=text("error_500.json"))
    responses.post(f"{OZON_URL}/v1/chat/send/message", status=500, body=text("error_500.json"))
    ozon = connector(clock)
    with pytest.raises(errors.TransientError):
        ozon.fetch_updates(cursor={}, positions=lambda ids: {})
    assert len(responses.calls) == 3
    with pytest.raises(errors.DeliveryUnknownError):
        ozon.send_text(chat=ChatRef(external_id=BUYER_CHAT), text="Привет")
    assert len(responses.calls) == 4


@pytest.mark.parametrize("body", ['{"chats": [{"chat": ', '{"chats": {"a": 1}}', "null"])
@responses.activate
def test_invalid_json_or_schema_is_unexpected(clock, body) -> None:
    responses.post(LIST, body=body, content_type="application/json")
    with pytest.raises(errors.UnexpectedResponseError):
        connector(clock).fetch_updates(cursor={}, positions=lambda ids: {})


@responses.activate
def test_api_key_never_logged_or_raised(clock, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    responses.post(LIST, status=403, json={"code": 7, "message": f"Invalid Api-Key {OZON_API_KEY}"})
    with pytest.raises(errors.AuthError) as caught:
        connector(clock).check_credentials()
    assert OZON_API_KEY not in caught.value.message
    assert OZON_API_KEY not in caplog.text


@pytest.mark.django_db
@responses.activate
def test_rate_limit_is_shared_per_client_id(clock, limiter) -> None:
    responses.post(LIST, status=429, body=text("error_429.json"), headers={"Retry-After": "10"})
    with pytest.raises(errors.RateLimitedError):
        connector(clock, limiter=limiter).fetch_updates(cursor={}, positions=lambda ids: {})
    other_account = OzonConnector(
        client_id=OZON_CLIENT_ID,
        api_key=OZON_API_KEY,
        account_key="ozon:2",
        api_url=OZON_URL,
        limiter=limiter,
    )
    other_account.http.clock = clock
    with pytest.raises(errors.RateLimitedError):
        other_account.fetch_updates(cursor={}, positions=lambda ids: {})
    assert len(responses.calls) == 1


@responses.activate
def test_malformed_message_is_recorded_and_skipped(clock) -> None:
    responses.post(LIST, body=text("chat_list_page_2.json"))
    responses.post(
        HISTORY,
        body='{"has_next": false, "messages": ['
        '{"message_id": 3000000000900000001, "user": {"type": "Customer"}, "data": ["без даты"]},'
        '{"message_id": 3000000000900000000, "user": {"type": "Customer"},'
        ' "created_at": "2026-02-01T09:31:00Z", "data": ["Здравствуйте"]}]}',
    )
    page = connector(clock).fetch_updates(cursor={}, positions=lambda ids: {})
    assert [m.text for m in page.messages] == ["Здравствуйте"]
    assert [item.reference for item in page.skipped] == [f"{NEW_CHAT}/3000000000900000001"]
    assert page.skipped[0].reason == "Сообщение Ozon не разобрано: нет даты сообщения"


def test_a_message_that_is_only_a_file_link_has_the_file_as_attachment_and_no_text():
    text, attachments = parse_markdown(
        ["[Чек №5.pdf](https://cdn.ozon.ru/files/чек.pdf)", "Смотрите [инструкцию](https://ozon.ru/i) тут"],
        is_image=False,
        moderation=ModerationState.NONE,
    )
    assert text == "Смотрите инструкцию (https://ozon.ru/i) тут"
    assert [(item.kind, item.name, item.url) for item in attachments] == [
        (AttachmentKind.LINK, "Чек №5.pdf", "https://cdn.ozon.ru/files/чек.pdf"),
        (AttachmentKind.LINK, "инструкцию", "https://ozon.ru/i"),
    ]
