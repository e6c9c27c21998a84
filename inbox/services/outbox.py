"""Replies to buyers: an outgoing Message row in `pending`, delivered by a background task.

No marketplace send endpoint is idempotent, so a duplicate reply is worse than a late one:
- delivery claims the row with one conditional UPDATE (pending → sending), so concurrent tasks make
  at most one HTTP call;
- a request that left without a clear answer ends in `unknown` and is resolved by reconciliation
  (the next sync matches the marketplace's echo to this row, see services/ingest.py), and only
  re-sent when a successful sync after the grace period found no echo, a bounded number of times.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import SyncRun, SyncState
from inbox.limits import reply_file_limits
from inbox.models import Chat, Message, OutgoingFile
from inbox.queue import task_enqueue, task_enqueue_at
from inbox.services.files import ReplyFile, reply_file_attachments
from marketplaces import registry
from marketplaces.base import Connector
from marketplaces.errors import (
    AuthError,
    CapabilityError,
    DeliveryUnknownError,
    MarketplaceError,
    RateLimitedError,
    RequestRejectedError,
    TransientError,
)
from marketplaces.types import ChatRef, SendReceipt
from service.deadlines import chat_deadlines_refresh

logger = logging.getLogger(__name__)

DELIVER_TASK = "inbox.tasks.deliver_message"
# How long an `unknown` reply waits for its echo before a re-send is considered.
UNKNOWN_GRACE = timedelta(minutes=10)
# The echo must have had time to appear in the marketplace's feed before a sync can prove its absence.
ECHO_SETTLE = timedelta(seconds=30)
# Sends that may have reached the marketplace (rate-limited attempts are not counted).
MAX_DELIVERY_ATTEMPTS = 3
# A `sending` row older than this belongs to a worker that died mid-request (task timeout is 240 s).
STUCK_SENDING_AFTER = timedelta(minutes=5)
# An `unknown` reply that could never be confirmed either way is handed back to a human.
UNKNOWN_GIVE_UP_AFTER = timedelta(hours=24)
# A pending row without a delay whose task has not run within this time is re-enqueued.
LOST_TASK_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 200
# A send that never left (connection refused, DNS) is retried after this delay times the attempt number.
TRANSIENT_RETRY_DELAY = timedelta(minutes=1)


class DeliveryOutcome:
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DELAYED = "delayed"
    SKIPPED = "skipped"


def message_send(
    *, chat: Chat, user: AbstractBaseUser | None, text: str, file: ReplyFile | None = None
) -> Message:
    """Queue a reply (one marketplace message). The delivery task is enqueued only when the surrounding
    transaction commits; a file is stored in the same transaction as its row."""
    with transaction.atomic():
        message = Message.objects.create(
            chat=chat,
            direction=Message.Direction.OUT,
            author=Message.Author.SELLER,
            sent_by=user,
            text=text,
            attachments=reply_file_attachments(file=file) if file is not None else [],
            created_at=timezone.now(),
            is_read=True,
            delivery_status=Message.DeliveryStatus.PENDING,
        )
        if file is not None:
            OutgoingFile.objects.create(
                message=message,
                name=file.name,
                content_type=file.content_type,
                size=file.size,
                content=file.content,
            )
    transaction.on_commit(lambda: message_delivery_enqueue(message_id=message.pk))
    return message


def reply_queue(*, chat: Chat, user: AbstractBaseUser | None, text: str, file: ReplyFile | None) -> Message:
    """Queue a validated reply as one row per marketplace call, each delivered and reconciled on its own.

    Where the marketplace takes text and file in one request (WB), that is one row; elsewhere (Ozon,
    Yandex Market) the text goes first as a row of its own, as the buyer will see it. Returns the row
    carrying the file, if any.
    """
    if file is None:
        return message_send(chat=chat, user=user, text=text)
    limits = reply_file_limits(marketplace=chat.account.marketplace, chat_kind=chat.kind)
    if text and not limits.text_with_file:
        message_send(chat=chat, user=user, text=text)
        text = ""
    return message_send(chat=chat, user=user, text=text, file=file)


def message_delivery_enqueue(*, message_id: int) -> None:
    task_enqueue(func=DELIVER_TASK, args=(message_id,), name=f"deliver-{message_id}")


def message_retry(*, message: Message, user: AbstractBaseUser | None) -> Message:
    """Put a failed reply back in the queue (an agent pressed "retry")."""
    updated = Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.FAILED).update(
        delivery_status=Message.DeliveryStatus.PENDING, last_error="", next_attempt_at=None
    )
    if updated:
        transaction.on_commit(lambda: message_delivery_enqueue(message_id=message.pk))
    message.refresh_from_db()
    return message


def chat_remote_read_enqueue(*, chat: Chat) -> None:
    """Tell the marketplace (where its API can) that the agent has read the chat up to its last message."""
    chat_id = chat.pk
    transaction.on_commit(
        lambda: task_enqueue(
            func="inbox.tasks.mark_chat_read_remote", args=(chat_id,), name=f"read-{chat_id}"
        )
    )


def _chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(external_id=chat.external_id, kind=chat.kind, extras=dict(chat.extras or {}))


def _is_stale_reply_sign(*, chat: Chat, error: RequestRejectedError) -> bool:
    return chat.account.marketplace == "wildberries" and "signature" in error.message.lower()


def _finish(*, message_id: int, **values: object) -> bool:
    """Leave `sending` for a final state; a no-op when reconciliation already matched the echo."""
    return bool(
        Message.objects.filter(pk=message_id, delivery_status=Message.DeliveryStatus.SENDING).update(**values)
    )


def _delay(*, message: Message, until: datetime, reason: str) -> str:
    # The attempt never reached the marketplace, so it does not count towards the re-send bound.
    _finish(
        message_id=message.pk,
        delivery_status=Message.DeliveryStatus.PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=until,
        last_error=reason,
    )
    _enqueue_later(message_id=message.pk, until=until)
    return DeliveryOutcome.DELAYED


def _enqueue_later(*, message_id: int, until: datetime) -> None:
    transaction.on_commit(
        lambda: task_enqueue_at(
            func=DELIVER_TASK, args=(message_id,), name=f"deliver-{message_id}-later", run_at=until
        )
    )


def _record_sent(*, message: Message, receipt: SendReceipt) -> None:
    now = timezone.now()
    values: dict[str, object] = {
        "delivery_status": Message.DeliveryStatus.SENT,
        "sent_at": receipt.sent_at or now,
        "last_error": "",
        "next_attempt_at": None,
    }
    chat = message.chat
    with transaction.atomic():
        taken = bool(
            receipt.external_id
            and Message.objects.filter(chat=chat, external_id=receipt.external_id)
            .exclude(pk=message.pk)
            .exists()
        )
        if receipt.external_id and not taken:
            values["external_id"] = receipt.external_id
        try:
            with transaction.atomic():
                _finish(message_id=message.pk, **values)
        except IntegrityError:
            values.pop("external_id", None)
            _finish(message_id=message.pk, **values)
        if receipt.extras:
            chat = Chat.objects.select_for_update().get(pk=chat.pk)
            merged = {**chat.extras, **receipt.extras}
            if merged != chat.extras:
                chat.extras = merged
                chat.save(update_fields=["extras", "updated_at"])
        # Our reply answers everything the buyer wrote before it.
        Chat.objects.filter(pk=chat.pk, awaiting_reply_since__lte=message.created_at).update(
            awaiting_reply_since=None, updated_at=now
        )
        chat_deadlines_refresh(chat_ids=[chat.pk])


def message_deliver(*, message_id: int) -> str:
    """Deliver one pending reply; idempotent and safe to run concurrently for the same message."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(
            pk=message_id, direction=Message.Direction.OUT, delivery_status=Message.DeliveryStatus.PENDING
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            delivery_status=Message.DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            sending_started_at=now,
            next_attempt_at=None,
        )
    )
    if not claimed:
        return DeliveryOutcome.SKIPPED
    message = Message.objects.select_related("chat__account").get(pk=message_id)
    chat = message.chat
    account = chat.account
    if not account.is_active:
        _finish(
            message_id=message_id,
            delivery_status=Message.DeliveryStatus.FAILED,
            attempts=F("attempts") - 1,
            last_error="Аккаунт маркетплейса отключён: сообщение не отправлено.",
        )
        return DeliveryOutcome.FAILED
    blocked_until = (
        SyncState.objects.filter(pk=account.pk, rate_limited_until__gt=now)
        .values_list("rate_limited_until", flat=True)
        .first()
    )
    if blocked_until is not None:
        return _delay(
            message=message,
            until=blocked_until,
            reason="Маркетплейс ограничил частоту запросов; отправим позже.",
        )
    try:
        connector = registry.get_connector(account)
    except Exception:
        logger.exception("message %s: cannot build the connector", message_id)
        _finish(
            message_id=message_id,
            delivery_status=Message.DeliveryStatus.FAILED,
            attempts=F("attempts") - 1,
            last_error="Не удалось подготовить отправку: подключение к маркетплейсу не настроено.",
        )
        return DeliveryOutcome.FAILED

    outgoing = OutgoingFile.objects.filter(message_id=message_id).first()
    reply_sign_refreshed = False
    while True:
        try:
            receipt = _send(connector=connector, chat=chat, message=message, outgoing=outgoing)
        except RateLimitedError as error:
            until = timezone.now() + timedelta(seconds=max(error.retry_after, 1))
            SyncState.objects.filter(pk=account.pk).filter(
                Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lt=until)
            ).update(rate_limited_until=until)
            return _delay(message=message, until=until, reason=error.message)
        except RequestRejectedError as error:
            if not reply_sign_refreshed and _is_stale_reply_sign(chat=chat, error=error):
                reply_sign_refreshed = True
                if _reply_sign_refresh(connector=connector, chat=chat):
                    continue
            _finish(
                message_id=message_id,
                delivery_status=Message.DeliveryStatus.FAILED,
                attempts=F("attempts") - 1,
                last_error=error.message,
            )
            return DeliveryOutcome.FAILED
        except (AuthError, CapabilityError) as error:
            _finish(
                message_id=message_id,
                delivery_status=Message.DeliveryStatus.FAILED,
                attempts=F("attempts") - 1,
                last_error=error.message,
            )
            return DeliveryOutcome.FAILED
        except DeliveryUnknownError as error:
            _finish(
                message_id=message_id,
                delivery_status=Message.DeliveryStatus.UNKNOWN,
                last_error=f"{error.message}. Проверяем, дошло ли сообщение.",
            )
            return DeliveryOutcome.UNKNOWN
        except TransientError as error:
            # The HTTP client raises a plain TransientError for a send only when the request never left.
            if message.attempts >= MAX_DELIVERY_ATTEMPTS:
                _finish(
                    message_id=message_id,
                    delivery_status=Message.DeliveryStatus.FAILED,
                    last_error=f"{error.message}. Попробуйте отправить позже.",
                )
                return DeliveryOutcome.FAILED
            until = timezone.now() + TRANSIENT_RETRY_DELAY * message.attempts
            _finish(
                message_id=message_id,
                delivery_status=Message.DeliveryStatus.PENDING,
                next_attempt_at=until,
                last_error=error.message,
            )
            _enqueue_later(message_id=message_id, until=until)
            return DeliveryOutcome.DELAYED
        except MarketplaceError as error:
            # An answer we could not read (UnexpectedResponseError): the send may well have happened.
            _finish(
                message_id=message_id,
                delivery_status=Message.DeliveryStatus.UNKNOWN,
                last_error=f"{error.message}. Проверяем, дошло ли сообщение.",
            )
            return DeliveryOutcome.UNKNOWN
        except Exception:
            logger.exception("message %s: unexpected error while sending", message_id)
            _finish(
                message_id=message_id,
                delivery_status=Message.DeliveryStatus.UNKNOWN,
                last_error="Внутренняя ошибка при отправке. Проверяем, дошло ли сообщение.",
            )
            return DeliveryOutcome.UNKNOWN
        _record_sent(message=message, receipt=receipt)
        return DeliveryOutcome.SENT


