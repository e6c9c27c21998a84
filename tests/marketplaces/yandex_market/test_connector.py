import email.utils
import json
import logging
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone

import pytest
import responses
from responses import matchers

from marketplaces import errors
from marketplaces.types import AttachmentKind, Author, ChatPosition, ChatRef
from marketplaces.yandex_market import YandexMarketConnector
from tests.marketplaces.conftest import (
    YANDEX_MARKET_API_KEY,
    YANDEX_MARKET_BUSINESS_ID,
    YANDEX_MARKET_URL,
    FakeClock,
    fixture_text,
)

BUSINESS = f"{YANDEX_MARKET_URL}/v2/businesses/{YANDEX_MARKET_BUSINESS_ID}"
CHATS = f"{BUSINESS}/chats"
HISTORY = f"{BUSINESS}/chats/history"
MSK = timezone(timedelta(hours=3))


def text(name: str) -> str:
    return fixture_text("yandex_market", name)


def connector(clock: FakeClock, limiter=None) -> YandexMarketConnector:
    return YandexMarketConnector(
        api_key=YANDEX_MARKET_API_KEY,
        business_id=YANDEX_MARKET_BUSINESS_ID,
        account_key="yandex_market:1",
        api_url=YANDEX_MARKET_URL,
        limiter=limiter,
        clock=clock,
        sleep=clock.sleep,
    )


def round_trip(cursor):
    return json.loads(json.dumps(cursor))


@responses.activate
def test_sweep_pass_pages_chats_and_fetches_history_of_new_chats(clock) -> None:
    responses.post(
        CHATS,
        body=text("chats_page_1.json"),
        match=[matchers.query_param_matcher({"limit": "20"}), matchers.json_params_matcher({})],
    )
    responses.post(
        HISTORY,
        body=text("history_page_1.json"),
        match=[
            matchers.query_param_matcher({"chatId": "12345", "limit": "100"}),
            matchers.json_params_matcher({}),
        ],
    )
    responses.post(
        HISTORY,
        body=text("history_page_2.json"),
        match=[
            matchers.query_param_matcher(
                {"chatId": "12345", "limit": "100", "page_token": "eyJtZXNzYWdlSWQiOjUwMn0"}
            )
        ],
    )
    known = {
        "12346": ChatPosition(
            last_message_external_id="900", last_message_at=datetime(2026, 5, 2, 13, 0, tzinfo=MSK)
        )
    }
    page = connector(clock).fetch_updates(cursor={}, positions=lambda ids: known)

    headers = responses.calls[0].request.headers
    assert headers["Api-Key"] == YANDEX_MARKET_API_KEY
    assert "Authorization" not in headers
    assert page.requests_made == 3
    assert page.has_more is True
    assert page.cursor["mode"] == "sweep"
    assert page.cursor["page_token"] == "eyJvcCI6Ij4iLCJrZXkiOiIxMjM0NiJ9"
    order_chat, return_chat = page.chats
    assert (order_chat.external_id, order_chat.buyer_name, order_chat.order_number) == (
        "12345",
        "Мария К.",
        "222",
    )
    assert order_chat.marketplace_status == "WAITING_FOR_PARTNER"
    assert order_chat.last_message_at == datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
    assert return_chat.extras == {
        "type": "CHAT",
        "context_type": "RETURN",
        "order_id": "223",
        "return_id": "333",
        "campaign_id": "111",
        "customer_public_id": "pub12346",
    }
    assert [(m.external_id, m.author) for m in page.messages] == [
        ("501", Author.BUYER),
        ("502", Author.MARKETPLACE),
        ("503", Author.BUYER),
    ]
    assert [(a.kind, a.name, a.size, a.url) for a in page.messages[2].attachments] == [
        (
            AttachmentKind.IMAGE,
            "фото посылки.jpg",
            12345,
            "https://market-chat.s3.yandex.net/files/503/photo.jpg",
        ),
        (AttachmentKind.FILE, "накладная.pdf", 54321, "https://market-chat.s3.yandex.net/files/503/doc.pdf"),
    ]


