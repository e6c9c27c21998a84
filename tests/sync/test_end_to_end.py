"""The sync engine and the outbox against the sandbox marketplaces through the real connectors."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from inbox import sync
from inbox.models import Chat, Message
from inbox.replies import create, deliver
from sandbox import SandboxServer, WorldOptions
from sandbox.activity import buyer_message_add

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(options=WorldOptions(seed=5, chats=6, questions=3), events_page_size=10).start()
    try:
        with override_settings(**server.urls):
            yield server
    finally:
        server.stop()


def account_for(sandbox: SandboxServer, marketplace: str) -> MarketplaceAccount:
    cabinet = sandbox.world.cabinet_find(marketplace=marketplace, reference=0)
    account = MarketplaceAccount.objects.create(
        marketplace=marketplace, name=f"sandbox {marketplace}", credentials=dict(cabinet.credentials)
    )
    SyncState.objects.create(account=account)
    return account


def chat_open_for_reply(server: SandboxServer, account: MarketplaceAccount) -> Chat:
    """A synced chat the marketplace still takes a reply in; a buyer writes now when every chat is past
    its reply window (Ozon: 48 h after the buyer's last message)."""
    chats = Chat.objects.filter(account=account, kind=Chat.Kind.CHAT, can_reply=True).order_by("pk")
    if chats.exists():
        return chats.first()
    cabinet = server.world.cabinet_find(marketplace=account.marketplace, reference=0)
    opened, _message = buyer_message_add(server.world, cabinet, text="Здравствуйте! Пришлите фото упаковки")
    again = sync.account_sync(account_id=account.pk, force=True)
    assert again.outcome == SyncRun.Outcome.SUCCESS, again.error
    return Chat.objects.get(account=account, external_id=opened.chat_id, can_reply=True)


@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_sync_is_complete_and_idempotent_and_a_reply_round_trips(sandbox, marketplace, enqueued):
    account = account_for(sandbox, marketplace)

    first = sync.account_sync(account_id=account.pk, force=True)

    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    assert first.counts.messages_created > 0
    messages = Message.objects.filter(chat__account=account)
    count = messages.count()
    assert count == first.counts.messages_created

    again = sync.account_sync(account_id=account.pk, force=True)
    assert again.outcome == SyncRun.Outcome.SUCCESS, again.error
    assert again.counts.messages_created == 0 and messages.count() == count

    target = chat_open_for_reply(sandbox, account)
    with transaction.atomic():
        reply = create.message_send(
            chat=target, user=None, text="Здравствуйте! Проверили заказ, всё в порядке."
        )
    assert deliver.message_deliver(message_id=reply.pk) == "sent", Message.objects.get(pk=reply.pk).last_error

    if marketplace == "yandex_market":
        # The YM connector re-lists answered chats only on its periodic full sweep: pretend it is due.
        state = SyncState.objects.get(pk=account.pk)
        state.cursor = {key: value for key, value in state.cursor.items() if key != "last_sweep_at"}
        state.save(update_fields=["cursor"])
    echo = sync.account_sync(account_id=account.pk, force=True)

    assert echo.outcome == SyncRun.Outcome.SUCCESS, echo.error
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert reply.external_id, "the echo was not matched to our reply"
    assert Message.objects.filter(chat=target, text=reply.text).count() == 1


def test_a_second_answer_to_a_wildberries_question_edits_the_one_answer(sandbox, enqueued):
    from inbox.replies.create import reply_create
    from inbox.replies.deliver import message_deliver

    account = account_for(sandbox, "wildberries")
    assert sync.account_sync(account_id=account.pk, force=True).outcome == SyncRun.Outcome.SUCCESS
    question = (
        Chat.objects.filter(account=account, kind=Chat.Kind.QUESTION, awaiting_reply_since__isnull=False)
        .order_by("pk")
        .first()
    )
    assert question is not None, "the sandbox world has no unanswered question"

    for text in ("Да, это натуральная кожа.", "Да, натуральная кожа; подкладка из хлопка."):
        with transaction.atomic():
            reply, _created = reply_create(chat=question, user=None, text=text, idempotency_key=None)
        assert message_deliver(message_id=reply.pk) == "sent", Message.objects.get(pk=reply.pk).last_error
        assert sync.account_sync(account_id=account.pk, force=True).outcome == SyncRun.Outcome.SUCCESS

    answers = list(
        Message.objects.filter(chat=question, direction="out").values_list(
            "text", "delivery_status", "edited_at"
        )
    )
    assert [(text, status) for text, status, _edited in answers] == [
        ("Да, натуральная кожа; подкладка из хлопка.", "sent")
    ]
    assert answers[0][2] is not None
    question.refresh_from_db()
    assert question.awaiting_reply_since is None