def _send(
    *, connector: Connector, chat: Chat, message: Message, outgoing: OutgoingFile | None
) -> SendReceipt:
    """One marketplace call per row: a row with a file carries its text only where the API takes both
    in one request (reply_queue splits the reply elsewhere)."""
    if outgoing is None:
        return connector.send_text(chat=_chat_ref(chat), text=message.text)
    return connector.send_file(
        chat=_chat_ref(chat),
        name=outgoing.name,
        content=bytes(outgoing.content),
        content_type=outgoing.content_type,
        text=message.text,
    )


def _reply_sign_refresh(*, connector: object, chat: Chat) -> bool:
    """WB answers "Invalid signature" for a stale replySign: fetch the chat once for a fresh one."""
    try:
        remote = connector.fetch_chat(chat_external_id=chat.external_id)  # type: ignore[attr-defined]
    except MarketplaceError as error:
        logger.warning("chat %s: replySign refresh failed: %s", chat.pk, error.message)
        return False
    if remote is None or not remote.extras:
        return False
    merged = {**chat.extras, **remote.extras}
    if merged == chat.extras:
        return False
    chat.extras = merged
    chat.save(update_fields=["extras", "updated_at"])
    return True


@dataclass
class SweepResult:
    enqueued: list[int]
    stuck_to_unknown: int
    resent: list[int]
    gave_up: int
    syncs_requested: int