@responses.activate
def test_last_sweep_page_ends_the_pass_and_next_pass_lists_only_waiting_chats(clock) -> None:
    responses.post(
        CHATS,
        body=text("chats_page_2.json"),
        match=[
            matchers.query_param_matcher({"limit": "20", "page_token": "eyJvcCI6Ij4iLCJrZXkiOiIxMjM0NiJ9"})
        ],
    )
    responses.post(
        CHATS,
        body=text("chats_page_1.json").replace(
            '"nextPageToken": "eyJvcCI6Ij4iLCJrZXkiOiIxMjM0NiJ9"', '"x": 1'
        ),
        match=[
            matchers.query_param_matcher({"limit": "20"}),
            matchers.json_params_matcher({"statuses": ["NEW", "WAITING_FOR_PARTNER"]}),
        ],
    )
    responses.post(
        HISTORY,
        body=text("history_new_messages.json"),
        match=[
            matchers.query_param_matcher({"chatId": "12345", "limit": "100"}),
            matchers.json_params_matcher({"messageIdFrom": 503}),
        ],
    )
    ym = connector(clock)
    cursor = {
        "mode": "sweep",
        "page_token": "eyJvcCI6Ij4iLCJrZXkiOiIxMjM0NiJ9",
        "pass_started_at": clock() - 5,
    }
    anna = {
        "12347": ChatPosition(
            last_message_external_id="77", last_message_at=datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
        )
    }
    end = ym.fetch_updates(cursor=round_trip(cursor), positions=lambda ids: anna)
    assert end.requests_made == 1
    assert end.has_more is False
    assert end.cursor["mode"] is None
    assert end.cursor["last_sweep_at"] == clock() - 5
    assert end.chats[0].buyer_name == "Анна" and end.chats[0].order_number == ""

    clock.advance(60)
    moved = {
        "12345": ChatPosition(
            last_message_external_id="503", last_message_at=datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
        ),
        "12346": ChatPosition(
            last_message_external_id="600", last_message_at=datetime(2026, 5, 2, 10, 0, tzinfo=UTC)
        ),
    }
    waiting = ym.fetch_updates(cursor=round_trip(end.cursor), positions=lambda ids: moved)
    assert waiting.requests_made == 2
    assert [(m.external_id, m.author, m.text) for m in waiting.messages] == [
        ("504", Author.SELLER, "Заказ приедет завтра"),
        ("505", Author.SUPPORT, "Поддержка Маркета на связи"),
    ]
    assert waiting.has_more is False


@responses.activate
def test_idle_cost_of_a_1000_chat_cabinet_stays_within_a_quarter_of_the_quota(clock) -> None:
    chat_count, page_size = 1000, 20
    updated = "2026-05-01T10:00:00+03:00"

    def chats_callback(request):
        filters = json.loads(request.body)
        if filters.get("statuses"):
            return 200, {}, json.dumps({"status": "OK", "result": {"chats": [], "paging": {}}})
        token = request.params.get("page_token")
        start = int(token) if token else 0
        chats = [
            {"chatId": 100000 + index, "type": "CHAT", "status": "WAITING_FOR_CUSTOMER",
             "context": {"type": "ORDER", "orderId": 500000 + index},
             "createdAt": updated, "updatedAt": updated}
            for index in range(start, min(start + page_size, chat_count))
        ]  # fmt: skip
        paging = {"nextPageToken": str(start + page_size)} if start + page_size < chat_count else {}
        return 200, {}, json.dumps({"status": "OK", "result": {"chats": chats, "paging": paging}})

    responses.add_callback(responses.POST, CHATS, callback=chats_callback)
    position = ChatPosition(
        last_message_external_id="1", last_message_at=datetime(2026, 5, 1, 7, 0, tzinfo=UTC)
    )
    ym = connector(clock)
    cursor: dict = {}
    for _minute in range(60):
        while True:
            page = ym.fetch_updates(cursor=cursor, positions=lambda ids: dict.fromkeys(ids, position))
            cursor = round_trip(page.cursor)
            if not page.has_more:
                break
        clock.advance(60)
    chats_calls = len(responses.calls)
    assert chats_calls == 6 * 50 + 54  # six full sweeps of 50 pages, one "waiting" page on the other passes
    assert chats_calls <= 5000 / 4


@responses.activate
def test_send_message_and_file(clock) -> None:
    responses.post(
        f"{CHATS}/message",
        body=text("send_ok.json"),
        match=[
            matchers.query_param_matcher({"chatId": "12345"}),
            matchers.json_params_matcher({"message": "Заказ приедет завтра"}),
        ],
    )
    responses.post(
        f"{CHATS}/file/send",
        body=text("send_ok.json"),
        match=[matchers.query_param_matcher({"chatId": "12345"})],
    )
    ym = connector(clock)
    chat = ChatRef(external_id="12345")
    assert ym.send_text(chat=chat, text="Заказ приедет завтра").sent_at == datetime.fromtimestamp(
        clock(), UTC
    )
    ym.send_file(chat=chat, name="накладная.pdf", content=b"%PDF-1.7", content_type="application/pdf")
    file_request = responses.calls[1].request
    assert file_request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="file"; filename=' in file_request.body
    assert b"%PDF-1.7" in file_request.body
    with pytest.raises(errors.RequestRejectedError):
        ym.send_text(chat=chat, text="я" * 4097)
    with pytest.raises(errors.RequestRejectedError):
        ym.send_file(
            chat=chat, name="big.jpg", content=b"x" * (5 * 1024 * 1024 + 1), content_type="image/jpeg"
        )
    assert len(responses.calls) == 2


