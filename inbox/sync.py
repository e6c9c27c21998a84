"""The sync engine: lease, incremental pass, backfill walk, dispatcher, and the health bookkeeping.

Network calls happen outside transactions; each page is applied in one short transaction that also
saves the cursor and renews the lease, guarded by the lease owner (a fencing check: a worker whose
lease expired and was taken over cannot write a stale page).
"""

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from inbox.models import Chat
from inbox.queue import task_enqueue
from inbox.services.ingest import IngestMode, IngestResult, page_apply, page_preview
from inbox.services.schedules import schedule_generation
from inbox.services.statistics import database_statistics_refresh
from marketplaces import registry
from marketplaces.errors import (
    AuthError,
    CapabilityError,
    MarketplaceError,
    RateLimitedError,
)
from marketplaces.types import ChatPosition, Cursor, UpdatesPage

logger = logging.getLogger(__name__)

# Longer than one django-q task may run (Q_CLUSTER timeout 240 s) so a live worker keeps it; renewed
# on every page. A dead worker's lease simply expires.
LEASE_SECONDS = 300
# Bounded work per run so one busy account cannot hold a worker forever; the rest comes next minute.
MAX_PAGES_PER_RUN = 200
BACKOFF_CAP_SECONDS = 3600
# Broken credentials or a missing subscription will not heal in a minute: retry rarely.
AUTH_BACKOFF_SECONDS = 3600
AUTH_BACKOFF_CAP_SECONDS = 6 * 3600
# Backfill waits out short rate limits in place; a longer block (WB Base token: 1 req/h) stops it.
BACKFILL_MAX_WAIT_SECONDS = 120
# The dispatcher loop must end before the task timeout (Q_CLUSTER timeout 240 s); the next scheduled
# run normally replaces it after about a minute.
DISPATCH_LOOP_SECONDS = 200.0
DISPATCH_TICK_SECONDS = 2.0
# An account handed to the queue is not handed again for this long (the worker may be busy).
DISPATCH_REPEAT_SECONDS = 60.0


class LeaseLostError(Exception):
    """Our lease expired and another worker took the account over; this worker must stop writing."""


@dataclass
class SyncOutcome:
    account_id: int
    ran: bool
    outcome: str = ""
    pages: int = 0
    requests: int = 0
    chats_upserted: int = 0
    messages_created: int = 0
    replies_matched: int = 0
    skipped: int = 0
    error: str = ""
    next_sync_at: datetime | None = None
    skipped_items: list[str] = field(default_factory=list)


def lease_owner_new() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def sync_interval() -> timedelta:
    return timedelta(seconds=settings.SYNC_INTERVAL_SECONDS)


def sync_lease_acquire(
    *, account_id: int, owner: str, require_due: bool = True, next_sync_at: datetime | None = None
) -> bool:
    """Take the account with one conditional UPDATE; True when this caller now holds it.

    The WHERE clause is re-checked by the database under the row lock (PostgreSQL) or the write lock
    (SQLite), so of two concurrent callers exactly one updates the row.
    """
    now = timezone.now()
    # Every lease condition must sit on the syncstate row itself: a join would make Django move the
    # whole WHERE into a subquery, which PostgreSQL does not re-check after waiting for the row lock.
    active = MarketplaceAccount.objects.filter(pk=account_id, is_active=True).values("pk")
    condition = Q(pk=account_id) & Q(pk__in=active) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if require_due:
        condition &= Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
        condition &= Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now)
    values: dict[str, Any] = {"lease_owner": owner, "lease_until": now + timedelta(seconds=LEASE_SECONDS)}
    if next_sync_at is not None:
        values["next_sync_at"] = next_sync_at
    return SyncState.objects.filter(condition).update(**values) == 1


def sync_lease_release(*, account_id: int, owner: str) -> None:
    SyncState.objects.filter(pk=account_id, lease_owner=owner).update(lease_owner="", lease_until=None)


