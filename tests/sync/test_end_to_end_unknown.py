"""Replies whose answer was lost, settled against the sandbox through the real connectors (issue 10's two
seen cases): the sweep asks the marketplace about the one chat, and the buyer gets the reply once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncRun
from inbox import sync
from inbox.models import Chat, Message
from inbox.replies import deliver, sweep
from inbox.replies.create import reply_create
from marketplaces import registry
from sandbox import SandboxServer
from tests.sync.test_end_to_end import account_for, sandbox  # noqa: F401  the sandbox fixture
from tests.sync.test_end_to_end_files import short_read_timeout  # noqa: F401  lost answers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TWO_MINUTES = timedelta(minutes=2)


def synced(account: MarketplaceAccount) -> None:
    outcome = sync.account_sync(account_id=account.pk, force=True)
    assert outcome.outcome == SyncRun.Outcome.SUCCESS, outcome.error


def asks_about_one_chat(account: MarketplaceAccount) -> None:
    if not callable(getattr(registry.get_connector(account), "chat_recent_messages", None)):
        pytest.skip("this connector has no chat_recent_messages yet (marketplaces/base.py protocol)")


def reply(chat: Chat, text: str) -> Message:
    with transaction.atomic():
        message, _created = reply_create(chat=chat, user=None, text=text, idempotency_key=None)
    return message


def replies_received(server: SandboxServer, marketplace: str, text: str) -> int:
    cabinet = server.world.cabinet_find(marketplace=marketplace, reference=0)
    return sum(1 for item in cabinet.replies if item["text"] == text)


def settle_within_two_minutes(message: Message) -> list[str]:
    """Run the minute sweep as the scheduler would (and the delivery task it enqueues) for two minutes."""
    unknown_since = timezone.now()
    steps = []
    for minute in (1, 2):
        result = sweep.outbox_sweep(now=unknown_since + timedelta(minutes=minute))
        if message.pk in result.resent:
            steps.append("resent")
            steps.append(deliver.message_deliver(message_id=message.pk))
        if message.pk in result.settled:
            steps.append("settled")
        if Message.objects.get(pk=message.pk).delivery_status == "sent":
            return steps
    return steps


def test_wildberries_question_answer_lost_before_it_arrived_is_resent_once(
    sandbox,  # noqa: F811
    enqueued,
    short_read_timeout,  # noqa: F811
):
    account = account_for(sandbox, "wildberries")
    asks_about_one_chat(account)
    synced(account)
    question = (
        Chat.objects.filter(account=account, kind=Chat.Kind.QUESTION, awaiting_reply_since__isnull=False)
        .order_by("pk")
        .first()
    )
    message = reply(question, "Да, размер соответствует таблице на карточке.")
    # The PATCH times out before WB takes it: nothing arrives.
    sandbox.faults.configure(
        "wildberries", {"timeout_share": 1, "timeout_seconds": 1.0, "timeout_phase": "before"}
    )
    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    sandbox.faults.reset()
    assert replies_received(sandbox, "wildberries", message.text) == 0

    assert settle_within_two_minutes(message) == ["resent", "sent"]

    assert replies_received(sandbox, "wildberries", message.text) == 1
    synced(account)
    assert list(
        Message.objects.filter(chat=question, direction="out").values_list("text", "delivery_status")
    ) == [(message.text, "sent")]


def test_yandex_market_reply_taken_but_answer_lost_is_sent_without_a_resend(
    sandbox,  # noqa: F811
    enqueued,
    short_read_timeout,  # noqa: F811
):
    account = account_for(sandbox, "yandex_market")
    asks_about_one_chat(account)
    synced(account)
    chat = Chat.objects.filter(account=account, kind=Chat.Kind.CHAT).order_by("pk").first()
    message = reply(chat, "Заказ передан в доставку, ждите курьера завтра.")
    # YM takes the message (the chat moves to waiting-for-customer), but its answer never comes back.
    sandbox.faults.configure(
        "yandex_market", {"timeout_share": 1, "timeout_seconds": 1.0, "timeout_phase": "after"}
    )
    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    sandbox.faults.reset()
    assert replies_received(sandbox, "yandex_market", message.text) == 1

    assert settle_within_two_minutes(message) == ["settled"]

    message.refresh_from_db()
    assert message.external_id
    assert replies_received(sandbox, "yandex_market", message.text) == 1
    assert Message.objects.filter(chat=chat, text=message.text).count() == 1
