"""A chat's figures kept from its messages: unread count, awaiting-reply time, last message and preview.

Ingest refreshes them for the chats a page touched; replies and attachments use the same row shapes.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, DateTimeField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from inbox.models import Chat, Message
from inbox.services.bulk import rows_update_by_pk
from marketplaces.types import RemoteAttachment, RemoteMessage

PREVIEW_LENGTH = 300
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Seller messages that count as "answered": everything from the marketplace and our confirmed replies.
ANSWERED_STATUSES = (Message.DeliveryStatus.NONE, Message.DeliveryStatus.SENT)
AGGREGATE_FIELDS = (
    "unread_count",
    "awaiting_reply_since",
    "last_message_at",
    "last_message_external_id",
    "last_message_preview",
    "status",
    "snoozed_until",
    "updated_at",
)


def attachments_serialise(*, attachments: Iterable[RemoteAttachment]) -> list[dict[str, Any]]:
    return [
        {
            "kind": str(item.kind),
            "name": item.name,
            "content_type": item.content_type,
            "size": item.size,
            "remote_id": item.remote_id,
            "url": item.url,
            "moderation": str(item.moderation),
            # Only product cards have a price; other attachments keep their stored shape.
            **({"price": item.price} if item.price else {}),
        }
        for item in attachments
    ]


def message_preview(*, text: str, attachments: list[dict[str, Any]]) -> str:
    preview = " ".join(text.split())
    if not preview and attachments:
        names = ", ".join(item.get("name") or "" for item in attachments).strip(", ")
        preview = f"📎 {names}" if names else "📎"
    return preview[:PREVIEW_LENGTH]


def order_key(*, created_at: datetime, external_id: str) -> tuple[datetime, str]:
    # Equal timestamps happen (WB ms, Ozon per second): break ties by the id, numerically when numeric,
    # so the "last message" does not depend on which page an item came in.
    return created_at, external_id.rjust(40, "0") if external_id.isdigit() else external_id


def _counts_query(*, chat_ids: set[int]) -> dict[int, tuple[int, datetime | None]]:
    """Unread count and awaiting-reply-since of each chat, from its stored messages."""
    if not chat_ids:
        return {}
    unread = dict(
        Message.objects.filter(chat_id__in=chat_ids, direction=Message.Direction.IN, is_read=False)
        .order_by()
        .values_list("chat_id")
        .annotate(count=Count("pk"))
    )
    last_seller = (
        Message.objects.filter(
            chat=OuterRef("pk"), author=Message.Author.SELLER, delivery_status__in=ANSWERED_STATUSES
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    first_buyer_after = (
        Message.objects.filter(
            chat=OuterRef("pk"), author=Message.Author.BUYER, created_at__gt=OuterRef("last_seller_at")
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    awaiting = dict(
        Chat.objects.filter(pk__in=chat_ids)
        .annotate(last_seller_at=Coalesce(Subquery(last_seller), Value(EPOCH, output_field=DateTimeField())))
        .annotate(awaiting=Subquery(first_buyer_after))
        .values_list("pk", "awaiting")
    )
    return {chat_id: (unread.get(chat_id, 0), awaiting.get(chat_id)) for chat_id in chat_ids}


def counts_from_rows(
    *, chat_ids: Iterable[int], rows: Iterable[dict[str, Any]]
) -> dict[int, tuple[int, datetime | None]]:
    """The same figures as `_counts_query` for chats whose whole history is `rows` (chats new in this
    page), computed without a query. Inserted marketplace messages all count as answered."""
    by_chat: dict[int, list[dict[str, Any]]] = {chat_id: [] for chat_id in chat_ids}
    for row in rows:
        by_chat[row["chat_id"]].append(row)
    counts: dict[int, tuple[int, datetime | None]] = {}
    for chat_id, chat_rows in by_chat.items():
        unread = sum(
            1 for row in chat_rows if row["direction"] == Message.Direction.IN and not row["is_read"]
        )
        last_seller = max(
            (row["created_at"] for row in chat_rows if row["author"] == Message.Author.SELLER), default=EPOCH
        )
        awaiting = min(
            (
                row["created_at"]
                for row in chat_rows
                if row["author"] == Message.Author.BUYER and row["created_at"] > last_seller
            ),
            default=None,
        )
        counts[chat_id] = (unread, awaiting)
    return counts


def chat_aggregates_refresh(
    *,
    chats: Iterable[Chat],
    page_messages: Iterable[tuple[Chat, RemoteMessage]] = (),
    reopen_after: dict[int, datetime | None] | None = None,
    now: datetime | None = None,
    known_counts: dict[int, tuple[int, datetime | None]] | None = None,
) -> int:
    """Recompute unread count, last message and awaiting-reply for `chats`; returns how many changed.

    `page_messages` are the marketplace messages just ingested (the last-message fields follow only
    marketplace data, so they double as the sync position); `reopen_after` maps chat ids to the last
    message time before the page: a buyer message newer than that reopens a resolved or snoozed chat.
    `known_counts` gives the unread count and awaiting-reply time of chats already computed elsewhere;
    the others are counted from the database.
    """
    chats = {chat.pk: chat for chat in chats}
    if not chats:
        return 0
    now = now or timezone.now()
    counts = dict(known_counts or {})
    counts.update(_counts_query(chat_ids={chat_id for chat_id in chats if chat_id not in counts}))
    # Each chat's newest page message, with its order key.
    newest: dict[int, tuple[tuple[datetime, str], RemoteMessage]] = {}
    for chat, remote in page_messages:
        current = newest.get(chat.pk)
        key = order_key(created_at=remote.created_at, external_id=remote.external_id)
        if current is None or key > current[0]:
            newest[chat.pk] = (key, remote)
    reopen_after = reopen_after or {}

    changed: list[Chat] = []
    for chat_id, chat in chats.items():
        unread_count, awaiting_since = counts[chat_id]
        values: dict[str, Any] = {"unread_count": unread_count, "awaiting_reply_since": awaiting_since}
        if chat_id in newest:
            key, remote = newest[chat_id]
            if chat.last_message_at is None or key > order_key(
                created_at=chat.last_message_at, external_id=chat.last_message_external_id
            ):
                values["last_message_at"] = remote.created_at
                values["last_message_external_id"] = remote.external_id
                values["last_message_preview"] = message_preview(
                    text=remote.text, attachments=attachments_serialise(attachments=remote.attachments)
                )
        if chat_id in reopen_after and chat.status != Chat.Status.OPEN:
            values["status"] = Chat.Status.OPEN
            values["snoozed_until"] = None
        fields = [name for name, value in values.items() if getattr(chat, name) != value]
        if fields:
            for name in fields:
                setattr(chat, name, values[name])
            chat.updated_at = now
            changed.append(chat)
    rows_update_by_pk(
        model=Chat,
        field_names=AGGREGATE_FIELDS,
        rows=((chat.pk, [getattr(chat, name) for name in AGGREGATE_FIELDS]) for chat in changed),
    )
    return len(changed)
