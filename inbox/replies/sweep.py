"""The periodic settlement of the outbox (every minute): lost tasks, dead workers, `unknown` replies.

An `unknown` reply is settled by asking the marketplace about its one chat
(`connector.chat_recent_messages`): the echo is there -> `sent`; the chat's messages reach back before
the reply and hold no echo -> re-sent (at most MAX_DELIVERY_ATTEMPTS sends in all); the marketplace
cannot be asked now -> it stays `unknown` and is asked again at the next sweep. With the check due
ECHO_SETTLE after the send and a sweep every minute, every `unknown` is settled within two minutes.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import SyncState
from inbox.models import Message
from inbox.replies import reasons
from inbox.replies.deliver import (
    MAX_DELIVERY_ATTEMPTS,
    chat_ref,
    message_delivery_enqueue,
    unknown_check_at,
)
from inbox.replies.reconcile import Verdict, reply_check
from marketplaces import registry
from marketplaces.errors import MarketplaceError, RateLimitedError
from marketplaces.types import RemoteMessage

logger = logging.getLogger(__name__)

# A `sending` row older than this belongs to a worker that died mid-request (task timeout is 240 s).
STUCK_SENDING_AFTER = timedelta(minutes=5)
# An `unknown` reply that could never be confirmed either way is handed back to a human.
UNKNOWN_GIVE_UP_AFTER = timedelta(hours=24)
# A pending row without a delay whose task has not run within this time is re-enqueued.
LOST_TASK_AFTER = timedelta(minutes=2)
# The marketplace could not be asked: ask again at the next sweep.
RECHECK_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 200
# Each chat settled is one marketplace call made by the sweep itself.
SETTLE_BATCH = 50


class Settlement:
    SENT = "sent"
    RESENT = "resent"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass
class SweepResult:
    enqueued: list[int]
    stuck_to_unknown: int
    resent: list[int]
    gave_up: int
    syncs_requested: int
    settled: list[int] = field(default_factory=list)


def _stay_unknown(*, message: Message, until: datetime) -> str:
    Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.UNKNOWN).update(
        next_attempt_at=until
    )
    return Settlement.UNKNOWN


def _fail(*, message: Message, text: str) -> str:
    updated = Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.UNKNOWN).update(
        delivery_status=Message.DeliveryStatus.FAILED, last_error=text, next_attempt_at=None
    )
    return Settlement.FAILED if updated else Settlement.UNKNOWN


def _unsettled(*, message: Message, now: datetime, until: datetime) -> str:
    """The marketplace could not tell: ask again later, or hand the reply back after a day."""
    if message.sending_started_at and message.sending_started_at < now - UNKNOWN_GIVE_UP_AFTER:
        return _fail(message=message, text=reasons.reason_text(reason=reasons.UNCONFIRMED))
    return _stay_unknown(message=message, until=until)


def chat_unknown_settle(*, messages: list[Message], now: datetime | None = None) -> dict[int, str]:
    """Ask the marketplace once about the chat of these `unknown` replies (all of one chat) and act on
    the answer for each (module doc). Returns {message id: Settlement}."""
    now = now or timezone.now()
    chat = messages[0].chat
    blocked_until = (
        SyncState.objects.filter(pk=chat.account_id, rate_limited_until__gt=now)
        .values_list("rate_limited_until", flat=True)
        .first()
    )
    if blocked_until is not None:
        return {message.pk: _unsettled(message=message, now=now, until=blocked_until) for message in messages}
    try:
        connector = registry.get_connector(chat.account)
        recent = connector.chat_recent_messages(chat=chat_ref(chat=chat))
    except RateLimitedError as error:
        logger.info("chat %s: delivery check postponed (%s)", chat.pk, error.message)
        until = now + timedelta(seconds=max(error.retry_after, 1))
        return {message.pk: _unsettled(message=message, now=now, until=until) for message in messages}
    except (MarketplaceError, NotImplementedError) as error:
        logger.info("chat %s: cannot check delivery: %s", chat.pk, error)
        return {
            message.pk: _unsettled(message=message, now=now, until=now + RECHECK_AFTER)
            for message in messages
        }
    return {message.pk: _settle(message=message, recent=recent, now=now) for message in messages}


def _settle(*, message: Message, recent: list[RemoteMessage], now: datetime) -> str:
    verdict = reply_check(message=message, recent=recent)
    if verdict == Verdict.MATCHED:
        return Settlement.SENT
    if verdict == Verdict.UNPROVEN:
        return _unsettled(message=message, now=now, until=now + RECHECK_AFTER)
    if message.attempts >= MAX_DELIVERY_ATTEMPTS:
        return _fail(message=message, text=reasons.not_received_text(attempts=message.attempts))
    if Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.UNKNOWN).update(
        delivery_status=Message.DeliveryStatus.PENDING, next_attempt_at=None
    ):
        return Settlement.RESENT
    return Settlement.UNKNOWN


def outbox_sweep(*, now: datetime | None = None) -> SweepResult:
    """Periodic repair: lost tasks, workers that died mid-send, and `unknown` replies that are due."""
    now = now or timezone.now()
    # A worker died after claiming: the request may have left, so this is `unknown`, never `pending`.
    stuck_rows = list(
        Message.objects.filter(
            delivery_status=Message.DeliveryStatus.SENDING, sending_started_at__lt=now - STUCK_SENDING_AFTER
        ).select_related("chat__account")[:SWEEP_BATCH]
    )
    stuck = 0
    for message in stuck_rows:
        stuck += Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.SENDING).update(
            delivery_status=Message.DeliveryStatus.UNKNOWN,
            last_error=reasons.reason_text(reason=reasons.INTERRUPTED),
            next_attempt_at=unknown_check_at(chat=message.chat, now=now),
        )

    resent: list[int] = []
    settled: list[int] = []
    gave_up = 0
    due_unknown = list(
        Message.objects.filter(delivery_status=Message.DeliveryStatus.UNKNOWN, external_id__isnull=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("chat__account")
        .order_by("next_attempt_at", "id")[:SETTLE_BATCH]
    )
    by_chat: dict[int, list[Message]] = {}
    for message in due_unknown:
        by_chat.setdefault(message.chat_id, []).append(message)
    for messages in by_chat.values():
        for message_id, settlement in chat_unknown_settle(messages=messages, now=now).items():
            if settlement == Settlement.RESENT:
                resent.append(message_id)
            elif settlement == Settlement.SENT:
                settled.append(message_id)
            elif settlement == Settlement.FAILED:
                gave_up += 1

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
        syncs_requested=0,
        settled=settled,
    )
