"""Upserts of marketplace data: one page of chats and messages, applied with a fixed number of queries.

The sync engine calls `page_apply` inside the page's transaction (together with the cursor save), so
re-applying a page changes nothing and a crash never leaves half a page behind.
"""

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import MarketplaceAccount
from inbox.counts import SyncCounts
from inbox.models import Chat, Message
from inbox.replies.reconcile import answer_edit_apply, replies_reconcile, single_answer_kinds
from inbox.services.aggregates import attachments_serialise, chat_aggregates_refresh, counts_from_rows
from inbox.services.bulk import collector_paused, rows_insert_ignoring_conflicts, rows_insert_of_chats
from marketplaces.types import Author, RemoteChat, RemoteMessage, UpdatesPage
from service.deadlines import page_chat_deadlines_refresh
from service.turns import new_chat_events

# Every field `_chat_metadata` may set, so that all rows of one insert carry the same columns.
NEW_CHAT_METADATA: dict[str, Any] = {
    "kind": str(Chat.Kind.CHAT),
    "buyer_name": "",
    "order_number": "",
    "product_sku": "",
    "product_title": "",
    "product_url": "",
    "marketplace_status": "",
    "reply_deadline": None,
}


class IngestMode(StrEnum):
    INCREMENTAL = "incremental"
    BACKFILL = "backfill"


# The one counts type (inbox/counts.py); the name stays for the code below.
IngestResult = SyncCounts


def _chat_metadata(remote: RemoteChat) -> dict[str, Any]:
    """Chat fields a marketplace may tell us; empty values never erase what we already know."""
    values: dict[str, Any] = {"kind": str(remote.kind)}
    if remote.buyer_name:
        values["buyer_name"] = remote.buyer_name[:200]
    if remote.order_number:
        values["order_number"] = remote.order_number[:100]
    if remote.product is not None:
        if remote.product.sku:
            values["product_sku"] = remote.product.sku[:100]
        if remote.product.title:
            values["product_title"] = remote.product.title[:500]
        if remote.product.url:
            values["product_url"] = remote.product.url[:500]
    if remote.marketplace_status:
        values["marketplace_status"] = remote.marketplace_status[:64]
    if remote.reply_deadline is not None:
        values["reply_deadline"] = remote.reply_deadline
    return values


def _chat_row(*, account: MarketplaceAccount, external_id: str, remote: RemoteChat | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_id": account.pk,
        "external_id": external_id,
        **NEW_CHAT_METADATA,
        "extras": dict(remote.extras) if remote else {},
    }
    if remote is not None:
        row.update(_chat_metadata(remote))
    return row


def _chats_upsert(
    *, account: MarketplaceAccount, page: UpdatesPage, result: IngestResult, now: datetime
) -> tuple[dict[str, Chat], set[str]]:
    remote_chats = {remote.external_id: remote for remote in page.chats}
    needed = set(remote_chats) | {message.chat_external_id for message in page.messages}
    if not needed:
        return {}, set()
    chats = {chat.external_id: chat for chat in Chat.objects.filter(account=account, external_id__in=needed)}
    missing = needed - set(chats)
    if missing:
        rows = [
            _chat_row(account=account, external_id=external_id, remote=remote_chats.get(external_id))
            for external_id in sorted(missing)
        ]
        inserted = rows_insert_ignoring_conflicts(model=Chat, rows=rows, now=now)
        chats.update(
            (chat.external_id, chat) for chat in Chat.objects.filter(account=account, external_id__in=missing)
        )
        result.chats_created = inserted

    changed: list[Chat] = []
    changed_fields: set[str] = set()
    for external_id, remote in remote_chats.items():
        if external_id in missing:
            continue
        chat = chats[external_id]
        fields = []
        for name, value in _chat_metadata(remote).items():
            if getattr(chat, name) != value:
                setattr(chat, name, value)
                fields.append(name)
        if remote.extras:
            merged = {**chat.extras, **remote.extras}
            if merged != chat.extras:
                chat.extras = merged
                fields.append("extras")
        if fields:
            chat.updated_at = now
            changed.append(chat)
            changed_fields.update([*fields, "updated_at"])
    if changed:
        Chat.objects.bulk_update(changed, sorted(changed_fields))
        result.chats_updated = len(changed)
    if result.chats_created < len(missing):
        # Another transaction created some of them (outside the account's lease): which ones is not
        # known, so none is taken as this page's own, and their messages meet stored ones as usual.
        return chats, set()
    return chats, missing


