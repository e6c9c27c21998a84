import json
import logging
from datetime import UTC, datetime

import pytest
import requests
import responses
from responses import matchers

from marketplaces import errors
from marketplaces.types import AttachmentKind, Author, ChatKind, ChatPosition, ChatRef
from marketplaces.wildberries import WildberriesConnector, decode_token
from tests.marketplaces.conftest import (
    WILDBERRIES_CHAT_URL,
    WILDBERRIES_FEEDBACKS_URL,
    WILDBERRIES_SELLER_ID,
    FakeClock,
    fixture_text,
    wildberries_token,
)

EVENTS = f"{WILDBERRIES_CHAT_URL}/api/v1/seller/events"
CHATS = f"{WILDBERRIES_CHAT_URL}/api/v1/seller/chats"
MESSAGE = f"{WILDBERRIES_CHAT_URL}/api/v1/seller/message"
QUESTIONS = f"{WILDBERRIES_FEEDBACKS_URL}/api/v1/questions"
FIRST_CHAT = "1:1e265a58-a120-b178-008c-60af2460207c"
SECOND_CHAT = "1:4019cd7d-cca8-4e90-8b11-f78afbea42e3"
FIRST_SIGN = (
    "1:1e265a58-a120-b178-008c-60af2460207c:66f136e919a8207e136757754f253189bfb9ae1ad9da9170c9d5c478626663908888"
    "c370216525bef51c0ca8d77952e05c9c17f9b63ab00374c5555b42efc07d"
)
TOKEN = wildberries_token()


def text(name: str) -> str:
    return fixture_text("wildberries", name)


def connector(clock: FakeClock, token: str = TOKEN, limiter=None) -> WildberriesConnector:
    return WildberriesConnector(
        token=token,
        account_key="wildberries:1",
        chat_api_url=WILDBERRIES_CHAT_URL,
        feedbacks_api_url=WILDBERRIES_FEEDBACKS_URL,
        limiter=limiter,
        clock=clock,
        sleep=clock.sleep,
    )


def nothing_known(chat_ids):
    return {}


def round_trip(cursor):
    return json.loads(json.dumps(cursor))


def test_token_scope_positions_are_powers_of_two() -> None:
    decoded = decode_token(wildberries_token(scopes=(9,)))
    assert decoded is not None
    assert decoded.scope == 512
    assert decoded.has(9) and not decoded.has(7) and not decoded.has(8)
    assert decoded.seller_id == WILDBERRIES_SELLER_ID
    assert decode_token("not-a-jwt") is None


@responses.activate
def test_first_page_parses_events_and_uses_reply_sign_from_new_chat_event(clock) -> None:
    responses.get(EVENTS, body=text("events_page_1.json"), match=[matchers.query_string_matcher("")])
    page = connector(clock).fetch_updates(cursor={}, positions=nothing_known)

    request = responses.calls[0].request
    assert request.headers["Authorization"] == TOKEN
    assert len(responses.calls) == 1  # replySign came with isNewChat: no /seller/chats call
    assert page.requests_made == 1
    assert page.has_more is True
    assert page.cursor["next"] == 1698045576000
    assert [message.external_id for message in page.messages] == [
        "55adee45-11f0-33b6-a847-6ccc7c78b2ec",
        "cef95d3c-0345-4dc9-b6df-4c8c57a176a9",
        "fd22e5bf-64fd-43f7-b3a0-ad29uu027f97",
    ]
    first = page.messages[0]
    assert first.author == Author.BUYER
    assert first.created_at == datetime(2023, 10, 23, 5, 2, 20, tzinfo=UTC)
    assert first.source == "rusite"
    assert first.text.startswith("Здравствуйте! У меня вопрос по товару")
    assert [(item.kind, item.name, item.remote_id) for item in first.attachments] == [
        (
            AttachmentKind.IMAGE,
            "0823ff24-821e-40e9-8cdf-0a2b5fd86a32.jpg",
            "fd6be4e3-5447-41d7-a1e6-b2d3e06c3b05",
        ),
        (AttachmentKind.FILE, "Чек.pdf", "ecaeb056-a4ee-45b4-ae45-666811755d38"),
        (AttachmentKind.PRODUCT, "", "12345678"),
    ]
    assert first.attachments[1].size == 1046143
    assert first.attachments[1].content_type == "application/pdf"
    assert page.messages[2].author == Author.SELLER
    assert page.messages[2].source == "seller-public-api"
    assert [item.reference for item in page.skipped] == ["cef95d3c-0345-4dc9-b6df-4c8c75a176a7"]
    (chat,) = page.chats
    assert chat.external_id == FIRST_CHAT
    assert chat.buyer_name == "Алёна"
    assert chat.extras["reply_sign"] == FIRST_SIGN
    assert chat.order_number == "2fb52cd9e25e52538a5f05994e688ae5"
    assert chat.product is not None and chat.product.sku == "12345678"


