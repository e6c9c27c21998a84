import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule

from accounts.models import SyncRun, SyncState
from inbox.models import Chat, Message
from inbox.services import outbox
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.errors import (
    AuthError,
    DeliveryUnknownError,
    RateLimitedError,
    RequestRejectedError,
    TransientError,
)
from marketplaces.types import Author, RemoteChat, SendReceipt, UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_account, make_chat):
    account = make_account("ozon")
    return make_chat(account, external_id="c1", awaiting_reply_since=timezone.now() - timedelta(minutes=5))


def queue_reply(chat: Chat, text: str = "Здравствуйте! Отправим завтра.") -> Message:
    with transaction.atomic():
        return outbox.message_send(chat=chat, user=None, text=text)


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
        message = outbox.message_send(chat=chat, user=None, text="Добрый день")
    assert enqueued == [("inbox.tasks.deliver_message", (message.pk,))]
    fake_connector.send_results = [SendReceipt(sent_at=timezone.now(), extras={"reply_sign": "new-sign"})]

    assert outbox.message_deliver(message_id=message.pk) == "sent"
    assert outbox.message_deliver(message_id=message.pk) == "skipped"

    assert [(ref.external_id, text) for ref, text in fake_connector.sent] == [("c1", "Добрый день")]
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None
    chat.refresh_from_db()
    assert chat.awaiting_reply_since is None
    assert chat.extras["reply_sign"] == "new-sign"


def test_send_inside_a_rolled_back_transaction_enqueues_nothing(
    chat, enqueued, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.message_send(chat=chat, user=None, text="Не уйдёт")
        raise RuntimeError("the view failed after queueing")
    assert callbacks == []
    assert enqueued == []
    assert Message.objects.count() == 0


def test_timeout_then_echo_resolves_to_sent_with_one_row_and_one_call(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("Ozon: запрос отправлен, но ответ не получен")]

    assert outbox.message_deliver(message_id=message.pk) == "unknown"
    message.refresh_from_db()
    assert message.delivery_status == "unknown"
    assert "Проверяем" in message.last_error

    ingest(chat, echo_page(message, text="  Здравствуйте!\nОтправим   завтра. "))

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id, message.last_error) == ("sent", "9001", "")
    assert Message.objects.filter(chat=chat).count() == 1
    assert len(fake_connector.sent) == 1
    assert outbox.outbox_sweep().resent == []
    assert outbox.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 1


def test_echo_of_a_different_text_is_a_new_seller_message(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    outbox.message_deliver(message_id=message.pk)

    ingest(chat, echo_page(message, text="Ответ из кабинета продавца"))

    message.refresh_from_db()
    assert message.delivery_status == "unknown" and message.external_id is None
    assert Message.objects.filter(chat=chat, external_id="9001", direction="out").exists()


def test_echo_while_send_is_in_flight_wins_over_a_late_timeout(chat, fake_connector):
    message = queue_reply(chat)

    def echo_arrives() -> None:
        ingest(chat, echo_page(message))

    fake_connector.before_send = echo_arrives
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]

    outbox.message_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "9001")


def make_overdue(message: Message, *, synced_after: bool) -> None:
    sent_at = timezone.now() - timedelta(minutes=11)
    Message.objects.filter(pk=message.pk).update(sending_started_at=sent_at)
    if synced_after:
        run = SyncRun.objects.create(account=message.chat.account, outcome=SyncRun.Outcome.SUCCESS)
        SyncRun.objects.filter(pk=run.pk).update(started_at=sent_at + timedelta(minutes=2))


def test_unknown_without_echo_after_grace_is_resent_exactly_once(chat, fake_connector, enqueued):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа"), SendReceipt(sent_at=timezone.now())]
    outbox.message_deliver(message_id=message.pk)
    make_overdue(message, synced_after=True)

    result = outbox.outbox_sweep()

    assert result.resent == [message.pk]
    assert ("inbox.tasks.deliver_message", (message.pk,)) in enqueued
    assert outbox.message_deliver(message_id=message.pk) == "sent"
    assert outbox.outbox_sweep().resent == []
    assert outbox.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 2
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 2)


def test_unknown_is_not_resent_before_a_sync_could_have_seen_the_echo(chat, fake_connector, enqueued):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    outbox.message_deliver(message_id=message.pk)
    make_overdue(message, synced_after=False)
    SyncState.objects.filter(pk=chat.account_id).update(next_sync_at=timezone.now() + timedelta(minutes=1))

    with transaction.atomic():
        result = outbox.outbox_sweep()

    assert result.resent == []
    assert result.syncs_requested == 1
    assert SyncState.objects.get(pk=chat.account_id).next_sync_at <= timezone.now()
    message.refresh_from_db()
    assert message.delivery_status == "unknown"
    assert len(fake_connector.sent) == 1