def _state_save_under_lease(*, account_id: int, owner: str, values: Mapping[str, Any]) -> None:
    now = timezone.now()
    updated = SyncState.objects.filter(pk=account_id, lease_owner=owner, lease_until__gte=now).update(
        lease_until=now + timedelta(seconds=LEASE_SECONDS), **values
    )
    if not updated:
        raise LeaseLostError(f"lease on account {account_id} lost")


def chat_positions_get(*, account_id: int, chat_external_ids: list[str]) -> dict[str, ChatPosition]:
    """Our position in each known chat (the newest marketplace message we hold), in one query."""
    rows = Chat.objects.filter(account_id=account_id, external_id__in=chat_external_ids).values_list(
        "external_id", "last_message_external_id", "last_message_at"
    )
    return {
        external_id: ChatPosition(last_message_external_id=last_id, last_message_at=last_at)
        for external_id, last_id, last_at in rows
    }


def backoff_delay(*, failures: int, auth: bool = False) -> timedelta:
    """Exponential with jitter (±25 %), capped; credentials/capability problems start at an hour."""
    if auth:
        base, cap = AUTH_BACKOFF_SECONDS, AUTH_BACKOFF_CAP_SECONDS
    else:
        base, cap = max(settings.SYNC_INTERVAL_SECONDS, 30), BACKOFF_CAP_SECONDS
    seconds = min(cap, base * 2 ** min(max(failures - 1, 0), 16))
    return timedelta(seconds=min(cap, seconds * random.uniform(0.75, 1.25)))


def error_describe(*, error: BaseException) -> str:
    """A message safe for staff and for the database: connector messages are written that way."""
    if isinstance(error, MarketplaceError):
        return error.message[:2000]
    return "Внутренняя ошибка синхронизации; подробности в журнале сервера."


def _run_finish(*, run: SyncRun, outcome: str, error: str = "") -> None:
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    run.save(
        update_fields=[
            "outcome",
            "error",
            "finished_at",
            "pages",
            "requests",
            "chats_upserted",
            "messages_created",
            "items_skipped",
        ]
    )


def _run_count(*, run: SyncRun, page: UpdatesPage, result: IngestResult) -> None:
    run.pages += 1
    run.requests += page.requests_made
    run.chats_upserted += result.chats_upserted
    run.messages_created += result.messages_created
    run.items_skipped += result.skipped


def _skipped_log(*, account_id: int, page: UpdatesPage) -> list[str]:
    notes = []
    for item in page.skipped:
        note = f"{item.reference}: {item.reason}" if item.reference else item.reason
        notes.append(note)
        logger.warning("account %s: skipped malformed item %s", account_id, note)
    return notes


def _failure_record(
    *, account_id: int, owner: str, error: BaseException, outcome: SyncOutcome, now: datetime
) -> None:
    message = error_describe(error=error)
    state = SyncState.objects.get(pk=account_id)
    values: dict[str, Any] = {"last_attempt_at": now, "last_error": message}
    if isinstance(error, RateLimitedError):
        until = now + timedelta(seconds=max(error.retry_after, 1))
        values["rate_limited_until"] = until
        values["next_sync_at"] = until
        values["last_error"] = (
            f"Маркетплейс ограничил частоту запросов до {timezone.localtime(until):%H:%M:%S}."
        )
        outcome.outcome = SyncRun.Outcome.RATE_LIMITED
    else:
        failures = state.consecutive_failures + 1
        auth = isinstance(error, AuthError | CapabilityError)
        values["consecutive_failures"] = failures
        values["next_sync_at"] = now + backoff_delay(failures=failures, auth=auth)
        if isinstance(error, CapabilityError):
            values["capability_notes"] = message
        outcome.outcome = SyncRun.Outcome.FAILED
    outcome.error = values["last_error"]
    outcome.next_sync_at = values["next_sync_at"]
    SyncState.objects.filter(pk=account_id).update(**values)