@responses.activate
def test_paging_until_total_events_is_zero_with_boundary_dedupe_and_chat_lookup(clock) -> None:
    wildberries = connector(clock)
    responses.get(EVENTS, body=text("events_page_1.json"), match=[matchers.query_string_matcher("")])
    responses.get(
        EVENTS,
        body=text("events_page_2.json"),
        match=[matchers.query_param_matcher({"next": "1698045576000"})],
    )
    responses.get(CHATS, body=text("chats.json"))
    responses.get(
        EVENTS,
        body=text("events_empty.json"),
        match=[matchers.query_param_matcher({"next": "1698052000000"})],
    )
    responses.get(QUESTIONS, body=text("questions_empty.json"))

    first = wildberries.fetch_updates(cursor={}, positions=nothing_known)
    known = {FIRST_CHAT: ChatPosition(last_message_external_id="fd22e5bf-64fd-43f7-b3a0-ad29uu027f97")}
    second = wildberries.fetch_updates(cursor=round_trip(first.cursor), positions=lambda ids: known)

    assert second.requests_made == 2  # events + one /seller/chats for the chat we have never seen
    assert [message.external_id for message in second.messages] == [
        "0b4d7a0e-8f6a-4d1e-9a4f-2f0c1d7e5b11",
        "7e3f4a2b-1c5d-4e6f-8a9b-0c1d2e3f4a5b",
        "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
    ]
    assert [message.author for message in second.messages] == [
        Author.BUYER,
        Author.SELLER,
        Author.MARKETPLACE,
    ]
    assert second.messages[1].source == "seller-portal"
    (chat,) = second.chats
    assert chat.external_id == SECOND_CHAT
    assert chat.buyer_name == "Иван"
    assert chat.extras["reply_sign"].startswith("1:4019cd7d-cca8-4e90-8b11-f78afbea42e3:54828159:")
    assert chat.product is not None and chat.product.sku == "87654321"
    assert chat.order_number == "8c1d6a1f0e2b4c3d9e8f7a6b5c4d3e2f"
    assert second.cursor["next"] == 1698052000000

    third = wildberries.fetch_updates(cursor=round_trip(second.cursor), positions=nothing_known)
    # Feed exhausted; questions were never polled, so the first unanswered page follows in the same call.
    assert third.requests_made == 2
    assert third.has_more is True
    assert third.cursor["questions_walk"]["answered"] is True


@responses.activate
def test_idle_sync_is_exactly_one_request_and_never_sends_next_zero(clock) -> None:
    responses.get(
        EVENTS,
        json={"result": {"next": 0, "totalEvents": 0, "events": []}, "errors": None},
        match=[matchers.query_param_matcher({"next": "1698052000000"})],
    )
    cursor = {"next": 1698052000000, "seen_event_ids": ["x"], "questions_polled_at": clock() - 60}
    page = connector(clock).fetch_updates(cursor=cursor, positions=nothing_known)
    assert len(responses.calls) == 1
    assert page.requests_made == 1
    assert page.has_more is False
    assert page.cursor["next"] == 1698052000000


@responses.activate
def test_repeated_page_without_progress_ends_the_loop(clock) -> None:
    responses.get(EVENTS, body=text("events_page_1.json"))
    wildberries = connector(clock)
    first = wildberries.fetch_updates(cursor={"questions_polled_at": clock()}, positions=nothing_known)
    again = wildberries.fetch_updates(cursor=round_trip(first.cursor), positions=nothing_known)
    assert again.messages == ()
    assert again.has_more is False
    assert again.requests_made == 1
    assert len(again.cursor["seen_event_ids"]) == 4


