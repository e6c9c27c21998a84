"""Delivery of one reply row: claim it, make one marketplace call, record the outcome.

No marketplace send endpoint is idempotent, so a duplicate reply is worse than a late one: the row is
claimed with one conditional UPDATE (pending -> sending), so concurrent tasks make at most one call, and
a request that left without a clear answer ends in `unknown`, settled by sweep.py (never re-sent blindly).
What each failure means is one table, `RULES`, from the error's type to the outcome.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.functional import Promise

from accounts.models import SyncState
from inbox.models import Chat, Message, OutgoingFile
from inbox.queue import task_enqueue, task_enqueue_at
from inbox.replies import reasons
from inbox.replies.sent import chat_answers, chat_holds_one_answer, reply_mark_sent
from inbox.selectors import chat_reply_block
from marketplaces import registry
from marketplaces.base import Connector
from marketplaces.errors import (
    AuthError,
    CapabilityError,
    DeliveryUnknownError,
    MarketplaceError,
    RateLimitedError,
    RequestRejectedError,
    StaleReplySignError,
    TransientError,
)
from marketplaces.types import ChatRef, SendReceipt

logger = logging.getLogger(__name__)

DELIVER_TASK = "inbox.tasks.deliver_message"
# Sends that may have reached the marketplace (attempts that never left are not counted).
MAX_DELIVERY_ATTEMPTS = 3
# How long an `unknown` reply waits before the marketplace is asked about its chat: the echo needs a
# moment to appear in the chat's history. A chat with one answer needs none (a re-send replaces it).
ECHO_SETTLE = timedelta(seconds=30)
# A send that never left (connection refused, DNS) is retried after this delay times the attempt number.
TRANSIENT_RETRY_DELAY = timedelta(minutes=1)


class DeliveryOutcome:
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DELAYED = "delayed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Rule:
    """What an error means for the reply. `delay` (pending rules): when to try again, None = give up."""

    status: str
    reason: str | Promise
    # The attempt may have reached the marketplace, so it counts towards MAX_DELIVERY_ATTEMPTS.
    counts_attempt: bool
    delay: Callable[[Exception, int], timedelta | None] | None = None


def _rate_limit_delay(error: Exception, _attempts: int) -> timedelta:
    seconds = error.retry_after if isinstance(error, RateLimitedError) else 60.0
    return timedelta(seconds=max(seconds, 1))


def _network_delay(_error: Exception, attempts: int) -> timedelta | None:
    # The HTTP client raises a plain TransientError for a send only when the request never left.
    return None if attempts >= MAX_DELIVERY_ATTEMPTS else TRANSIENT_RETRY_DELAY * attempts


FAILED = Message.DeliveryStatus.FAILED
PENDING = Message.DeliveryStatus.PENDING
UNKNOWN = Message.DeliveryStatus.UNKNOWN
# First match wins (subclasses before their bases).
RULES: tuple[tuple[type[Exception], Rule], ...] = (
    (StaleReplySignError, Rule(FAILED, reasons.REPLY_SIGN_STALE, counts_attempt=False)),
    (RequestRejectedError, Rule(FAILED, reasons.REJECTED, counts_attempt=False)),
    (AuthError, Rule(FAILED, reasons.AUTH_FAILED, counts_attempt=False)),
    (CapabilityError, Rule(FAILED, reasons.NO_ACCESS, counts_attempt=False)),
    (RateLimitedError, Rule(PENDING, reasons.RATE_LIMITED, counts_attempt=False, delay=_rate_limit_delay)),
    (DeliveryUnknownError, Rule(UNKNOWN, reasons.CHECKING, counts_attempt=True)),
    (TransientError, Rule(PENDING, reasons.NETWORK_RETRY, counts_attempt=True, delay=_network_delay)),
    # An answer we could not read (UnexpectedResponseError): the send may well have happened.
    (MarketplaceError, Rule(UNKNOWN, reasons.CHECKING, counts_attempt=True)),
    (Exception, Rule(UNKNOWN, reasons.INTERNAL_ERROR, counts_attempt=True)),
)
OUTCOMES = {
    FAILED: DeliveryOutcome.FAILED,
    PENDING: DeliveryOutcome.DELAYED,
    UNKNOWN: DeliveryOutcome.UNKNOWN,
}


def rule_for(*, error: Exception) -> Rule:
    return next(rule for error_type, rule in RULES if isinstance(error, error_type))


def message_delivery_enqueue(*, message_id: int) -> None:
    task_enqueue(func=DELIVER_TASK, args=(message_id,), name=f"deliver-{message_id}")


def message_delivery_enqueue_at(*, message_id: int, run_at: datetime) -> None:
    transaction.on_commit(
        lambda: task_enqueue_at(
            func=DELIVER_TASK, args=(message_id,), name=f"deliver-{message_id}-later", run_at=run_at
        )
    )


def chat_ref(*, chat: Chat) -> ChatRef:
    return ChatRef(external_id=chat.external_id, kind=chat.kind, extras=dict(chat.extras or {}))


def unknown_check_at(*, chat: Chat, now: datetime) -> datetime:
    """When sweep.py first asks the marketplace about an `unknown` reply of this chat."""
    return now if chat_holds_one_answer(chat=chat) else now + ECHO_SETTLE


def _finish(*, message_id: int, **values: object) -> bool:
    """Leave `sending` for another state; a no-op when reconciliation already matched the echo."""
    return bool(
        Message.objects.filter(pk=message_id, delivery_status=Message.DeliveryStatus.SENDING).update(**values)
    )


def _reply_window_reason(*, chat: Chat, now: datetime) -> str:
    """Why the marketplace takes no reply in this chat now, as stored for the agent; "" while it does.

    The same decision as the reply box and reply_create (chat_reply_block), at `now`.
    """
    with translation.override(settings.LANGUAGE_CODE):
        blocked = chat_reply_block(chat=chat, now=now)
    if blocked is None:
        return ""
    return reasons.reason_text(reason=reasons.WINDOW_CLOSED, values={"reason": blocked})


def _rejection_reason(*, message: Message, now: datetime) -> str:
    """A refusal explained by the chat's state: its reply window closed, or its one answer not editable."""
    chat = message.chat
    window_reason = _reply_window_reason(chat=chat, now=now)
    if window_reason:
        return window_reason
    if chat_holds_one_answer(chat=chat) and any(
        answer.pk != message.pk for answer in chat_answers(chat=chat)
    ):
        return reasons.reason_text(reason=reasons.EDIT_REFUSED)
    return ""