@responses.activate
def test_fetch_chat_and_missing_chat(clock) -> None:
    responses.get(
        f"{BUSINESS}/chat", body=text("chat.json"), match=[matchers.query_param_matcher({"chatId": "12345"})]
    )
    responses.get(
        f"{BUSINESS}/chat",
        status=404,
        json={"status": "ERROR", "errors": [{"code": "NOT_FOUND", "message": "Chat not found"}]},
        match=[matchers.query_param_matcher({"chatId": "999"})],
    )
    ym = connector(clock)
    chat = ym.fetch_chat(chat_external_id="12345")
    assert chat is not None and (chat.external_id, chat.order_number) == ("12345", "222")
    assert ym.fetch_chat(chat_external_id="999") is None


@responses.activate
def test_420_with_resource_until_is_rate_limited_for_the_right_time(clock) -> None:
    until = email.utils.formatdate(clock() + 1800, usegmt=True)
    responses.post(
        CHATS, status=420, body=text("error_420.json"), headers={"X-RateLimit-Resource-Until": until}
    )
    with pytest.raises(errors.RateLimitedError) as caught:
        connector(clock).fetch_updates(cursor={}, positions=lambda ids: {})
    assert caught.value.retry_after == pytest.approx(1800, abs=1)
    assert caught.value.status == 420
    assert "LIMIT_EXCEEDED" in caught.value.message
    assert len(responses.calls) == 1


@responses.activate
def test_420_parallel_limit_is_retried_after_a_second(clock) -> None:
    responses.post(CHATS, status=420, body=text("error_420_parallel.json"))
    responses.post(CHATS, body=text("chats_empty.json"))
    page = connector(clock).fetch_updates(cursor={}, positions=lambda ids: {})
    assert page.has_more is False
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    ("status", "fixture", "error_class", "message"),
    [
        (
            401,
            "error_401.json",
            errors.AuthError,
            "Яндекс Маркет не принял ключ доступа: UNAUTHORIZED: Api-Key token is invalid",
        ),
        (403, "error_403.json", errors.CapabilityError, "communication"),
        (
            400,
            "error_400.json",
            errors.RequestRejectedError,
            "Яндекс Маркет отклонил запрос: BAD_REQUEST: message: size must be between 1 and 4096",
        ),
    ],
)
@responses.activate
def test_error_envelope_maps_to_classes(clock, status, fixture, error_class, message) -> None:
    responses.post(CHATS, status=status, body=text(fixture))
    with pytest.raises(error_class) as caught:
        connector(clock).check_credentials()
    assert message in caught.value.message
    assert len(responses.calls) == 1


@responses.activate
def test_server_error_is_retried_then_transient_and_send_is_not_retried(clock) -> None:
    responses.post(CHATS, status=500, body=text("error_500.json"))
    responses.post(f"{CHATS}/message", status=500, body=text("error_500.json"))
    ym = connector(clock)
    with pytest.raises(errors.TransientError):
        ym.fetch_updates(cursor={}, positions=lambda ids: {})
    assert len(responses.calls) == 3
    with pytest.raises(errors.DeliveryUnknownError):
        ym.send_text(chat=ChatRef(external_id="12345"), text="Привет")
    assert len(responses.calls) == 4


@pytest.mark.parametrize(
    "body",
    ['{"status": "OK", "result": {"chats": [', '{"result": {"chats": []}}', '{"status": "OK", "result": []}'],
)
@responses.activate
def test_truncated_or_drifted_envelope_is_unexpected(clock, body) -> None:
    responses.post(CHATS, body=body, content_type="application/json")
    with pytest.raises(errors.UnexpectedResponseError):
        connector(clock).fetch_updates(cursor={}, positions=lambda ids: {})


@responses.activate
def test_check_credentials_uses_a_one_item_list(clock) -> None:
    responses.post(
        CHATS,
        body=text("chats_empty.json"),
        match=[matchers.query_param_matcher({"limit": "1"}), matchers.json_params_matcher({})],
    )
    assert connector(clock).check_credentials().external_id == YANDEX_MARKET_BUSINESS_ID


@pytest.mark.django_db
@responses.activate
def test_four_parallel_requests_per_business(clock, limiter) -> None:
    responses.post(CHATS, body=text("chats_empty.json"))
    key = f"yandex_market-business:{YANDEX_MARKET_BUSINESS_ID}:yandex_market-parallel"
    with ExitStack() as stack:
        for _ in range(4):
            stack.enter_context(limiter.concurrency_slot(key=key, slots=4, ttl=60))
        with pytest.raises(errors.RateLimitedError):
            connector(clock, limiter=limiter).fetch_updates(cursor={}, positions=lambda ids: {})
        assert len(responses.calls) == 0
    connector(clock, limiter=limiter).fetch_updates(cursor={}, positions=lambda ids: {})
    assert len(responses.calls) == 1


@responses.activate
def test_api_key_never_logged_or_raised(clock, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    responses.post(
        CHATS,
        status=401,
        json={
            "status": "ERROR",
            "errors": [{"code": "UNAUTHORIZED", "message": f"{YANDEX_MARKET_API_KEY} invalid"}],
        },
    )
    with pytest.raises(errors.AuthError) as caught:
        connector(clock).check_credentials()
    assert YANDEX_MARKET_API_KEY not in caught.value.message
    assert YANDEX_MARKET_API_KEY not in caplog.text