@responses.activate
def test_questions_walk_unanswered_then_recently_answered(clock) -> None:
    responses.get(EVENTS, body=text("events_empty.json"))
    responses.get(
        QUESTIONS,
        body=text("questions_unanswered.json"),
        match=[
            matchers.query_param_matcher(
                {"isAnswered": "false", "take": "100", "skip": "0", "order": "dateAsc"}
            )
        ],
    )
    since = int(clock() - 14 * 86400)
    responses.get(
        QUESTIONS,
        body=text("questions_answered.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "isAnswered": "true",
                    "take": "100",
                    "skip": "0",
                    "order": "dateDesc",
                    "dateFrom": str(since),
                }
            )
        ],
    )
    wildberries = connector(clock)
    unanswered = wildberries.fetch_updates(cursor={"next": 1698052000000}, positions=nothing_known)
    assert responses.calls[1].request.headers["Authorization"] == TOKEN
    assert [chat.external_id for chat in unanswered.chats] == [
        "question:2ncBtX4B9I0UHoornoqG",
        "question:n5um6IUBQOOSTxXoo0gV",
    ]
    chat = unanswered.chats[0]
    assert chat.kind == ChatKind.QUESTION
    assert chat.product is not None and (chat.product.sku, chat.product.title) == ("14917842", "Кофе молотый")
    assert [(m.external_id, m.author, m.text) for m in unanswered.messages][:1] == [
        ("2ncBtX4B9I0UHoornoqG:question", Author.BUYER, "Подойдёт ли кофе для турки?")
    ]
    answered = wildberries.fetch_updates(cursor=round_trip(unanswered.cursor), positions=nothing_known)
    assert [(m.external_id, m.author, m.text) for m in answered.messages] == [
        ("Xq7pL0RkT2aBcDeFgHiJ:question", Author.BUYER, "Есть ли размер 42?"),
        ("Xq7pL0RkT2aBcDeFgHiJ:answer", Author.SELLER, "Да, размер 42 есть в наличии."),
    ]
    assert "questions_walk" not in answered.cursor
    assert answered.cursor["questions_polled_at"] == clock()
    idle = wildberries.fetch_updates(cursor=round_trip(answered.cursor), positions=nothing_known)
    assert idle.requests_made == 1
    assert idle.has_more is False


@responses.activate
def test_send_text_is_multipart_with_reply_sign(clock) -> None:
    responses.post(MESSAGE, body=text("message_sent.json"))
    receipt = connector(clock).send_text(
        chat=ChatRef(external_id=FIRST_CHAT, extras={"reply_sign": FIRST_SIGN}),
        text="Добрый день! Оформим возврат.",
    )
    request = responses.calls[0].request
    assert request.headers["Authorization"] == TOKEN
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.body
    assert b'name="replySign"\r\n\r\n' + FIRST_SIGN.encode() in body
    assert b'name="message"\r\n\r\n' + "Добрый день! Оформим возврат.".encode() in body
    assert b'name="file"' not in body
    assert receipt.sent_at == datetime.fromtimestamp(1712848270.018, UTC)
    assert receipt.extras == {"reply_sign": "1:641b623c-5c0e-295b-db03-3d5b4d484c32:renewed"}


@responses.activate
def test_send_text_without_sign_looks_it_up(clock) -> None:
    responses.get(CHATS, body=text("chats.json"))
    responses.post(MESSAGE, body=text("message_sent.json"))
    connector(clock).send_text(chat=ChatRef(external_id=SECOND_CHAT), text="Да")
    assert b"1:4019cd7d-cca8-4e90-8b11-f78afbea42e3:54828159:" in responses.calls[1].request.body


def test_send_text_too_long_is_rejected_before_any_request(clock) -> None:
    with responses.RequestsMock() as mocked, pytest.raises(errors.RequestRejectedError) as caught:
        connector(clock).send_text(
            chat=ChatRef(external_id=FIRST_CHAT, extras={"reply_sign": "s"}), text="я" * 1001
        )
    assert len(mocked.calls) == 0
    assert "1000" in caught.value.message


@responses.activate
def test_invalid_signature_is_a_rejection_with_the_marketplace_reason(clock) -> None:
    responses.post(
        MESSAGE,
        status=400,
        body=text("error_400_invalid_signature.json"),
        content_type="application/problem+json",
    )
    with pytest.raises(errors.StaleReplySignError) as caught:
        connector(clock).send_text(
            chat=ChatRef(external_id=FIRST_CHAT, extras={"reply_sign": "old"}), text="Да"
        )
    # A subclass of RequestRejectedError: callers that only know the base class keep working.
    assert isinstance(caught.value, errors.RequestRejectedError)
    assert (caught.value.message, caught.value.status) == (
        "Wildberries отклонил сообщение: Invalid signature",
        400,
    )
    assert len(responses.calls) == 1


