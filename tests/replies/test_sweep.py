"""The periodic settlement: every `unknown` reply is settled within two minutes by asking the marketplace."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import SyncState
from inbox.models import Chat, Message
from inbox.replies import deliver, sweep
from inbox.replies.create import message_send
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.errors import DeliveryUnknownError, RateLimitedError, TransientError
from marketplaces.types import Author, ChatKind, RecentMessages, RemoteMessage, SendReceipt, UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


@pytest.fixture
def chat(make_account, make_chat):
    return make_chat(make_account("ozon"), external_id="c1")


def queue_reply(chat: Chat, text: str = "Здравствуйте! Отправим завтра.") -> Message:
    with transaction.atomic():
        return message_send(chat=chat, user=None, text=text)


def unknown_reply(chat: Chat, fake_connector, text: str = "Здравствуйте! Отправим завтра.") -> Message:
    message = queue_reply(chat, text)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    message.refresh_from_db()
    return message


def buyer(chat: Chat, external_id: str, *, before: Message) -> RemoteMessage:
    return remote_message(chat.external_id, external_id, created_at=before.created_at - MINUTE)


def echo(message: Message, external_id: str = "9001") -> RemoteMessage:
    return remote_message(
        message.chat.external_id,
        external_id,
        message.text,
        author=Author.SELLER,
        created_at=message.created_at + timedelta(seconds=2),
    )


def test_echo_found_settles_to_sent_without_a_second_row_or_call(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)
    fake_connector.recent_results = [[buyer(chat, "1", before=message), echo(message)]]

    result = sweep.outbox_sweep(now=timezone.now() + MINUTE)

    assert (result.settled, result.resent, result.enqueued) == ([message.pk], [], [])
    message.refresh_from_db()
    assert (message.delivery_status, message.external_id, message.last_error) == ("sent", "9001", "")
    assert fake_connector.recent_calls == ["c1"]
    assert len(fake_connector.sent) == 1
    # The next sync brings the same echo: it is our row already, nothing is added.
    with transaction.atomic():
        page_apply(
            account=chat.account, page=UpdatesPage(messages=(echo(message),)), mode=IngestMode.INCREMENTAL
        )
    assert list(Message.objects.filter(chat=chat).values_list("external_id", flat=True)) == ["9001"]


def test_proven_absent_is_resent_once(chat, fake_connector, enqueued):
    message = unknown_reply(chat, fake_connector)
    fake_connector.recent_results = [[buyer(chat, "1", before=message)]]

    result = sweep.outbox_sweep(now=timezone.now() + MINUTE)

    assert result.resent == [message.pk]
    assert enqueued == [("inbox.tasks.deliver_message", (message.pk,))]
    assert Message.objects.get(pk=message.pk).delivery_status == "pending"
    fake_connector.send_results = [SendReceipt(sent_at=timezone.now())]
    assert deliver.message_deliver(message_id=message.pk) == "sent"
    assert sweep.outbox_sweep(now=timezone.now() + 2 * MINUTE).resent == []
    assert len(fake_connector.sent) == 2
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 2)


def unknown_reply_near_the_window_close(
    chat: Chat, fake_connector, monkeypatch
) -> tuple[Message, RemoteMessage]:
    """An `unknown` Ozon reply sent one minute before its chat's window closes; the clock then passes
    the close (the sweep asks after it)."""
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    last_buyer = remote_message("c1", "5", created_at=start - timedelta(hours=47, minutes=59))
    page = UpdatesPage(messages=(last_buyer,))
    with transaction.atomic():
        page_apply(account=chat.account, page=page, mode=IngestMode.INCREMENTAL)
    message = unknown_reply(chat, fake_connector)
    monkeypatch.setattr(timezone, "now", lambda: start + 2 * MINUTE)
    return message, last_buyer


def test_an_unknown_reply_is_settled_by_its_echo_after_the_window_closed(chat, fake_connector, monkeypatch):
    message, last_buyer = unknown_reply_near_the_window_close(chat, fake_connector, monkeypatch)
    fake_connector.recent_results = [[last_buyer, echo(message)]]

    result = sweep.outbox_sweep(now=timezone.now())

    assert (result.settled, result.resent) == ([message.pk], [])
    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "9001")
    assert len(fake_connector.sent) == 1


def test_a_reply_proven_absent_after_the_window_closed_fails_instead_of_a_resend(
    chat, fake_connector, monkeypatch
):
    message, last_buyer = unknown_reply_near_the_window_close(chat, fake_connector, monkeypatch)
    fake_connector.recent_results = [[last_buyer]]

    assert sweep.outbox_sweep(now=timezone.now()).resent == [message.pk]
    assert deliver.message_deliver(message_id=message.pk) == "failed"

    assert len(fake_connector.sent) == 1
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("failed", 1)
    assert message.last_error == (
        "Маркетплейс больше не принимает ответы в этом чате: "
        "Ozon: 48 ч после последнего сообщения покупателя."
    )


def test_resends_are_bounded(chat, fake_connector):
    message = queue_reply(chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")] * deliver.MAX_DELIVERY_ATTEMPTS
    fake_connector.recent_results = [[buyer(chat, "1", before=message)]]
    for _attempt in range(deliver.MAX_DELIVERY_ATTEMPTS):
        assert deliver.message_deliver(message_id=message.pk) == "unknown"
        sweep.outbox_sweep(now=timezone.now() + MINUTE)

    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("failed", 3)
    assert message.last_error == "Маркетплейс не получил ответ после 3 попыток."
    assert len(fake_connector.sent) == deliver.MAX_DELIVERY_ATTEMPTS
    assert deliver.message_deliver(message_id=message.pk) == "skipped"


def test_not_asked_before_the_echo_could_appear(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)
    fake_connector.recent_results = [[buyer(chat, "1", before=message)]]

    result = sweep.outbox_sweep(now=timezone.now() + timedelta(seconds=5))

    assert (result.resent, result.settled, fake_connector.recent_calls) == ([], [], [])
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"


@pytest.mark.parametrize(
    ("error", "wait"),
    [
        (TransientError("Ozon временно недоступен"), sweep.RECHECK_AFTER),
        (DeliveryUnknownError("обрыв"), sweep.RECHECK_AFTER),
        (RateLimitedError("Ozon ограничил частоту", retry_after=90), timedelta(seconds=90)),
    ],
)
def test_unreachable_marketplace_leaves_it_unknown_and_asks_again(chat, fake_connector, error, wait):
    message = unknown_reply(chat, fake_connector)
    fake_connector.recent_results = [error, [buyer(chat, "1", before=message), echo(message)]]
    now = timezone.now() + MINUTE

    result = sweep.outbox_sweep(now=now)

    assert (result.resent, result.settled, result.gave_up) == ([], [], 0)
    message.refresh_from_db()
    assert (message.delivery_status, message.next_attempt_at) == ("unknown", now + wait)
    assert sweep.outbox_sweep(now=now + wait).settled == [message.pk]
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"
    assert len(fake_connector.sent) == 1


def test_a_short_page_that_does_not_reach_back_proves_nothing(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)
    later = remote_message("c1", "50", created_at=message.created_at + timedelta(seconds=20))
    fake_connector.recent_results = [[later]]

    result = sweep.outbox_sweep(now=timezone.now() + MINUTE)

    assert (result.resent, result.settled) == ([], [])
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"
    assert len(fake_connector.sent) == 1


def test_never_confirmed_within_a_day_is_handed_back(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)
    Message.objects.filter(pk=message.pk).update(sending_started_at=timezone.now() - timedelta(hours=25))
    fake_connector.recent_results = [TransientError("недоступен")]

    assert sweep.outbox_sweep(now=timezone.now() + MINUTE).gave_up == 1

    message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert message.last_error == (
        "Не удалось подтвердить доставку. Проверьте чат в кабинете маркетплейса, прежде чем отправлять снова."
    )


def test_a_rate_limited_account_is_not_asked(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)
    blocked = timezone.now() + 3 * MINUTE
    SyncState.objects.filter(pk=chat.account_id).update(rate_limited_until=blocked)

    sweep.outbox_sweep(now=timezone.now() + MINUTE)

    assert fake_connector.recent_calls == []
    assert Message.objects.get(pk=message.pk).next_attempt_at == blocked


def test_dead_workers_sending_row_becomes_unknown_and_lost_tasks_are_requeued(chat, enqueued):
    stuck = queue_reply(chat, "застряло")
    Message.objects.filter(pk=stuck.pk).update(
        delivery_status="sending", attempts=1, sending_started_at=timezone.now() - timedelta(minutes=6)
    )
    lost = queue_reply(chat, "потерялось")
    Message.objects.filter(pk=lost.pk).update(inserted_at=timezone.now() - timedelta(minutes=3))
    fresh = queue_reply(chat, "только что")
    now = timezone.now()

    result = sweep.outbox_sweep(now=now)

    assert result.stuck_to_unknown == 1
    stuck.refresh_from_db()
    assert (stuck.delivery_status, stuck.last_error) == (
        "unknown",
        "Отправка прервалась; проверяем, дошёл ли ответ.",
    )
    assert stuck.next_attempt_at == now + deliver.ECHO_SETTLE
    assert result.enqueued == [lost.pk]
    assert fresh.pk not in result.enqueued
    assert enqueued == [("inbox.tasks.deliver_message", (lost.pk,))]


def test_seen_wildberries_question_answer_that_timed_out_and_never_arrived_is_resent_within_two_minutes(
    make_account, make_chat, fake_connector
):
    question = make_chat(make_account("wildberries"), external_id="question:q1", kind="question")
    message = queue_reply(question, "Да, размер соответствует таблице.")
    fake_connector.send_results = [DeliveryUnknownError("Wildberries: PATCH без ответа")]
    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    unknown_since = timezone.now()
    # GET /api/v1/question?id= shows the question and no answer: nothing arrived.
    fake_connector.recent_results = [
        [
            RemoteMessage(
                chat_external_id="question:q1",
                external_id="q1:question",
                author=Author.BUYER,
                text="Размер соответствует?",
                created_at=unknown_since - timedelta(hours=3),
            )
        ]
    ]

    # A question needs no grace period: the first sweep (at most a minute later) re-sends.
    assert Message.objects.get(pk=message.pk).next_attempt_at <= unknown_since
    assert sweep.outbox_sweep(now=unknown_since + MINUTE).resent == [message.pk]
    assert deliver.message_deliver(message_id=message.pk) == "sent"

    assert [text for _chat, text in fake_connector.sent] == ["Да, размер соответствует таблице."] * 2
    assert fake_connector.recent_calls == ["question:q1"]
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"
    assert Message.objects.filter(chat=question).count() == 1


def test_seen_yandex_market_reply_accepted_while_the_chat_moved_on_is_sent_within_two_minutes(
    make_account, make_chat, fake_connector
):
    ym_chat = make_chat(
        make_account("yandex_market"), external_id="55", marketplace_status="WAITING_FOR_CUSTOMER"
    )
    message = unknown_reply(ym_chat, fake_connector, "Заказ передан в доставку.")
    unknown_since = timezone.now()
    # The idle sync skips a chat waiting for the customer; its history has our reply.
    fake_connector.recent_results = [[buyer(ym_chat, "700", before=message), echo(message, "701")]]

    first = sweep.outbox_sweep(now=unknown_since + MINUTE)
    settled = first.settled or sweep.outbox_sweep(now=unknown_since + 2 * MINUTE).settled

    assert settled == [message.pk]
    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "701")
    assert len(fake_connector.sent) == 1
    assert fake_connector.recent_calls == ["55"]


def test_question_kind_from_the_spec_not_from_the_name(make_account, make_chat, fake_connector):
    """An Ozon chat of kind "question" does not exist in Ozon's spec: it waits like any chat."""
    chat = make_chat(make_account("ozon"), external_id="c9", kind=ChatKind.QUESTION)
    message = unknown_reply(chat, fake_connector)
    assert message.next_attempt_at > timezone.now()


