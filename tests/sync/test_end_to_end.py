"""The sync engine and the outbox against the sandbox marketplaces through the real connectors."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from inbox import sync
from inbox.models import Chat, Message
from inbox.services import outbox
from sandbox import SandboxServer, WorldOptions

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


@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_sync_is_complete_and_idempotent_and_a_reply_round_trips(sandbox, marketplace, enqueued):
    account = account_for(sandbox, marketplace)

    first = sync.account_sync(account_id=account.pk, force=True)

    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    assert first.messages_created > 0
    chats = Chat.objects.filter(account=account)
    messages = Message.objects.filter(chat__account=account)
    count = messages.count()
    assert count == first.messages_created

    again = sync.account_sync(account_id=account.pk, force=True)
    assert again.outcome == SyncRun.Outcome.SUCCESS, again.error
    assert again.messages_created == 0 and messages.count() == count

    target = chats.filter(kind=Chat.Kind.CHAT).order_by("pk").first()
    with transaction.atomic():
        reply = outbox.message_send(
            chat=target, user=None, text="Здравствуйте! Проверили заказ, всё в порядке."
        )
    assert outbox.message_deliver(message_id=reply.pk) == "sent", Message.objects.get(pk=reply.pk).last_error

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