def _messages_existing(
    *, keys: Iterable[tuple[int, str]], new_chat_ids: set[int]
) -> dict[tuple[int, str], Message]:
    # A chat created by this page has no stored messages yet, so a backfill skips the lookup entirely.
    wanted = [key for key in keys if key[0] not in new_chat_ids]
    if not wanted:
        return {}
    return {
        (message.chat_id, message.external_id): message
        for message in Message.objects.filter(
            chat_id__in={key[0] for key in wanted}, external_id__in={key[1] for key in wanted}
        ).only(
            "pk",
            "chat_id",
            "external_id",
            "text",
            "attachments",
            "is_read",
            "direction",
            "delivery_status",
            "edited_at",
        )
    }


def _messages_upsert(
    *,
    chats: dict[str, Chat],
    new_chat_ids: set[int],
    page: UpdatesPage,
    mode: IngestMode,
    result: IngestResult,
    now: datetime,
    marketplace: str = "",
) -> tuple[set[int], list[tuple[Chat, RemoteMessage]], list[dict[str, Any]]]:
    """Returns the ids of chats whose messages changed, the newly created messages, and the rows
    inserted into chats this page created (they are those chats' whole history)."""
    chat_ids = {external_id: chat.pk for external_id, chat in chats.items()}
    chats_by_id = {chat.pk: chat for chat in chats.values()}
    remote_messages: dict[tuple[int, str], RemoteMessage] = {
        (chat_ids[remote.chat_external_id], remote.external_id): remote for remote in page.messages
    }
    if not remote_messages:
        return set(), [], []
    existing = _messages_existing(keys=remote_messages, new_chat_ids=new_chat_ids)
    touched: set[int] = set()
    new_keys = [key for key in remote_messages if key not in existing]
    echoes = [
        (chats_by_id[key[0]], remote_messages[key])
        for key in new_keys
        if key[0] not in new_chat_ids
        and remote_messages[key].author == Author.SELLER
        and (remote_messages[key].text.strip() or remote_messages[key].attachments)
    ]
    matched = replies_reconcile(echoes=echoes)
    result.replies_matched += len(matched)
    result.matched_message_ids.extend(matched.values())
    touched.update(chat_id for chat_id, _external_id in matched)

    created: list[tuple[Chat, RemoteMessage]] = []
    rows: list[dict[str, Any]] = []
    backfill = mode == IngestMode.BACKFILL
    for key in new_keys:
        if key in matched:
            continue
        chat_id = key[0]
        remote = remote_messages[key]
        outgoing = remote.author == Author.SELLER
        rows.append(
            {
                "chat_id": chat_id,
                "external_id": remote.external_id,
                "direction": Message.Direction.OUT.value if outgoing else Message.Direction.IN.value,
                "author": str(remote.author),
                "text": remote.text,
                "attachments": attachments_serialise(attachments=remote.attachments)
                if remote.attachments
                else [],
                "created_at": remote.created_at,
                "idempotency_key": None,
                "is_read": outgoing or backfill or bool(remote.is_read),
            }
        )
        created.append((chats_by_id[chat_id], remote))
        touched.add(chat_id)
    result.messages_created = rows_insert_of_chats(
        model=Message, rows=rows, now=now, new_chat_ids=new_chat_ids
    )
    new_chat_rows = [row for row in rows if row["chat_id"] in new_chat_ids]

    changed: list[Message] = []
    one_answer_kinds = single_answer_kinds(marketplace=marketplace)
    for key, message in existing.items():
        remote = remote_messages[key]
        dirty = False
        if message.direction == Message.Direction.OUT and chats_by_id[key[0]].kind in one_answer_kinds:
            # The chat's one answer (WB questions) keeps its id while its text changes.
            if answer_edit_apply(message=message, remote=remote, now=now):
                changed.append(message)
                touched.add(message.chat_id)
            continue
        if message.delivery_status != Message.DeliveryStatus.NONE:
            # Our own reply, already bound to its echo: keep what the agent wrote and attached (an Ozon
            # file echo, for one, carries a Markdown link as its text).
            continue
        if remote.text and remote.text != message.text:
            message.text = remote.text
            dirty = True
        attachments = attachments_serialise(attachments=remote.attachments)
        if attachments and attachments != message.attachments:
            message.attachments = attachments
            dirty = True
        if message.direction == Message.Direction.IN and remote.is_read and not message.is_read:
            message.is_read = True
            dirty = True
        if dirty:
            changed.append(message)
            touched.add(message.chat_id)
    if changed:
        Message.objects.bulk_update(changed, ["text", "attachments", "is_read", "edited_at"])
        result.messages_updated = len(changed)
    return touched, created, new_chat_rows