@responses.activate
def test_timeout_after_sending_is_delivery_unknown_and_not_retried(clock) -> None:
    responses.post(MESSAGE, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(errors.DeliveryUnknownError):
        connector(clock).send_text(
            chat=ChatRef(external_id=FIRST_CHAT, extras={"reply_sign": "s"}), text="Да"
        )
    assert len(responses.calls) == 1


@responses.activate
def test_send_file_multipart_and_upload_errors(clock) -> None:
    responses.post(MESSAGE, body=text("message_sent.json"))
    responses.post(MESSAGE, body=text("message_file_rejected.json"))
    wildberries = connector(clock)
    chat = ChatRef(external_id=FIRST_CHAT, extras={"reply_sign": FIRST_SIGN})
    wildberries.send_file(
        chat=chat, name="Счёт.pdf", content=b"%PDF-1.4 test", content_type="application/pdf"
    )
    body = responses.calls[0].request.body
    assert b'name="file"; filename=' in body
    assert b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 test" in body
    with pytest.raises(errors.RequestRejectedError) as caught:
        wildberries.send_file(chat=chat, name="Счёт.pdf", content=b"%PDF", content_type="application/pdf")
    assert caught.value.message == "Wildberries отклонил файл: Файл «Счёт.pdf» не загружен: превышен размер"
    with pytest.raises(errors.RequestRejectedError):
        wildberries.send_file(chat=chat, name="video.mp4", content=b"x", content_type="video/mp4")
    assert len(responses.calls) == 2


@responses.activate
def test_answer_question_is_a_patch_with_state_wbru(clock) -> None:
    responses.patch(
        QUESTIONS,
        body=text("question_patched.json"),
        match=[
            matchers.json_params_matcher(
                {"id": "2ncBtX4B9I0UHoornoqG", "answer": {"text": "Да, подойдёт."}, "state": "wbRu"}
            )
        ],
    )
    responses.patch(QUESTIONS, status=422, body=text("feedbacks_error_422.json"))
    wildberries = connector(clock)
    chat = ChatRef(external_id="question:2ncBtX4B9I0UHoornoqG", kind=ChatKind.QUESTION)
    receipt = wildberries.send_text(chat=chat, text="Да, подойдёт.")
    assert receipt.sent_at == datetime.fromtimestamp(clock(), UTC)
    with pytest.raises(errors.RequestRejectedError) as caught:
        wildberries.send_text(chat=chat, text="Да, подойдёт.")
    assert caught.value.message == "Wildberries отклонил ответ на вопрос: Не удалось отредактировать вопрос"
    assert len(responses.calls) == 2


@responses.activate
def test_download_states(clock) -> None:
    url = f"{WILDBERRIES_CHAT_URL}/api/v1/seller/download/fd6be4e3"
    responses.get(url, body=b"\xff\xd8\xff jpeg", content_type="image/jpeg")
    responses.get(url, status=202, body=text("download_pending.json"))
    responses.get(url, status=451, body=text("error_451.json"), content_type="application/problem+json")
    wildberries = connector(clock)
    download = wildberries.download_attachment(
        remote_id="fd6be4e3", url="https://chat-basket-01.wbbasket.ru/a/b.jpg"
    )
    assert (download.content, download.content_type, download.name) == (
        b"\xff\xd8\xff jpeg",
        "image/jpeg",
        "b.jpg",
    )
    with pytest.raises(errors.AttachmentPendingError) as pending:
        wildberries.download_attachment(remote_id="fd6be4e3", url="")
    assert pending.value.retry_after == 30.0
    with pytest.raises(errors.AttachmentRejectedError):
        wildberries.download_attachment(remote_id="fd6be4e3", url="")
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    ("status", "fixture", "headers", "error_class", "message"),
    [
        (
            401,
            "error_401.json",
            {},
            errors.AuthError,
            "Wildberries не принял ключ доступа: token problem; token is malformed: could not base64 decode "
            "signature: illegal base64 data at input byte 84",
        ),
        (
            429,
            "error_429.json",
            {"X-Ratelimit-Retry": "30", "X-Ratelimit-Reset": "29", "X-Ratelimit-Limit": "10"},
            errors.RateLimitedError,
            "Wildberries ограничил частоту запросов: limited by c122a060-a7fb-4bb4-abb0-32fd4e18d489; "
            "повтор через 30 с",
        ),
    ],
)
@responses.activate
def test_gateway_errors(clock, status, fixture, headers, error_class, message) -> None:
    responses.get(
        EVENTS, status=status, body=text(fixture), headers=headers, content_type="application/problem+json"
    )
    with pytest.raises(error_class) as caught:
        connector(clock).fetch_updates(cursor={}, positions=nothing_known)
    assert caught.value.message == message
    assert len(responses.calls) == 1


