"""Echo matching: the marketplace's copy of our reply is bound to our row, never stored as a second one."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Chat, Message
from inbox.replies import deliver, reconcile
from inbox.replies.create import message_send
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.errors import DeliveryUnknownError
from marketplaces.types import Author, UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_account, make_chat):
    return make_chat(make_account("ozon"), external_id="c1")


def unknown_reply(chat: Chat, fake_connector, text: str = "Здравствуйте! Отправим завтра.") -> Message:
    with transaction.atomic():
        message = message_send(chat=chat, user=None, text=text)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    deliver.message_deliver(message_id=message.pk)
    return Message.objects.select_related("chat__account").get(pk=message.pk)


def seller(external_id: str, text: str, *, at) -> object:
    return remote_message("c1", external_id, text, author=Author.SELLER, created_at=at)


def ingest(chat: Chat, *messages) -> None:
    with transaction.atomic():
        page_apply(account=chat.account, page=UpdatesPage(messages=messages), mode=IngestMode.INCREMENTAL)


def test_ingest_binds_the_echo_with_collapsed_whitespace(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)

    ingest(chat, seller("9001", "  Здравствуйте!\nОтправим   завтра. ", at=timezone.now()))

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "9001")
    assert Message.objects.filter(chat=chat).count() == 1


def test_a_different_text_is_a_cabinet_message(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)

    ingest(chat, seller("9001", "Ответ из кабинета продавца", at=timezone.now()))

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("unknown", None)
    assert Message.objects.filter(chat=chat, external_id="9001", direction="out", delivery_status="").exists()


def test_an_echo_far_from_the_send_time_is_not_ours(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)

    ingest(chat, seller("9001", message.text, at=timezone.now() + timedelta(hours=2)))

    assert Message.objects.get(pk=message.pk).external_id is None


def test_two_identical_replies_bind_to_two_echoes_in_order(chat, fake_connector):
    first = unknown_reply(chat, fake_connector, "Спасибо!")
    second = unknown_reply(chat, fake_connector, "Спасибо!")
    now = timezone.now()

    ingest(chat, seller("2", "Спасибо!", at=now + timedelta(seconds=5)), seller("1", "Спасибо!", at=now))

    assert Message.objects.get(pk=first.pk).external_id == "1"
    assert Message.objects.get(pk=second.pk).external_id == "2"
    assert Message.objects.filter(chat=chat).count() == 2


def test_late_echo_of_the_first_attempt_cancels_the_pending_resend(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)
    Message.objects.filter(pk=message.pk).update(delivery_status="pending", next_attempt_at=None)

    ingest(chat, seller("9001", message.text, at=timezone.now()))

    assert deliver.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 1
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"


def test_reply_check_verdicts(chat, fake_connector):
    message = unknown_reply(chat, fake_connector)
    before = remote_message("c1", "1", created_at=message.created_at - timedelta(minutes=1))
    after = remote_message("c1", "3", created_at=message.created_at + timedelta(seconds=30))
    cabinet = seller("2", "Другой текст", at=message.created_at + timedelta(seconds=10))

    assert reconcile.reply_check(message=message, recent=[after]) == reconcile.Verdict.UNPROVEN
    assert reconcile.reply_check(message=message, recent=[]) == reconcile.Verdict.UNPROVEN
    assert reconcile.reply_check(message=message, recent=[before, cabinet, after]) == reconcile.Verdict.ABSENT
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"
    echo = seller("4", message.text, at=message.created_at + timedelta(seconds=3))
    assert reconcile.reply_check(message=message, recent=[after, echo]) == reconcile.Verdict.MATCHED
    assert Message.objects.get(pk=message.pk).external_id == "4"


def test_reply_check_skips_an_echo_already_bound_to_another_reply(chat, fake_connector):
    first = unknown_reply(chat, fake_connector, "Спасибо!")
    echo = seller("1", "Спасибо!", at=timezone.now())
    ingest(chat, echo)
    assert Message.objects.get(pk=first.pk).external_id == "1"
    second = unknown_reply(chat, fake_connector, "Спасибо!")
    older = remote_message("c1", "0", created_at=second.created_at - timedelta(minutes=1))

    assert reconcile.reply_check(message=second, recent=[older, echo]) == reconcile.Verdict.ABSENT
    assert Message.objects.get(pk=second.pk).external_id is None


def test_cabinet_messages_cost_no_query_per_chat(make_account, make_chat):
    account = make_account("wildberries")
    chats = [make_chat(account, external_id=f"w{index}") for index in range(6)]
    now = timezone.now()

    def page(count: int, suffix: str) -> UpdatesPage:
        return UpdatesPage(
            messages=tuple(
                remote_message(
                    chat.external_id,
                    f"{chat.external_id}-{suffix}",
                    "Из кабинета",
                    author=Author.SELLER,
                    created_at=now,
                )
                for chat in chats[:count]
            )
        )

    counts = []
    for count, suffix in ((1, "a"), (6, "b")):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            page_apply(account=account, page=page(count, suffix), mode=IngestMode.INCREMENTAL)
        counts.append(len(queries))
    assert counts[0] == counts[1]
