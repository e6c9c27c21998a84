"""Attachments: fetched from the marketplace once, kept in Django storage, served through our own view.

The browser never sees marketplace tokens or URLs. A failing fetch is retried with backoff, and a page
refresh inside the backoff (or while WB still moderates the file) does not ask the marketplace again.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any
from urllib.parse import unquote

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from inbox.models import Message, OutgoingFile, StoredAttachment
from marketplaces import registry
from marketplaces.errors import AttachmentPendingError, AttachmentRejectedError, MarketplaceError
from marketplaces.types import Download

State = StoredAttachment.State

BACKOFF_FIRST_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
# How long one request may hold a fetch before another may try (the HTTP client's timeouts are 5 + 30 s).
FETCH_CLAIM_SECONDS = 60
MODERATION_RETRY_SECONDS = 60
# A file in WB moderation is checked again in the background (the thread shows a placeholder, not a
# link, so no page would ask again); a day and more of checks, then the placeholder stays.
MODERATION_MAX_CHECKS = 30
RECHECK_TASK = "inbox.attachments.attachment_recheck_task"
# WB answers 451 for a file its moderation rejected (wb-09-communications, GET /api/v1/seller/download/{id}).
REJECTED_STATUS = 451


@dataclass(frozen=True)
class AttachmentContent:
    """What the download view answers: the bytes (state `stored`) or the state with a retry hint."""

    state: str
    name: str = ""
    content_type: str = ""
    size: int = 0
    etag: str = ""
    # Seconds until the marketplace is asked again (moderation, backoff, a fetch in progress).
    retry_after: int = 0
    reason: str = ""
    opener: Callable[[], IO[bytes]] | None = None
    # Bytes already in memory (our own reply's file, kept in the database).
    in_memory: bytes | None = None


def attachment_item(*, message: Message, index: int) -> dict[str, Any]:
    attachments = message.attachments if isinstance(message.attachments, list) else []
    if index < 0 or index >= len(attachments) or not isinstance(attachments[index], dict):
        raise IndexError(f"message {message.pk} has no attachment {index}")
    return attachments[index]


def attachment_fetch(*, message: Message, index: int) -> Download:
    """Download attachment `index` of `message` from its marketplace (no storage, no backoff).

    Raises IndexError for a missing attachment, AttachmentPendingError while the marketplace is still
    moderating the file, AttachmentRejectedError when it never will serve it, other MarketplaceErrors.
    """
    item = attachment_item(message=message, index=index)
    if item.get("moderation") == "rejected":
        raise AttachmentRejectedError(
            gettext("The marketplace rejected this file in moderation; it cannot be downloaded.")
        )
    if message.direction == Message.Direction.OUT and index == 0:
        # Our own reply's file: we hold its bytes (before the echo there is no remote copy to fetch,
        # and Yandex Market or Ozon would not serve it through the API anyway).
        stored = OutgoingFile.objects.filter(message=message).first()
        if stored is not None:
            return Download(content=bytes(stored.content), content_type=stored.content_type, name=stored.name)
    connector = registry.get_connector(message.chat.account)
    return connector.download_attachment(
        remote_id=str(item.get("remote_id") or ""), url=str(item.get("url") or "")
    )


def attachment_get(*, message: Message, index: int, now: datetime | None = None) -> AttachmentContent:
    """The attachment's bytes from storage, fetching them from the marketplace at most once.

    Raises IndexError for a missing attachment. Every other outcome is a state: `stored` (with an
    opener), `moderation`, `rejected`, `failed` or `pending` (with `retry_after`).
    """
    now = now or timezone.now()
    item = attachment_item(message=message, index=index)
    if item.get("moderation") == "rejected":
        return AttachmentContent(state=State.REJECTED, name=attachment_name(item=item))
    if message.direction == Message.Direction.OUT and index == 0:
        outgoing = OutgoingFile.objects.filter(message=message).first()
        if outgoing is not None:
            return _outgoing_content(outgoing=outgoing)
    row = _row_get_or_create(message=message, index=index, item=item)
    if row.state == State.STORED:
        return _stored_content(row=row)
    if row.state == State.REJECTED:
        return _state_content(row=row, now=now)
    claimed = (
        StoredAttachment.objects.filter(pk=row.pk)
        .exclude(state__in=[State.STORED, State.REJECTED])
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .update(next_try_at=now + timedelta(seconds=FETCH_CLAIM_SECONDS))
    )
    if not claimed:
        row.refresh_from_db()
        return _stored_content(row=row) if row.state == State.STORED else _state_content(row=row, now=now)
    return _fetch_and_store(row=row, message=message, index=index, item=item, now=now)


def attachment_recheck_task(stored_attachment_id: int) -> str:
    """Background check of a file that was in moderation; returns the state it is in now."""
    row = StoredAttachment.objects.select_related("message__chat__account").filter(pk=stored_attachment_id)
    row = row.first()
    if row is None:
        return "gone"
    content = attachment_get(message=row.message, index=row.index)
    if content.state == State.MODERATION:
        # Also when this run came too early to claim the fetch: keep one check pending.
        row.refresh_from_db()
        attachment_recheck_schedule(row=row)
    return str(content.state)


def attachment_recheck_schedule(*, row: StoredAttachment) -> None:
    """One pending background check per attachment, at its next-try time (a django-q ONCE schedule)."""
    from django_q.models import Schedule

    if row.attempts >= MODERATION_MAX_CHECKS or row.next_try_at is None:
        return
    Schedule.objects.update_or_create(
        name=f"attachment-recheck-{row.pk}",
        defaults={
            "func": RECHECK_TASK,
            "kwargs": repr({"stored_attachment_id": row.pk}),
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": row.next_try_at,
        },
    )


def attachment_name(*, item: dict[str, Any]) -> str:
    """The file name as a person reads it: percent-encoding (as some marketplaces send it) decoded."""
    name = str(item.get("name") or "")
    return unquote(name) if "%" in name else name


def attachment_backoff_seconds(*, attempts: int) -> int:
    return int(min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))


def _row_get_or_create(*, message: Message, index: int, item: dict[str, Any]) -> StoredAttachment:
    defaults = {"remote_id": str(item.get("remote_id") or "")[:255], "name": attachment_name(item=item)[:255]}
    try:
        row, _created = StoredAttachment.objects.get_or_create(
            message=message, index=index, defaults=defaults
        )
    except IntegrityError:
        # Two first requests at once: the other one created the row.
        row = StoredAttachment.objects.get(message=message, index=index)
    return row


def _fetch_and_store(
    *, row: StoredAttachment, message: Message, index: int, item: dict[str, Any], now: datetime
) -> AttachmentContent:
    attempts = row.attempts + 1
    try:
        download = attachment_fetch(message=message, index=index)
    except AttachmentPendingError as error:
        retry_after = error.retry_after or 0
        seconds = int(retry_after) if retry_after >= 1 else MODERATION_RETRY_SECONDS
        seconds = max(seconds, attachment_backoff_seconds(attempts=attempts))
        return _record(row=row, state=State.MODERATION, attempts=attempts, now=now, seconds=seconds)
    except AttachmentRejectedError as error:
        return _record(row=row, state=State.REJECTED, attempts=attempts, now=now, error=error.message)
    except MarketplaceError as error:
        if error.status == REJECTED_STATUS:
            return _record(row=row, state=State.REJECTED, attempts=attempts, now=now, error=error.message)
        seconds = attachment_backoff_seconds(attempts=attempts)
        return _record(
            row=row, state=State.FAILED, attempts=attempts, now=now, seconds=seconds, error=error.message
        )
    content = bytes(download.content)
    digest = hashlib.sha256(content).hexdigest()
    content_type = _content_type(download.content_type or str(item.get("content_type") or ""))
    row.sha256 = digest
    # The file is written before the row says `stored`: a crash in between leaves an orphan file, never a
    # row pointing at nothing.
    row.file.save(f"{index}", ContentFile(content), save=False)
    row.state = State.STORED
    row.size = len(content)
    row.content_type = content_type
    row.name = (row.name or attachment_name(item=item) or download.name)[:255]
    row.attempts = attempts
    row.next_try_at = None
    row.last_error = ""
    row.fetched_at = now
    row.save(
        update_fields=[
            "sha256",
            "file",
            "state",
            "size",
            "content_type",
            "name",
            "attempts",
            "next_try_at",
            "last_error",
            "fetched_at",
            "updated_at",
        ]
    )
    if item.get("moderation"):
        _moderation_record(message_id=message.pk, index=index, moderation="")
    return _stored_content(row=row)


def _record(
    *, row: StoredAttachment, state: str, attempts: int, now: datetime, seconds: int = 0, error: str = ""
) -> AttachmentContent:
    row.state = state
    row.attempts = attempts
    row.next_try_at = now + timedelta(seconds=seconds) if seconds else None
    row.last_error = error[:2000]
    row.save(update_fields=["state", "attempts", "next_try_at", "last_error", "updated_at"])
    # The thread shows a placeholder (not a broken image) once the message says so.
    if state == State.MODERATION:
        _moderation_record(message_id=row.message_id, index=row.index, moderation="pending")
        attachment_recheck_schedule(row=row)
    elif state == State.REJECTED:
        _moderation_record(message_id=row.message_id, index=row.index, moderation="rejected")
    return _state_content(row=row, now=now)


def _moderation_record(*, message_id: int, index: int, moderation: str) -> None:
    with transaction.atomic():
        message = Message.objects.select_for_update().only("pk", "attachments").get(pk=message_id)
        attachments = message.attachments if isinstance(message.attachments, list) else []
        if index >= len(attachments) or not isinstance(attachments[index], dict):
            return
        if (attachments[index].get("moderation") or "") == moderation:
            return
        attachments[index] = {**attachments[index], "moderation": moderation}
        message.attachments = attachments
        message.save(update_fields=["attachments"])


def _state_content(*, row: StoredAttachment, now: datetime) -> AttachmentContent:
    retry_after = 0
    if row.next_try_at is not None and row.next_try_at > now:
        retry_after = max(int((row.next_try_at - now).total_seconds() + 0.999), 1)
    return AttachmentContent(state=row.state, name=row.name, retry_after=retry_after, reason=row.last_error)


def _stored_content(*, row: StoredAttachment) -> AttachmentContent:
    file = row.file

    def opener() -> IO[bytes]:
        return file.storage.open(file.name, "rb")

    return AttachmentContent(
        state=State.STORED,
        name=row.name,
        content_type=row.content_type,
        size=row.size,
        etag=f'"{row.sha256}"',
        opener=opener,
    )


def _outgoing_content(*, outgoing: OutgoingFile) -> AttachmentContent:
    content = bytes(outgoing.content)

    def opener() -> IO[bytes]:
        return ContentFile(content)

    return AttachmentContent(
        state=State.STORED,
        name=outgoing.name,
        content_type=_content_type(outgoing.content_type),
        size=len(content),
        etag=f'"{hashlib.sha256(content).hexdigest()}"',
        opener=opener,
        in_memory=content,
    )


def _content_type(value: str) -> str:
    return value.split(";")[0].strip().lower() or "application/octet-stream"