@responses.activate
def test_short_rate_limit_is_waited_out_once(clock) -> None:
    responses.get(EVENTS, status=429, body=text("error_429.json"), headers={"X-Ratelimit-Retry": "2"})
    responses.get(EVENTS, body=text("events_empty.json"))
    page = connector(clock).fetch_updates(cursor={"questions_polled_at": clock()}, positions=nothing_known)
    assert page.has_more is False
    assert clock.sleeps == [2.0]
    assert len(responses.calls) == 2


@responses.activate
def test_feedbacks_403_is_auth_error_and_402_is_capability(clock) -> None:
    responses.get(EVENTS, body=text("events_empty.json"))
    responses.get(QUESTIONS, status=403, body=text("feedbacks_error_403.json"))
    with pytest.raises(errors.AuthError) as caught:
        connector(clock).fetch_updates(cursor={}, positions=nothing_known)
    assert "Ошибка авторизации" in caught.value.message
    responses.get(
        CHATS,
        status=402,
        json={"title": "payment required", "detail": "wb solution for business has insufficient funds"},
    )
    with pytest.raises(errors.CapabilityError):
        connector(clock).fetch_chat(chat_external_id=FIRST_CHAT)


@responses.activate
def test_server_errors_are_retried_three_times(clock) -> None:
    responses.get(EVENTS, status=503, body="upstream unavailable")
    with pytest.raises(errors.TransientError):
        connector(clock).fetch_updates(cursor={}, positions=nothing_known)
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    "body", ['{"result": {"next": 1698045576000, "events": [', '{"result": [1, 2]}', "[]", "<html>502</html>"]
)
@responses.activate
def test_truncated_or_drifted_responses_are_unexpected(clock, body) -> None:
    responses.get(EVENTS, body=body, content_type="application/json")
    with pytest.raises(errors.UnexpectedResponseError):
        connector(clock).fetch_updates(cursor={}, positions=nothing_known)


@responses.activate
def test_token_never_appears_in_errors_or_logs(clock, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    responses.get(EVENTS, status=401, json={"title": "unauthorized", "detail": f"bad token {TOKEN}"})
    with pytest.raises(errors.AuthError) as caught:
        connector(clock).fetch_updates(cursor={}, positions=nothing_known)
    assert TOKEN not in caught.value.message
    assert TOKEN not in caplog.text
    assert "/api/v1/seller/events -> 401" in caplog.text


@responses.activate
def test_check_credentials_personal_token(clock) -> None:
    responses.get(f"{WILDBERRIES_CHAT_URL}/ping", body=text("ping.json"))
    info = connector(clock).check_credentials()
    assert info.external_id == WILDBERRIES_SELLER_ID
    assert info.token_kind == "personal"
    assert info.notes == ()
    assert responses.calls[0].request.headers["Authorization"] == TOKEN


@responses.activate
def test_check_credentials_base_token_explains_hourly_limit(clock) -> None:
    responses.get(f"{WILDBERRIES_CHAT_URL}/ping", body=text("ping.json"))
    info = connector(clock, token=wildberries_token(kind=1, scopes=(9,))).check_credentials()
    assert info.token_kind == "base"
    assert "не чаще 1 запроса в час" in info.notes[0]
    assert "«Вопросы и отзывы»" in info.notes[1]


def test_check_credentials_without_chat_scope_or_expired(clock) -> None:
    with responses.RequestsMock() as mocked:
        with pytest.raises(errors.CapabilityError) as caught:
            connector(clock, token=wildberries_token(scopes=(7,))).check_credentials()
        assert "«Чат с покупателями»" in caught.value.message
        with pytest.raises(errors.AuthError):
            connector(clock, token=wildberries_token(expires=1_700_000_000)).check_credentials()
        with pytest.raises(errors.AuthError):
            connector(clock, token="garbage").check_credentials()
        assert len(mocked.calls) == 0


@pytest.mark.django_db
@responses.activate
def test_base_token_gets_one_chat_request_per_hour(clock, limiter) -> None:
    responses.get(EVENTS, body=text("events_empty.json"))
    wildberries = connector(clock, token=wildberries_token(kind=1, scopes=(9,)), limiter=limiter)
    wildberries.fetch_updates(cursor={}, positions=nothing_known)
    with pytest.raises(errors.RateLimitedError) as caught:
        wildberries.fetch_updates(cursor={}, positions=nothing_known)
    assert caught.value.retry_after == pytest.approx(3600.0)
    assert len(responses.calls) == 1
