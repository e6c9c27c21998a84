"""Which accounts are due, and handing them to the queue.

Handing over reserves the account first (a short lease, inbox/sync/lease.py), so however many
dispatchers, pushes and scheduled passes run at once, a due account gets one queued task.

Three things hand accounts over:
- `manage.py dispatcher` (`dispatcher_run`): a small process, no django-q worker, that wakes when the
  earliest account falls due (at least every second) — a due account waits about a second for its sync;
- a push or the reply sweep (`account_mark_due`): the account is made due and handed over right after
  the caller's commit, so push-triggered syncs start at once, with or without the dispatcher;
- the `dispatch-sync` schedule: one pass a minute, the safety net when no dispatcher runs.
"""

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import DatabaseError, connections, transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat
from inbox.queue import task_enqueue
from inbox.sync.lease import sync_lease_release, sync_lease_reserve

logger = logging.getLogger(__name__)

# The dispatcher looks at least this often (new accounts, expired reservations); it wakes earlier
# when an account falls due sooner.
DISPATCH_MAX_SLEEP_SECONDS = 1.0
DISPATCH_MIN_SLEEP_SECONDS = 0.05
# After a database error the dispatcher pauses, then carries on (the database may be restarting).
DISPATCH_ERROR_PAUSE_SECONDS = 5.0


def _due_query(*, account_ids: Iterable[int] | None = None) -> QuerySet[SyncState]:
    now = timezone.now()
    states = (
        SyncState.objects.filter(account__is_active=True)
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .filter(Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    )
    if account_ids is not None:
        states = states.filter(pk__in=list(account_ids))
    return states


def sync_dispatch(*, account_ids: Iterable[int] | None = None, reason: str = "due") -> list[int]:
    """Reserve and enqueue a sync for every due account (or the due ones among `account_ids`).

    Due: active, `next_sync_at` passed, not rate limited, not leased or reserved.
    """
    due = list(
        _due_query(account_ids=account_ids).order_by("next_sync_at").values_list("account_id", flat=True)
    )
    handed = []
    for account_id in due:
        reservation = sync_lease_reserve(account_id=account_id)
        if reservation is None:
            continue  # taken meanwhile by another dispatcher, a push or a forced sync
        try:
            task_enqueue(
                func="inbox.tasks.sync_account",
                args=(account_id, reservation),
                name=f"sync-{account_id}-{reason}",
            )
        except Exception:
            # The broker is down: no task holds the reservation, so the next look hands it over again.
            sync_lease_release(account_id=account_id, owner=reservation)
            raise
        handed.append(account_id)
    return handed


def account_mark_due(*, account_id: int, reason: str) -> bool:
    """Something changed at the marketplace (a push) or we expect an echo (the reply sweep): make the
    account due now and hand it to the queue after the caller's commit. Returns whether it was moved.

    Only healthy accounts are pulled forward (a failing one keeps its backoff); duplicates are cheap:
    an account already queued or syncing gets no second task, and one syncing now is handed over again
    when its run ends (the run keeps the earlier `next_sync_at`).
    """
    now = timezone.now()
    healthy = SyncState.objects.filter(
        pk=account_id,
        pk__in=MarketplaceAccount.objects.filter(pk=account_id, is_active=True).values("pk"),
        consecutive_failures=0,
    )
    if not healthy.exists():
        return False
    moved = healthy.filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__gt=now)).update(next_sync_at=now)
    logger.info("account %s marked due (%s)", account_id, reason)
    # robust: with the broker down the account stays due and the dispatcher or schedule hands it over;
    # the push or the reply is not failed for it.
    transaction.on_commit(lambda: sync_dispatch(account_ids=[account_id], reason=reason), robust=True)
    return bool(moved)


def chat_mark_due(*, chat_id: int, reason: str) -> bool:
    """A chat needs a fresh look: its account's next pass fetches it (passes are per account)."""
    account_id = Chat.objects.filter(pk=chat_id).values_list("account_id", flat=True).first()
    if account_id is None:
        return False
    return account_mark_due(account_id=account_id, reason=reason)


def account_sync_request(*, account_id: int) -> bool:
    """The earlier name of `account_mark_due`, kept for its callers."""
    return account_mark_due(account_id=account_id, reason="request")


def dispatch_sleep_seconds(
    *, maximum: float = DISPATCH_MAX_SLEEP_SECONDS, now: datetime | None = None
) -> float:
    """How long the dispatcher may sleep: until the earliest future `next_sync_at`, at most `maximum`."""
    now = now or timezone.now()
    earliest = (
        SyncState.objects.filter(account__is_active=True, next_sync_at__gt=now)
        .aggregate(earliest=Min("next_sync_at"))
        .get("earliest")
    )
    if earliest is None:
        return maximum
    return max(DISPATCH_MIN_SLEEP_SECONDS, min(maximum, (earliest - now).total_seconds()))


def _connections_reset() -> None:
    """After a database error: drop broken connections so the next look reconnects."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def dispatcher_run(
    *,
    should_stop: Callable[[], bool],
    sleep: Callable[[float], None] = time.sleep,
    maximum_sleep: float = DISPATCH_MAX_SLEEP_SECONDS,
) -> int:
    """The `manage.py dispatcher` loop: hand due accounts over, sleep until the next one falls due.

    It only reads and writes a few rows a second; the syncs themselves run in the qcluster workers.
    Returns how many passes it handed over.
    """
    handed = 0
    while not should_stop():
        try:
            handed += len(sync_dispatch())
            pause = dispatch_sleep_seconds(maximum=maximum_sleep)
        except DatabaseError:
            logger.exception("dispatcher: database error; retrying in %s s", DISPATCH_ERROR_PAUSE_SECONDS)
            _connections_reset()
            pause = DISPATCH_ERROR_PAUSE_SECONDS
        except Exception:
            # The broker (Redis) restarting must not end the dispatcher.
            logger.exception("dispatcher: cannot enqueue; retrying in %s s", DISPATCH_ERROR_PAUSE_SECONDS)
            pause = DISPATCH_ERROR_PAUSE_SECONDS
        sleep(pause)
    return handed


def sync_states_ensure() -> int:
    """Every account has a SyncState (accounts created outside the service would lack one)."""
    missing = MarketplaceAccount.objects.filter(sync_state__isnull=True).values_list("pk", flat=True)
    created = SyncState.objects.bulk_create(
        [SyncState(account_id=pk) for pk in missing], ignore_conflicts=True
    )
    return len(created)
