"""Buyers' personal data (152-FZ): kept only as long as needed, exported or erased on request.

Erasing keeps what reports need — messages (as rows), their times, directions, authors and delivery
states, order numbers and products — and removes what identifies or quotes a buyer: names, message
texts, previews, attachments and stored files.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from inbox.models import Chat, Message, OutgoingFile

PURGED_MARK = "personal_data_purged_at"
BATCH = 200


@dataclass(frozen=True)
class ErasedCounts:
    chats: int = 0
    messages: int = 0
    files: int = 0

    def __add__(self, other: "ErasedCounts") -> "ErasedCounts":
        return ErasedCounts(
            chats=self.chats + other.chats,
            messages=self.messages + other.messages,
            files=self.files + other.files,
        )


def chats_due_for_purge(*, older_than_days: int, now: datetime | None = None) -> QuerySet[Chat]:
    """Closed chats with no activity for longer than the retention period, not yet purged."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    return (
        Chat.objects.filter(status=Chat.Status.RESOLVED)
        .filter(Q(last_message_at__lt=cutoff) | Q(last_message_at__isnull=True, created_at__lt=cutoff))
        .exclude(extras__has_key=PURGED_MARK)
        .order_by("id")
    )


def chat_personal_data_erase(*, chat: Chat, now: datetime | None = None) -> ErasedCounts:
    now = now or timezone.now()
    with transaction.atomic():
        messages = Message.objects.filter(chat=chat)
        files, _detail = OutgoingFile.objects.filter(message__chat=chat).delete()
        erased = messages.exclude(text="", attachments=[]).update(text="", attachments=[], last_error="")
        extras = dict(chat.extras or {})
        extras[PURGED_MARK] = now.isoformat()
        Chat.objects.filter(pk=chat.pk).update(
            buyer_name="", last_message_preview="", extras=extras, updated_at=now
        )
    chat.buyer_name = ""
    chat.last_message_preview = ""
    chat.extras = extras
    return ErasedCounts(chats=1, messages=erased, files=files)


def personal_data_purge(
    *,
    older_than_days: int,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ErasedCounts:
    """Erase the personal data of every chat due; idempotent (a purged chat is never due again)."""
    now = now or timezone.now()
    due = chats_due_for_purge(older_than_days=older_than_days, now=now)
    total = due.count()
    if dry_run:
        messages = Message.objects.filter(chat__in=due).exclude(text="", attachments=[]).count()
        files = OutgoingFile.objects.filter(message__chat__in=due).count()
        return ErasedCounts(chats=total, messages=messages, files=files)
    summary = ErasedCounts()
    done = 0
    while True:
        batch = list(chats_due_for_purge(older_than_days=older_than_days, now=now)[:BATCH])
        if not batch:
            break
        for chat in batch:
            summary = summary + chat_personal_data_erase(chat=chat, now=now)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    return summary


def buyer_data_export(*, chat: Chat) -> dict[str, Any]:
    """Everything we hold about the buyer of one chat, as JSON-ready data."""
    return {
        "chat": {
            "id": chat.pk,
            "marketplace": chat.account.marketplace,
            "account": chat.account.name,
            "external_id": chat.external_id,
            "buyer_name": chat.buyer_name,
            "order_number": chat.order_number,
            "product": {"sku": chat.product_sku, "title": chat.product_title, "url": chat.product_url},
            "created_at": chat.created_at.isoformat(),
            "personal_data_purged_at": (chat.extras or {}).get(PURGED_MARK),
        },
        "messages": [
            {
                "id": message.pk,
                "external_id": message.external_id,
                "direction": message.direction,
                "author": message.author,
                "text": message.text,
                "attachments": message.attachments,
                "created_at": message.created_at.isoformat(),
            }
            for message in Message.objects.filter(chat=chat).order_by("created_at", "id")
        ],
    }