def account_sync(*, account_id: int, force: bool = False, owner: str | None = None) -> SyncOutcome:
    """One incremental pass for one account. Returns ran=False when the account is busy or not due.

    `force` (the sync_chats command) ignores the schedule but still respects the lease and rate limit.
    """
    owner = owner or lease_owner_new()
    outcome = SyncOutcome(account_id=account_id, ran=False)
    started = timezone.now()
    planned_next = claimed_next = started + sync_interval()
    if force:
        blocked = SyncState.objects.filter(pk=account_id, rate_limited_until__gt=started).values_list(
            "rate_limited_until", flat=True
        )
        if blocked:
            outcome.outcome = SyncRun.Outcome.RATE_LIMITED
            outcome.next_sync_at = blocked[0]
            return outcome
    # Claiming moves next_sync_at forward at once: a push arriving during the run moves it back to
    # "now", and the end of the run keeps that instead of overwriting it.
    if not sync_lease_acquire(
        account_id=account_id, owner=owner, require_due=not force, next_sync_at=planned_next
    ):
        return outcome
    outcome.ran = True
    run = SyncRun.objects.create(account_id=account_id, kind=SyncRun.Kind.SYNC)
    try:
        account = MarketplaceAccount.objects.get(pk=account_id)
        state = SyncState.objects.get(pk=account_id)
        cursor: Cursor = state.cursor or {}

        def positions(chat_external_ids: list[str]) -> Mapping[str, ChatPosition]:
            return chat_positions_get(account_id=account_id, chat_external_ids=list(chat_external_ids))

        connector = registry.get_connector(account)
        more = True
        while more:
            page = connector.fetch_updates(cursor=cursor, positions=positions)
            outcome.skipped_items += _skipped_log(account_id=account_id, page=page)
            with transaction.atomic():
                _state_save_under_lease(account_id=account_id, owner=owner, values={"cursor": page.cursor})
                result = page_apply(account=account, page=page, mode=IngestMode.INCREMENTAL)
            _run_count(run=run, page=page, result=result)
            outcome.replies_matched += result.replies_matched
            more = page.has_more
            if more and page.cursor == cursor:
                logger.error("account %s: connector returned has_more with an unchanged cursor", account_id)
                break
            cursor = page.cursor
            if run.pages >= MAX_PAGES_PER_RUN:
                planned_next = timezone.now()
                break
    except LeaseLostError:
        logger.warning("account %s: lease lost during sync; another worker continues", account_id)
        outcome.outcome = SyncRun.Outcome.FAILED
        outcome.error = "Синхронизация прервана: аккаунт перехвачен другим процессом."
        _run_finish(run=run, outcome=outcome.outcome, error=outcome.error)
        _outcome_counts(outcome=outcome, run=run)
        return outcome
    except Exception as error:
        if not isinstance(error, MarketplaceError):
            logger.exception("account %s: sync failed", account_id)
        else:
            logger.warning("account %s: sync failed: %s", account_id, error_describe(error=error))
        _failure_record(account_id=account_id, owner=owner, error=error, outcome=outcome, now=timezone.now())
        _run_finish(run=run, outcome=outcome.outcome, error=outcome.error)
        _outcome_counts(outcome=outcome, run=run)
        sync_lease_release(account_id=account_id, owner=owner)
        return outcome

    now = timezone.now()
    SyncState.objects.filter(pk=account_id).update(
        last_attempt_at=now,
        last_success_at=now,
        consecutive_failures=0,
        last_error="",
        rate_limited_until=None,
        next_sync_at=Case(
            When(next_sync_at=claimed_next, then=Value(planned_next)), default=F("next_sync_at")
        ),
    )
    outcome.outcome = SyncRun.Outcome.SUCCESS
    _run_finish(run=run, outcome=outcome.outcome)
    _outcome_counts(outcome=outcome, run=run)
    sync_lease_release(account_id=account_id, owner=owner)
    return outcome


def _outcome_counts(*, outcome: SyncOutcome, run: SyncRun) -> None:
    outcome.pages = run.pages
    outcome.requests = run.requests
    outcome.chats_upserted = run.chats_upserted
    outcome.messages_created = run.messages_created
    outcome.skipped = run.items_skipped