def test_two_unknown_replies_of_one_chat_cost_one_question_to_the_marketplace(chat, fake_connector):
    first = unknown_reply(chat, fake_connector, "Первый ответ")
    second = unknown_reply(chat, fake_connector, "Второй ответ")
    fake_connector.recent_results = [[buyer(chat, "1", before=first), echo(second, "9002")]]

    result = sweep.outbox_sweep(now=timezone.now() + MINUTE)

    assert fake_connector.recent_calls == ["c1"]
    assert (result.settled, result.resent) == ([second.pk], [first.pk])
    assert Message.objects.get(pk=second.pk).external_id == "9002"


def test_a_feed_read_in_full_since_before_the_reply_proves_it_absent(chat, fake_connector, enqueued):
    """WB chats: the events feed of the last 30 minutes holds nothing of a chat whose buyer wrote days
    ago, so no older message can prove absence; the feed read in full since before the reply does."""
    message = unknown_reply(chat, fake_connector)
    fake_connector.recent_results = [RecentMessages([], complete_since=message.created_at - MINUTE)]

    result = sweep.outbox_sweep(now=timezone.now() + MINUTE)

    assert result.resent == [message.pk]
    message.refresh_from_db()
    assert message.delivery_status == "pending"


def test_a_feed_read_from_after_the_reply_proves_nothing(chat, fake_connector, enqueued):
    message = unknown_reply(chat, fake_connector)
    fake_connector.recent_results = [RecentMessages([], complete_since=message.created_at + MINUTE)]

    result = sweep.outbox_sweep(now=timezone.now() + MINUTE)

    assert result.resent == []
    message.refresh_from_db()
    assert message.delivery_status == "unknown"