def test_late_echo_of_the_first_attempt_cancels_the_pending_resend(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    outbox.message_deliver(message_id=message.pk)
    make_overdue(message, synced_after=True)
    outbox.outbox_sweep()
    assert Message.objects.get(pk=message.pk).delivery_status == "pending"

    ingest(chat, echo_page(message))

    assert outbox.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 1
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"


def test_resends_are_bounded(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")] * outbox.MAX_DELIVERY_ATTEMPTS
    for _attempt in range(outbox.MAX_DELIVERY_ATTEMPTS):
        outbox.message_deliver(message_id=message.pk)
        make_overdue(message, synced_after=True)
        outbox.outbox_sweep()
    message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert "Проверьте чат в кабинете" in message.last_error
    assert len(fake_connector.sent) == outbox.MAX_DELIVERY_ATTEMPTS


def test_rejection_fails_with_the_marketplace_reason(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [
        RequestRejectedError(
            "Ozon отклонил сообщение: истекло время для ответа покупателю (48 ч)", status=400
        )
    ]

    assert outbox.message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert message.last_error == "Ozon отклонил сообщение: истекло время для ответа покупателю (48 ч)"
    assert Chat.objects.get(pk=chat.pk).awaiting_reply_since is not None


def test_auth_error_fails_without_unknown(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [AuthError("Ozon не принял ключ доступа")]
    assert outbox.message_deliver(message_id=message.pk) == "failed"
    assert Message.objects.get(pk=message.pk).last_error == "Ozon не принял ключ доступа"


def test_rate_limit_puts_the_reply_back_with_a_delayed_retry(
    chat, fake_connector, django_capture_on_commit_callbacks
):
    message = queue_reply(chat)
    fake_connector.send_results = [RateLimitedError("Ozon ограничил частоту запросов", retry_after=30)]
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.message_deliver(message_id=message.pk) == "delayed"

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
    assert outbox.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 1


def test_account_already_rate_limited_does_not_call_the_marketplace(chat, fake_connector):
    SyncState.objects.filter(pk=chat.account_id).update(
        rate_limited_until=timezone.now() + timedelta(minutes=2)
    )
    message = queue_reply(chat)
    assert outbox.message_deliver(message_id=message.pk) == "delayed"
    assert fake_connector.sent == []


def test_network_failure_before_the_request_left_is_retried_later(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [TransientError("Ozon: соединение не установлено")]
    assert outbox.message_deliver(message_id=message.pk) == "delayed"
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at > timezone.now()


def test_stale_wildberries_reply_sign_is_refreshed_once(make_account, make_chat, fake_connector):
    account = make_account("wildberries")
    wb_chat = make_chat(account, external_id="1:abc", extras={"reply_sign": "old"})
    message = queue_reply(wb_chat)
    fake_connector.fetch_chat_result = RemoteChat(external_id="1:abc", extras={"reply_sign": "fresh"})
    fake_connector.send_results = [
        RequestRejectedError("Wildberries отклонил сообщение: Invalid signature", status=400),
        SendReceipt(sent_at=timezone.now()),
    ]

    assert outbox.message_deliver(message_id=message.pk) == "sent"

    assert fake_connector.fetch_chat_calls == ["1:abc"]
    assert [ref.extras["reply_sign"] for ref, _text in fake_connector.sent] == ["old", "fresh"]
    assert Chat.objects.get(pk=wb_chat.pk).extras["reply_sign"] == "fresh"


def test_stale_reply_sign_twice_fails_after_one_refresh(make_account, make_chat, fake_connector):
    account = make_account("wildberries")
    wb_chat = make_chat(account, external_id="1:abc", extras={"reply_sign": "old"})
    message = queue_reply(wb_chat)
    fake_connector.fetch_chat_result = RemoteChat(external_id="1:abc", extras={"reply_sign": "fresh"})
    rejected = RequestRejectedError("Wildberries отклонил сообщение: Invalid signature", status=400)
    fake_connector.send_results = [rejected, rejected]

    assert outbox.message_deliver(message_id=message.pk) == "failed"
    assert len(fake_connector.sent) == 2 and fake_connector.fetch_chat_calls == ["1:abc"]


def test_sweep_turns_a_dead_workers_sending_row_into_unknown_and_requeues_lost_tasks(chat, enqueued):
    stuck = queue_reply(chat, "застряло")
    Message.objects.filter(pk=stuck.pk).update(
        delivery_status="sending", attempts=1, sending_started_at=timezone.now() - timedelta(minutes=6)
    )
    lost = queue_reply(chat, "потерялось")
    Message.objects.filter(pk=lost.pk).update(inserted_at=timezone.now() - timedelta(minutes=3))
    fresh = queue_reply(chat, "только что")

    result = outbox.outbox_sweep()

    assert result.stuck_to_unknown == 1
    assert Message.objects.get(pk=stuck.pk).delivery_status == "unknown"
    assert result.enqueued == [lost.pk]
    assert fresh.pk not in result.enqueued
    assert enqueued == [("inbox.tasks.deliver_message", (lost.pk,))]


def test_remote_read_marks_up_to_the_newest_incoming_message(chat, fake_connector):
    ingest(
        chat,
        UpdatesPage(messages=(remote_message("c1", "100", minute=1), remote_message("c1", "101", minute=2))),
    )
    assert outbox.chat_remote_read(chat_id=chat.pk) is True
    assert fake_connector.read_calls == [("c1", "101")]

    fake_connector.capabilities = type(fake_connector.capabilities)(max_text_length=1000, can_mark_read=False)
    assert outbox.chat_remote_read(chat_id=chat.pk) is False
    assert len(fake_connector.read_calls) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_make_one_http_call(make_account, make_chat, fake_connector):
    account = make_account("ozon")
    target = make_chat(account, external_id="c1")
    message = outbox.message_send(chat=target, user=None, text="Одно сообщение")
    barrier = threading.Barrier(2, timeout=5)
    results: list[str] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(outbox.message_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(results) == ["sent", "skipped"]
    assert len(fake_connector.sent) == 1
    assert Message.objects.get(pk=message.pk).attempts == 1


def test_unknown_is_not_resent_while_the_marketplace_shows_unseen_activity(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    outbox.message_deliver(message_id=message.pk)
    make_overdue(message, synced_after=True)
    # e.g. Yandex Market: the answered chat left the "waiting" list, so the quick sync did not see it.
    fake_connector.fetch_chat_result = RemoteChat(
        external_id="c1", last_message_at=timezone.now(), last_message_external_id="777"
    )

    result = outbox.outbox_sweep()

    assert result.resent == [] and result.syncs_requested == 1
    assert fake_connector.fetch_chat_calls == ["c1"]
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"
    assert len(fake_connector.sent) == 1