def page_apply(*, account: MarketplaceAccount, page: UpdatesPage, mode: IngestMode) -> SyncCounts:
    """Upsert one page. Must run inside the caller's transaction (the one that also saves the cursor)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("page_apply must run inside transaction.atomic() together with the cursor save")
    if mode == IngestMode.BACKFILL and connection.vendor == "postgresql":
        # A backfill page need not wait for its WAL flush: a crash can lose only the last commits, and
        # each takes its cursor with it, so the walk resumes before them and nothing is lost or doubled.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    with collector_paused():
        return _page_apply(account=account, page=page, mode=mode)


def _page_apply(*, account: MarketplaceAccount, page: UpdatesPage, mode: IngestMode) -> SyncCounts:
    now = timezone.now()
    result = SyncCounts(pages=1, requests=page.requests_made, skipped=len(page.skipped))
    chats, created_chat_ids = _chats_upsert(account=account, page=page, result=result, now=now)
    if not chats:
        return result
    previous_last = {chat.pk: chat.last_message_at for chat in chats.values()}
    new_chat_ids = {chats[external_id].pk for external_id in created_chat_ids}
    touched, created, new_chat_rows = _messages_upsert(
        chats=chats,
        new_chat_ids=new_chat_ids,
        page=page,
        mode=mode,
        result=result,
        now=now,
        marketplace=account.marketplace,
    )
    reopen_after: dict[int, datetime | None] = {}
    if mode == IngestMode.INCREMENTAL:
        for chat, remote in created:
            before = previous_last.get(chat.pk)
            if remote.author == Author.BUYER and (before is None or remote.created_at > before):
                reopen_after[chat.pk] = before
    affected = [chat for chat in chats.values() if chat.pk in touched or chat.external_id in created_chat_ids]
    page_messages = [(chats[remote.chat_external_id], remote) for remote in page.messages]
    chat_aggregates_refresh(
        chats=affected,
        page_messages=page_messages,
        reopen_after=reopen_after,
        now=now,
        known_counts=counts_from_rows(chat_ids=new_chat_ids, rows=new_chat_rows),
    )
    page_chat_deadlines_refresh(
        account=account,
        chats=sorted(
            (chat for chat in chats.values() if chat.pk in touched or chat.updated_at == now),
            key=lambda chat: chat.pk,
        ),
        new_chats_events=new_chat_events(chat_ids=new_chat_ids, rows=new_chat_rows),
        now=now,
    )
    return result


def page_preview(*, account: MarketplaceAccount, page: UpdatesPage) -> SyncCounts:
    """What `page_apply` would create, without writing anything (backfill --dry-run)."""
    result = SyncCounts(pages=1, requests=page.requests_made, skipped=len(page.skipped))
    needed = {remote.external_id for remote in page.chats} | {m.chat_external_id for m in page.messages}
    known = dict(
        Chat.objects.filter(account=account, external_id__in=needed).values_list("external_id", "pk")
    )
    result.chats_created = len(needed - set(known))
    existing = set(
        Message.objects.filter(
            chat_id__in=known.values(), external_id__in={m.external_id for m in page.messages}
        ).values_list("chat__external_id", "external_id")
    )
    result.messages_created = len({(m.chat_external_id, m.external_id) for m in page.messages} - existing)
    return result