def outbox_sweep() -> SweepResult:
    """Periodic repair: lost tasks, workers that died mid-send, and `unknown` replies past the grace."""
    now = timezone.now()
    # A worker died after claiming: the request may have left, so this is `unknown`, never `pending`.
    stuck = Message.objects.filter(
        delivery_status=Message.DeliveryStatus.SENDING, sending_started_at__lt=now - STUCK_SENDING_AFTER
    ).update(
        delivery_status=Message.DeliveryStatus.UNKNOWN,
        last_error="Отправка прервалась. Проверяем, дошло ли сообщение.",
    )

    resent: list[int] = []
    gave_up = 0
    sync_needed: set[int] = set()
    unknown = list(
        Message.objects.filter(
            delivery_status=Message.DeliveryStatus.UNKNOWN,
            external_id__isnull=True,
            sending_started_at__lt=now - UNKNOWN_GRACE,
        )
        .select_related("chat__account")
        .order_by("sending_started_at")[:SWEEP_BATCH]
    )
    for message in unknown:
        account_id = message.chat.account_id
        # Absence of the echo is only proven by a successful sync that started after it could appear.
        looked = SyncRun.objects.filter(
            account_id=account_id,
            kind=SyncRun.Kind.SYNC,
            outcome=SyncRun.Outcome.SUCCESS,
            started_at__gte=message.sending_started_at + ECHO_SETTLE,
        ).exists()
        if not looked:
            sync_needed.add(account_id)
            continue
        if message.sending_started_at < now - UNKNOWN_GIVE_UP_AFTER:
            gave_up += _give_up(message_id=message.pk)
            continue
        if message.attempts >= MAX_DELIVERY_ATTEMPTS:
            gave_up += _give_up(message_id=message.pk)
            continue
        if _unseen_activity(chat=message.chat):
            # The marketplace shows messages we have not ingested (YM, for one, skips answered chats
            # between full sweeps): our echo may be among them, so wait for the sync instead.
            sync_needed.add(account_id)
            continue
        if Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.UNKNOWN).update(
            delivery_status=Message.DeliveryStatus.PENDING, next_attempt_at=None
        ):
            resent.append(message.pk)

    syncs_requested = 0
    if sync_needed:
        from inbox.sync import account_sync_request

        for account_id in sorted(sync_needed):
            syncs_requested += int(account_sync_request(account_id=account_id))

    due = list(
        Message.objects.filter(delivery_status=Message.DeliveryStatus.PENDING)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, inserted_at__lt=now - LOST_TASK_AFTER)
        )
        .order_by("inserted_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    enqueued = sorted(set(due) | set(resent))
    for message_id in enqueued:
        message_delivery_enqueue(message_id=message_id)
    return SweepResult(
        enqueued=enqueued,
        stuck_to_unknown=stuck,
        resent=resent,
        gave_up=gave_up,
        syncs_requested=syncs_requested,
    )


def _give_up(*, message_id: int) -> int:
    return Message.objects.filter(pk=message_id, delivery_status=Message.DeliveryStatus.UNKNOWN).update(
        delivery_status=Message.DeliveryStatus.FAILED,
        last_error=(
            "Не удалось подтвердить доставку. Проверьте чат в кабинете маркетплейса, "
            "прежде чем отправлять снова."
        ),
    )


def _unseen_activity(*, chat: Chat) -> bool:
    """Does the marketplace show a newer last message than we hold? Unverifiable counts as yes."""
    try:
        connector = registry.get_connector(chat.account)
        remote = connector.fetch_chat(chat_external_id=chat.external_id)
    except MarketplaceError as error:
        logger.info("chat %s: cannot check for an echo: %s", chat.pk, error.message)
        return True
    if remote is None:
        # No single-chat lookup (Ozon): its sync lists every chat, so the successful sync is the proof.
        return False
    if remote.last_message_external_id and remote.last_message_external_id != chat.last_message_external_id:
        return True
    return bool(
        remote.last_message_at
        and (chat.last_message_at is None or remote.last_message_at > chat.last_message_at)
    )


def chat_remote_read(*, chat_id: int) -> bool:
    """Mark the chat read on the marketplace up to its newest incoming message; True when a call was made."""
    chat = Chat.objects.select_related("account").filter(pk=chat_id).first()
    if chat is None or not chat.account.is_active:
        return False
    connector = registry.get_connector(chat.account)
    if not connector.capabilities.can_mark_read:
        return False
    newest = (
        Message.objects.filter(chat=chat, direction=Message.Direction.IN, external_id__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("external_id", flat=True)
        .first()
    )
    if not newest:
        return False
    try:
        connector.mark_read(chat=_chat_ref(chat), up_to_message_external_id=newest)
    except RateLimitedError as error:
        logger.info("chat %s: remote read postponed by rate limit (%s s)", chat_id, error.retry_after)
        return False
    except MarketplaceError as error:
        logger.warning("chat %s: remote read failed: %s", chat_id, error.message)
        return False
    return True
