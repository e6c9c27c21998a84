"""Replies with a file against the sandbox through the real connectors: each file arrives once."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from inbox import sync
from inbox.models import Chat, Message
from inbox.replies import deliver, sweep
from inbox.services import message_send_once
from marketplaces import registry
from marketplaces.http import HttpClient
from sandbox import SandboxServer
from sandbox.assets import png_bytes
from tests.sync.test_end_to_end import account_for, chat_open_for_reply, sandbox  # noqa: F401  the sandbox fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

FILE_NAME = "Фото упаковки.png"
FILE_ENDPOINTS = {
    "wildberries": "/api/v1/seller/message",
    "ozon": "/v1/chat/send/file",
    "yandex_market": "/chats/file/send",
}


def file_calls(server: SandboxServer, marketplace: str) -> int:
    return sum(
        count
        for key, count in server.request_counts.items()
        if key.startswith("POST ") and key.endswith(FILE_ENDPOINTS[marketplace])
    )


def replies_with_the_file(server: SandboxServer, marketplace: str) -> list[dict]:
    cabinet = server.world.cabinet_find(marketplace=marketplace, reference=0)
    return [
        reply for reply in cabinet.replies if any(item["name"] == FILE_NAME for item in reply["attachments"])
    ]


def synced_chat(server: SandboxServer, account: MarketplaceAccount) -> Chat:
    first = sync.account_sync(account_id=account.pk, force=True)
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    return chat_open_for_reply(server, account)


def queue_file_reply(chat: Chat, *, text: str) -> list[Message]:
    """The rows queued for this reply, oldest first."""
    before = Message.objects.filter(chat=chat).order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        message_send_once(
            chat=chat,
            user=None,
            text=text,
            idempotency_key=None,
            files=[SimpleUploadedFile(FILE_NAME, png_bytes(), content_type="image/png")],
        )
    return list(Message.objects.filter(chat=chat, pk__gt=before).order_by("pk"))


def sync_for_echo(account: MarketplaceAccount) -> None:
    if account.marketplace == "yandex_market":
        # The YM connector re-lists answered chats only on its periodic full sweep: pretend it is due.
        state = SyncState.objects.get(pk=account.pk)
        state.cursor = {key: value for key, value in state.cursor.items() if key != "last_sweep_at"}
        state.save(update_fields=["cursor"])
    echo = sync.account_sync(account_id=account.pk, force=True)
    assert echo.outcome == SyncRun.Outcome.SUCCESS, echo.error


@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_a_reply_with_a_file_arrives_exactly_once(sandbox, marketplace, enqueued):  # noqa: F811
    account = account_for(sandbox, marketplace)
    target = synced_chat(sandbox, account)

    rows = queue_file_reply(target, text="Отправляем фото упаковки")
    # WB takes text and file in one request; Ozon and Yandex Market get the text first, then the file.
    assert len(rows) == (1 if marketplace == "wildberries" else 2)
    file_row = rows[-1]
    for row in rows:
        assert deliver.message_deliver(message_id=row.pk) == "sent", Message.objects.get(pk=row.pk).last_error
        assert deliver.message_deliver(message_id=row.pk) == "skipped"

    assert file_calls(sandbox, marketplace) == 1
    sent = replies_with_the_file(sandbox, marketplace)
    assert len(sent) == 1
    assert [item["size"] for item in sent[0]["attachments"]] == [len(png_bytes())]
    assert sent[0]["text"] == ("Отправляем фото упаковки" if marketplace == "wildberries" else "")

    sync_for_echo(account)

    file_row.refresh_from_db()
    assert file_row.delivery_status == "sent"
    assert file_row.external_id, "the echo of the file was not matched to our reply"
    with_the_file = [
        message
        for message in Message.objects.filter(chat=target)
        if any(item.get("name") == FILE_NAME for item in message.attachments)
    ]
    assert [message.pk for message in with_the_file] == [file_row.pk]
    assert file_calls(sandbox, marketplace) == 1


@pytest.fixture
def short_read_timeout(monkeypatch):
    """Connectors that give up reading an answer after 0.5 s, so a sandbox hang becomes a lost answer."""
    build = registry.get_connector

    def get_connector(account):
        connector = build(account)
        for value in vars(connector).values():
            if isinstance(value, HttpClient):
                value.timeout = (2.0, 0.5)
        return connector

    monkeypatch.setattr(registry, "get_connector", get_connector)


@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_lost_answer_is_resolved_by_the_echo_without_a_second_send(
    sandbox,  # noqa: F811
    marketplace,
    enqueued,
    short_read_timeout,
):
    account = account_for(sandbox, marketplace)
    target = synced_chat(sandbox, account)
    file_row = queue_file_reply(target, text="")[-1]

    # The marketplace takes the file, but its answer never comes back.
    sandbox.faults.configure(
        marketplace, {"timeout_share": 1, "timeout_seconds": 1.0, "timeout_phase": "after"}
    )
    assert deliver.message_deliver(message_id=file_row.pk) == "unknown"
    sandbox.faults.reset()
    assert len(replies_with_the_file(sandbox, marketplace)) == 1

    sync_for_echo(account)

    file_row.refresh_from_db()
    assert (file_row.delivery_status, file_row.last_error) == ("sent", "")
    assert file_row.external_id
    assert sweep.outbox_sweep().resent == []
    assert deliver.message_deliver(message_id=file_row.pk) == "skipped"
    assert file_calls(sandbox, marketplace) == 1
    assert len(replies_with_the_file(sandbox, marketplace)) == 1
    assert Message.objects.filter(chat=target, pk__gte=file_row.pk).count() == 1