def sync_dispatch(*, handed: dict[int, datetime | None] | None = None) -> list[int]:
    """Enqueue sync_account for every active account that is due, not rate-limited and not leased.

    `handed` (account id -> next_sync_at when it was handed to the queue) lets the dispatcher loop skip
    accounts still waiting in the queue; a sync moves next_sync_at, which makes the account eligible again.
    """
    now = timezone.now()
    due = (
        SyncState.objects.filter(account__is_active=True)
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .filter(Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_sync_at")
        .values_list("account_id", "next_sync_at")
    )
    enqueued = []
    for account_id, next_sync_at in due:
        if handed is not None:
            if account_id in handed and handed[account_id] == next_sync_at:
                continue
            handed[account_id] = next_sync_at
        task_enqueue(func="inbox.tasks.sync_account", args=(account_id,), name=f"sync-{account_id}")
        enqueued.append(account_id)
    return enqueued


def sync_dispatch_loop(
    *,
    seconds: float = DISPATCH_LOOP_SECONDS,
    tick: float = DISPATCH_TICK_SECONDS,
    generation: Callable[[], object] = schedule_generation,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Dispatch due accounts every `tick` seconds until the scheduler starts the next loop.

    django-q2 fires schedules at most every minute (checked every 30 s), which alone would add up to
    90 s to the polling interval. One loop at a time keeps due accounts moving within seconds: each
    scheduled run takes over, and the previous loop exits when it sees the newer generation.
    """
    started = clock()
    sleep(min(tick, 1.0))  # the scheduler records the task id just after enqueueing it
    mine = generation()
    handed: dict[int, datetime | None] = {}
    handed_at = clock()
    dispatched = 0
    while clock() - started < seconds:
        if clock() - handed_at >= DISPATCH_REPEAT_SECONDS:
            # A task can be lost (worker killed); hand everything due over again now and then.
            handed.clear()
            handed_at = clock()
        dispatched += len(sync_dispatch(handed=handed))
        sleep(tick)
        if generation() != mine:
            break
    return dispatched


def sync_states_ensure() -> int:
    """Every account has a SyncState (accounts created outside the service would lack one)."""
    missing = MarketplaceAccount.objects.filter(sync_state__isnull=True).values_list("pk", flat=True)
    created = SyncState.objects.bulk_create(
        [SyncState(account_id=pk) for pk in missing], ignore_conflicts=True
    )
    return len(created)


def account_sync_request(*, account_id: int) -> bool:
    """A push said something changed: make the account due now and enqueue a sync after commit.

    Only healthy accounts are pulled forward (a failing one keeps its backoff); an account already due
    is left alone, so a burst of duplicate pushes enqueues at most one task.
    """
    now = timezone.now()
    updated = (
        SyncState.objects.filter(
            pk=account_id,
            pk__in=MarketplaceAccount.objects.filter(pk=account_id, is_active=True).values("pk"),
            consecutive_failures=0,
        )
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__gt=now))
        .update(next_sync_at=now)
    )
    if updated:
        transaction.on_commit(
            lambda: task_enqueue(
                func="inbox.tasks.sync_account", args=(account_id,), name=f"push-{account_id}"
            )
        )
    return bool(updated)


# --- backfill -----------------------------------------------------------------------------------


@dataclass
class BackfillProgress:
    pages: int = 0
    messages_created: int = 0
    chats_upserted: int = 0
    skipped: int = 0
    requests: int = 0
    started_monotonic: float = field(default_factory=time.monotonic)
    finished: bool = False
    stopped_reason: str = ""

    @property
    def rate(self) -> float:
        elapsed = max(time.monotonic() - self.started_monotonic, 1e-6)
        return self.messages_created / elapsed


def _backfill_start_cursor(*, state: SyncState, since: date | None) -> tuple[Cursor, bool]:
    """Resume the stored walk when it was for the same --since and not finished; else start over."""
    stored = state.backfill_cursor or {}
    wanted_since = since.isoformat() if since else None
    if stored and stored.get("since") == wanted_since and not stored.get("finished"):
        return dict(stored.get("connector") or {}), True
    return {}, False


def account_backfill(
    *,
    account_id: int,
    since: date | None = None,
    dry_run: bool = False,
    on_page: Callable[[BackfillProgress], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    lease_wait_seconds: float = 600,
) -> BackfillProgress:
    """Walk the whole history with the sync's ingest code; resumable, page by page.

    The lease is taken per page (network + write), so the incremental sync can interleave between
    pages instead of waiting for a long backfill to finish.
    """
    account = MarketplaceAccount.objects.get(pk=account_id)
    state, _created = SyncState.objects.get_or_create(account=account)
    cursor, _resumed = _backfill_start_cursor(state=state, since=since)
    since_at = (
        timezone.make_aware(datetime.combine(since, datetime.min.time())) if since is not None else None
    )
    wanted_since = since.isoformat() if since else None
    progress = BackfillProgress()
    connector = registry.get_connector(account)
    run = None if dry_run else SyncRun.objects.create(account=account, kind=SyncRun.Kind.BACKFILL)
    owner = lease_owner_new()
    try:
        while True:
            waited = 0.0
            while not sync_lease_acquire(account_id=account_id, owner=owner, require_due=False):
                if waited >= lease_wait_seconds:
                    raise LeaseLostError("account busy")
                sleep(1.0)
                waited += 1.0
            try:
                page = connector.fetch_history(cursor=cursor, since=since_at)
            except RateLimitedError as error:
                sync_lease_release(account_id=account_id, owner=owner)
                until = timezone.now() + timedelta(seconds=max(error.retry_after, 1))
                SyncState.objects.filter(pk=account_id).update(rate_limited_until=until)
                if error.retry_after > BACKFILL_MAX_WAIT_SECONDS:
                    progress.stopped_reason = (
                        f"Маркетплейс ограничил частоту запросов до {timezone.localtime(until):%H:%M:%S}; "
                        "запустите команду снова позже — она продолжит с того же места."
                    )
                    break
                sleep(error.retry_after)
                continue
            _skipped_log(account_id=account_id, page=page)
            if dry_run:
                result = page_preview(account=account, page=page)
            else:
                wrapped = {
                    "since": wanted_since,
                    "connector": page.cursor,
                    "finished": not page.has_more,
                }
                values: dict[str, Any] = {"backfill_cursor": wrapped}
                if not page.has_more:
                    values["backfill_finished_at"] = timezone.now()
                with transaction.atomic():
                    _state_save_under_lease(account_id=account_id, owner=owner, values=values)
                    result = page_apply(account=account, page=page, mode=IngestMode.BACKFILL)
            sync_lease_release(account_id=account_id, owner=owner)
            progress.pages += 1
            progress.requests += page.requests_made
            progress.messages_created += result.messages_created
            progress.chats_upserted += result.chats_upserted
            progress.skipped += result.skipped
            if run is not None:
                _run_count(run=run, page=page, result=result)
            if on_page is not None:
                on_page(progress)
            if not page.has_more:
                progress.finished = True
                break
            if page.cursor == cursor:
                progress.stopped_reason = "Коннектор вернул тот же курсор; обход остановлен."
                break
            cursor = page.cursor
    except BaseException as error:
        # Also on Ctrl-C (KeyboardInterrupt): the regular sync must not wait for the lease to expire,
        # and the run must not stay "running" forever.
        sync_lease_release(account_id=account_id, owner=owner)
        if run is not None:
            if isinstance(error, KeyboardInterrupt):
                reason = "Прервано; запустите команду снова — она продолжит с последней страницы."
            elif isinstance(error, LeaseLostError):
                reason = "busy"
            else:
                reason = error_describe(error=error)
            _run_finish(run=run, outcome=SyncRun.Outcome.FAILED, error=reason)
        raise
    if run is not None:
        _run_finish(
            run=run,
            outcome=SyncRun.Outcome.SUCCESS if progress.finished else SyncRun.Outcome.RATE_LIMITED,
            error=progress.stopped_reason,
        )
    if progress.messages_created and not dry_run:
        # A large history just landed; SQLite's planner would not know until the hourly refresh.
        database_statistics_refresh()
    return progress