def _record(*, message: Message, rule: Rule, error: Exception) -> str:
    """Leave `sending` as `rule` says; the marketplace's own words (already scrubbed) go to the detail."""
    now = timezone.now()
    detail = error.message if isinstance(error, MarketplaceError) else ""
    reason = reasons.reason_text(reason=rule.reason)
    if isinstance(error, RequestRejectedError) and not isinstance(error, StaleReplySignError):
        reason = _rejection_reason(message=message, now=now) or reason
    values: dict[str, object] = {
        "delivery_status": rule.status,
        "last_error": reason,
        "last_error_detail": detail,
        "next_attempt_at": None,
    }
    if not rule.counts_attempt:
        values["attempts"] = F("attempts") - 1
    if rule.status == UNKNOWN:
        values["next_attempt_at"] = unknown_check_at(chat=message.chat, now=now)
    run_at: datetime | None = None
    if rule.status == PENDING and rule.delay is not None:
        attempts = message.attempts if rule.counts_attempt else message.attempts - 1
        delay = rule.delay(error, attempts)
        if delay is None:
            values.update(
                delivery_status=FAILED, last_error=reasons.reason_text(reason=reasons.NETWORK_GAVE_UP)
            )
        else:
            run_at = now + delay
            values["next_attempt_at"] = run_at
    if isinstance(error, RateLimitedError) and run_at is not None:
        SyncState.objects.filter(pk=message.chat.account_id).filter(
            Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lt=run_at)
        ).update(rate_limited_until=run_at)
    if not isinstance(error, MarketplaceError):
        logger.error("message %s: unexpected error while sending", message.pk, exc_info=error)
    _finish(message_id=message.pk, **values)
    if run_at is not None:
        message_delivery_enqueue_at(message_id=message.pk, run_at=run_at)
    return OUTCOMES[str(values["delivery_status"])]


