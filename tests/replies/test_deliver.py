"""Delivery of one reply row: one marketplace call, and one table from error type to outcome."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone, translation
from django_q.models import Schedule

from accounts.models import SyncState
from inbox.models import Chat, Message
from inbox.replies import deliver, sweep
from inbox.replies.create import message_send
from inbox.services.ingest import IngestMode, page_apply
from inbox.services.remote_read import chat_remote_read
from marketplaces.errors import (
    AuthError,
    CapabilityError,
    DeliveryUnknownError,
    MarketplaceError,
    RateLimitedError,
    RequestRejectedError,
    StaleReplySignError,
    TransientError,
    UnexpectedResponseError,
)
from marketplaces.registry import spec_for
from marketplaces.types import Author, RemoteChat, SendReceipt, UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_account, make_chat):
    account = make_account("ozon")
    return make_chat(account, external_id="c1", awaiting_reply_since=timezone.now() - timedelta(minutes=5))


def queue_reply(chat: Chat, text: str = "Здравствуйте! Отправим завтра.") -> Message:
    with transaction.atomic():
        return message_send(chat=chat, user=None, text=text)


def echo_page(message: Message, external_id: str = "9001", text: str | None = None) -> UpdatesPage:
    return UpdatesPage(
        messages=(
            remote_message(
                message.chat.external_id,
                external_id,
                text if text is not None else message.text,
                author=Author.SELLER,
                created_at=timezone.now(),
            ),
        )
    )


def ingest(chat: Chat, page: UpdatesPage) -> None:
    with transaction.atomic():
        page_apply(account=chat.account, page=page, mode=IngestMode.INCREMENTAL)


def test_reply_is_enqueued_on_commit_and_sent_once(
    chat, fake_connector, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(chat=chat, user=None, text="Добрый день")
    assert enqueued == [("inbox.tasks.deliver_message", (message.pk,))]
    fake_connector.send_results = [SendReceipt(sent_at=timezone.now(), extras={"reply_sign": "new-sign"})]

    assert deliver.message_deliver(message_id=message.pk) == "sent"
    assert deliver.message_deliver(message_id=message.pk) == "skipped"

    assert [(ref.external_id, text) for ref, text in fake_connector.sent] == [("c1", "Добрый день")]
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None
    chat.refresh_from_db()
    assert chat.awaiting_reply_since is None
    assert chat.extras["reply_sign"] == "new-sign"


def test_timeout_then_echo_resolves_to_sent_with_one_row_and_one_call(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("Ozon: запрос отправлен, но ответ не получен")]

    before = timezone.now()
    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("unknown", 1)
    assert message.last_error == "Маркетплейс не ответил; проверяем, дошёл ли ответ."
    assert message.last_error_detail == "Ozon: запрос отправлен, но ответ не получен"
    # The sweep asks the marketplace about the chat once the echo has had time to appear.
    assert before + deliver.ECHO_SETTLE <= message.next_attempt_at <= timezone.now() + deliver.ECHO_SETTLE

    ingest(chat, echo_page(message, text="  Здравствуйте!\nОтправим   завтра. "))

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id, message.last_error) == ("sent", "9001", "")
    assert (message.last_error_detail, message.next_attempt_at) == ("", None)
    assert Message.objects.filter(chat=chat).count() == 1
    assert len(fake_connector.sent) == 1
    assert sweep.outbox_sweep(now=timezone.now() + timedelta(minutes=5)).resent == []
    assert deliver.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 1


def test_echo_while_send_is_in_flight_wins_over_a_late_timeout(chat, fake_connector):
    message = queue_reply(chat)

    def echo_arrives() -> None:
        ingest(chat, echo_page(message))

    fake_connector.before_send = echo_arrives
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]

    deliver.message_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "9001")


def test_rejection_fails_with_the_marketplace_reason(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [
        RequestRejectedError(
            "Ozon отклонил сообщение: истекло время для ответа покупателю (48 ч)", status=400
        )
    ]

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("failed", 0)
    assert message.last_error == "Маркетплейс не принял ответ."
    assert message.last_error_detail == "Ozon отклонил сообщение: истекло время для ответа покупателю (48 ч)"
    assert Chat.objects.get(pk=chat.pk).awaiting_reply_since is not None


def test_auth_error_fails_without_unknown(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [AuthError("Ozon не принял ключ доступа")]
    assert deliver.message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.last_error, message.last_error_detail) == (
        "Маркетплейс не принял ключ доступа кабинета. Проверьте учётные данные кабинета.",
        "Ozon не принял ключ доступа",
    )


def test_rate_limit_puts_the_reply_back_with_a_delayed_retry(
    chat, fake_connector, django_capture_on_commit_callbacks
):
    message = queue_reply(chat)
    fake_connector.send_results = [RateLimitedError("Ozon ограничил частоту запросов", retry_after=30)]
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver.message_deliver(message_id=message.pk) == "delayed"

    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("pending", 0)
    assert before + timedelta(seconds=30) <= message.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    schedule = Schedule.objects.get(name=f"deliver-{message.pk}-later")
    assert (schedule.func, schedule.args, schedule.schedule_type) == (
        "inbox.tasks.deliver_message",
        f"({message.pk},)",
        Schedule.ONCE,
    )
    assert schedule.next_run == message.next_attempt_at
    assert SyncState.objects.get(pk=chat.account_id).rate_limited_until == message.next_attempt_at
    # Not due yet: a duplicate task does nothing.
    assert deliver.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 1


def test_account_already_rate_limited_does_not_call_the_marketplace(chat, fake_connector):
    SyncState.objects.filter(pk=chat.account_id).update(
        rate_limited_until=timezone.now() + timedelta(minutes=2)
    )
    message = queue_reply(chat)
    assert deliver.message_deliver(message_id=message.pk) == "delayed"
    assert fake_connector.sent == []


def test_network_failure_before_the_request_left_is_retried_later(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [TransientError("Ozon: соединение не установлено")]
    assert deliver.message_deliver(message_id=message.pk) == "delayed"
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at > timezone.now()
    assert message.last_error == "Маркетплейс недоступен; скоро попробуем отправить ответ снова."


def test_network_failures_give_up_after_the_bound(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [TransientError("Ozon: соединение не установлено")] * 3
    outcomes = []
    for _attempt in range(deliver.MAX_DELIVERY_ATTEMPTS):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=None)
        outcomes.append(deliver.message_deliver(message_id=message.pk))
    assert outcomes == ["delayed", "delayed", "failed"]
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, message.next_attempt_at) == ("failed", 3, None)
    assert message.last_error == "Маркетплейс недоступен. Попробуйте отправить ответ позже."
    assert message.last_error_detail == "Ozon: соединение не установлено"


def test_stale_wildberries_reply_sign_is_refreshed_once(make_account, make_chat, fake_connector):
    account = make_account("wildberries")
    wb_chat = make_chat(account, external_id="1:abc", extras={"reply_sign": "old"})
    message = queue_reply(wb_chat)
    fake_connector.fetch_chat_result = RemoteChat(external_id="1:abc", extras={"reply_sign": "fresh"})
    fake_connector.send_results = [
        StaleReplySignError("Wildberries отклонил сообщение: Invalid signature", status=400),
        SendReceipt(sent_at=timezone.now()),
    ]

    assert deliver.message_deliver(message_id=message.pk) == "sent"

    assert fake_connector.fetch_chat_calls == ["1:abc"]
    assert [ref.extras["reply_sign"] for ref, _text in fake_connector.sent] == ["old", "fresh"]
    assert Chat.objects.get(pk=wb_chat.pk).extras["reply_sign"] == "fresh"


def test_stale_reply_sign_twice_fails_after_one_refresh(make_account, make_chat, fake_connector):
    account = make_account("wildberries")
    wb_chat = make_chat(account, external_id="1:abc", extras={"reply_sign": "old"})
    message = queue_reply(wb_chat)
    fake_connector.fetch_chat_result = RemoteChat(external_id="1:abc", extras={"reply_sign": "fresh"})
    rejected = StaleReplySignError("Wildberries отклонил сообщение: Invalid signature", status=400)
    fake_connector.send_results = [rejected, rejected]

    assert deliver.message_deliver(message_id=message.pk) == "failed"
    assert len(fake_connector.sent) == 2 and fake_connector.fetch_chat_calls == ["1:abc"]
    message.refresh_from_db()
    assert (message.attempts, message.last_error, message.last_error_detail) == (
        0,
        "Маркетплейс больше не принимает ответы с подписью этого чата. Попробуйте позже.",
        "Wildberries отклонил сообщение: Invalid signature",
    )


def test_a_plain_rejection_does_not_refresh_the_reply_sign(make_account, make_chat, fake_connector):
    wb_chat = make_chat(make_account("wildberries"), external_id="1:abc", extras={"reply_sign": "old"})
    message = queue_reply(wb_chat)
    fake_connector.fetch_chat_result = RemoteChat(external_id="1:abc", extras={"reply_sign": "fresh"})
    fake_connector.send_results = [RequestRejectedError("Wildberries отклонил сообщение: too long")]

    assert deliver.message_deliver(message_id=message.pk) == "failed"
    assert fake_connector.fetch_chat_calls == [] and len(fake_connector.sent) == 1


def test_remote_read_marks_up_to_the_newest_incoming_message(chat, fake_connector):
    ingest(
        chat,
        UpdatesPage(messages=(remote_message("c1", "100", minute=1), remote_message("c1", "101", minute=2))),
    )
    assert chat_remote_read(chat_id=chat.pk) is True
    assert fake_connector.read_calls == [("c1", "101")]

    fake_connector.capabilities = type(fake_connector.capabilities)(max_text_length=1000, can_mark_read=False)
    assert chat_remote_read(chat_id=chat.pk) is False
    assert len(fake_connector.read_calls) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_make_one_http_call(make_account, make_chat, fake_connector):
    account = make_account("ozon")
    target = make_chat(account, external_id="c1")
    message = message_send(chat=target, user=None, text="Одно сообщение")
    barrier = threading.Barrier(2, timeout=5)
    results: list[str] = []

    def deliver_once() -> None:
        try:
            barrier.wait()
            results.append(deliver.message_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(results) == ["sent", "skipped"]
    assert len(fake_connector.sent) == 1
    assert Message.objects.get(pk=message.pk).attempts == 1


@pytest.mark.parametrize(
    ("error", "status", "outcome", "counted"),
    [
        (StaleReplySignError("stale"), "failed", "failed", False),
        (RequestRejectedError("refused"), "failed", "failed", False),
        (AuthError("key"), "failed", "failed", False),
        (CapabilityError("premium"), "failed", "failed", False),
        (RateLimitedError("slow down", retry_after=5), "pending", "delayed", False),
        (DeliveryUnknownError("timeout"), "unknown", "unknown", True),
        (TransientError("refused connection"), "pending", "delayed", True),
        (UnexpectedResponseError("truncated"), "unknown", "unknown", True),
        (MarketplaceError("other"), "unknown", "unknown", True),
        (KeyError("bug"), "unknown", "unknown", True),
    ],
)
def test_every_error_type_has_one_outcome(chat, fake_connector, error, status, outcome, counted):
    message = queue_reply(chat)
    fake_connector.send_results = [error]

    assert deliver.message_deliver(message_id=message.pk) == outcome

    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == (status, 1 if counted else 0)
    assert message.last_error_detail == (error.message if isinstance(error, MarketplaceError) else "")
    assert len(fake_connector.sent) == 1


def test_an_ozon_window_that_closes_while_the_reply_is_in_flight_explains_the_refusal(
    chat, fake_connector, monkeypatch
):
    # A reply that leaves with its window open is not held back; the window may still close before
    # Ozon reads it, and its refusal then says why.
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    buyer_wrote = start - timedelta(hours=47, minutes=59, seconds=59)
    ingest(chat, UpdatesPage(messages=(remote_message("c1", "5", created_at=buyer_wrote),)))
    message = queue_reply(chat)
    closed = buyer_wrote + timedelta(hours=48, seconds=1)
    fake_connector.before_send = lambda: monkeypatch.setattr(timezone, "now", lambda: closed)
    fake_connector.send_results = [
        RequestRejectedError("Ozon отклонил сообщение: chat is closed", status=400)
    ]

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    assert len(fake_connector.sent) == 1
    message.refresh_from_db()
    with translation.override("ru"):
        reason = str(spec_for("ozon").reply_window.reason)
    assert message.last_error == f"Маркетплейс больше не принимает ответы в этом чате: {reason}."
    assert message.last_error_detail == "Ozon отклонил сообщение: chat is closed"


def test_an_english_agent_reads_the_reason_in_the_products_language(chat, fake_connector, settings):
    settings.LANGUAGE_CODE = "en"
    message = queue_reply(chat)
    fake_connector.send_results = [RequestRejectedError("Ozon: refused")]

    deliver.message_deliver(message_id=message.pk)

    assert Message.objects.get(pk=message.pk).last_error == "The marketplace refused the reply."


def test_a_disabled_account_fails_without_calling_the_marketplace(chat, fake_connector):
    type(chat.account).objects.filter(pk=chat.account_id).update(is_active=False)
    message = queue_reply(chat)

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (0, "Кабинет маркетплейса отключён: ответ не отправлен.")
    assert fake_connector.sent == []