def _fail_before_sending(*, message: Message, reason: str | Promise) -> str:
    _finish(
        message_id=message.pk,
        delivery_status=FAILED,
        attempts=F("attempts") - 1,
        last_error=reasons.reason_text(reason=reason),
        last_error_detail="",
    )
    return DeliveryOutcome.FAILED


def _delay_before_sending(*, message: Message, until: datetime) -> str:
    _finish(
        message_id=message.pk,
        delivery_status=PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=until,
        last_error=reasons.reason_text(reason=reasons.RATE_LIMITED),
    )
    message_delivery_enqueue_at(message_id=message.pk, run_at=until)
    return DeliveryOutcome.DELAYED


def message_deliver(*, message_id: int) -> str:
    """Deliver one pending reply; idempotent and safe to run concurrently for the same message."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, direction=Message.Direction.OUT, delivery_status=PENDING)
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
        return _fail_before_sending(message=message, reason=reasons.ACCOUNT_DISABLED)
    # Checked again here, not only when the reply was written: it may have waited (a rate limit, a
    # retry, a busy queue) past the window's close. Only a claimed `pending` row gets this far, so a
    # reply that may already have arrived (`unknown`) is still settled against its echo by the sweep.
    window_reason = _reply_window_reason(chat=chat, now=now)
    if window_reason:
        return _fail_before_sending(message=message, reason=window_reason)
    blocked_until = (
        SyncState.objects.filter(pk=account.pk, rate_limited_until__gt=now)
        .values_list("rate_limited_until", flat=True)
        .first()
    )
    if blocked_until is not None:
        return _delay_before_sending(message=message, until=blocked_until)
    try:
        connector = registry.get_connector(account)
    except Exception:
        logger.exception("message %s: cannot build the connector", message_id)
        return _fail_before_sending(message=message, reason=reasons.CONNECTOR_MISSING)

    outgoing = OutgoingFile.objects.filter(message_id=message_id).first()
    reply_sign_refreshed = False
    while True:
        try:
            receipt = _send(connector=connector, chat=chat, message=message, outgoing=outgoing)
        except Exception as error:
            if isinstance(error, StaleReplySignError) and not reply_sign_refreshed:
                reply_sign_refreshed = True
                if _reply_sign_refresh(connector=connector, chat=chat):
                    continue
            return _record(message=message, rule=rule_for(error=error), error=error)
        reply_mark_sent(
            message=message,
            from_statuses=(Message.DeliveryStatus.SENDING,),
            sent_at=receipt.sent_at or timezone.now(),
            external_id=receipt.external_id,
            chat_extras=receipt.extras,
        )
        return DeliveryOutcome.SENT


def _send(
    *, connector: Connector, chat: Chat, message: Message, outgoing: OutgoingFile | None
) -> SendReceipt:
    """One marketplace call per row: a row with a file carries its text only where the API takes both
    in one request (create.py splits the reply elsewhere)."""
    if outgoing is None:
        return connector.send_text(chat=chat_ref(chat=chat), text=message.text)
    return connector.send_file(
        chat=chat_ref(chat=chat),
        name=outgoing.name,
        content=bytes(outgoing.content),
        content_type=outgoing.content_type,
        text=message.text,
    )


def _reply_sign_refresh(*, connector: Connector, chat: Chat) -> bool:
    """A stale WB replySign: fetch the chat once for a fresh one; True when it changed."""
    try:
        remote = connector.fetch_chat(chat_external_id=chat.external_id)
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
