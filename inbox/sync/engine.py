"""The page walker, used by both the incremental pass and the backfill.

Network calls happen outside transactions; each page is applied in one short transaction that also
saves the cursor and renews the lease, guarded by the lease owner (a fencing check: a worker whose
lease expired and was taken over cannot write a stale page).
"""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from inbox.counts import SyncCounts
from inbox.models import Chat
from inbox.services.ingest import IngestMode, page_apply, page_preview
from inbox.services.statistics import database_statistics_refresh
from inbox.sync.health import (
    error_describe,
    rate_limited_message,
    run_finish,
    run_start,
    skipped_notes_log,
    sync_failure_record,
    sync_interval,
    sync_success_record,
)
from inbox.sync.lease import (
    LeaseLostError,
    lease_owner_new,
    sync_lease_acquire,
    sync_lease_release,
    sync_lease_take_over,
    sync_state_save_under_lease,
)
from marketplaces import registry
from marketplaces.errors import MarketplaceError, RateLimitedError
from marketplaces.types import ChatPosition, Cursor, UpdatesPage

logger = logging.getLogger(__name__)

# Bounded work per run so one busy account cannot hold a worker forever; the rest follows at once.
MAX_PAGES_PER_RUN = 200
# Backfill waits out short rate limits in place; a longer block (WB Base token: 1 req/h) stops it.
BACKFILL_MAX_WAIT_SECONDS = 120


@dataclass
class SyncReport:
    """How one pass (incremental or backfill) went; its counters are the one `SyncCounts`."""

    account_id: int
    mode: IngestMode
    ran: bool = False
    outcome: str = ""
    error: str = ""
    next_sync_at: datetime | None = None
    counts: SyncCounts = field(default_factory=SyncCounts)
    skipped_items: list[str] = field(default_factory=list)
    # The walk reached the last page (else it stopped early: page limit, rate limit, stuck cursor).
    finished: bool = False
    page_limit_reached: bool = False
    stopped_reason: str = ""
    started_monotonic: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Messages created per second so far."""
        elapsed = max(time.monotonic() - self.started_monotonic, 1e-6)
        return self.counts.messages_created / elapsed


@dataclass
class Walk:
    """What differs between the two modes; the walker itself is one loop."""

    mode: IngestMode
    fetch: Callable[[Cursor], UpdatesPage]
    # The state columns saved with each page, in the page's transaction.
    state_values: Callable[[UpdatesPage], dict[str, Any]]
    # Backfill: take the lease per page, so the incremental sync interleaves with a long walk.
    lease_per_page: bool = False
    lease_wait_seconds: float = 0
    # Backfill: wait out rate limits up to this long in place (0: raise them to the caller).
    rate_limit_wait_seconds: float = 0
    dry_run: bool = False
    max_pages: int | None = None
    on_page: Callable[[SyncReport], None] | None = None
    sleep: Callable[[float], None] = time.sleep


def _lease_wait(*, account_id: int, owner: str, walk: Walk) -> None:
    waited = 0.0
    while not sync_lease_acquire(account_id=account_id, owner=owner, require_due=False):
        if waited >= walk.lease_wait_seconds:
            raise LeaseLostError("account busy")
        walk.sleep(1.0)
        waited += 1.0


def pages_walk(
    *, account: MarketplaceAccount, owner: str, walk: Walk, cursor: Cursor, report: SyncReport
) -> None:
    """Fetch and apply pages from `cursor` until the last one (or a stop); counts go to `report`."""
    while True:
        if walk.lease_per_page:
            _lease_wait(account_id=account.pk, owner=owner, walk=walk)
        try:
            page = walk.fetch(cursor)
        except RateLimitedError as error:
            if not walk.rate_limit_wait_seconds:
                raise
            sync_lease_release(account_id=account.pk, owner=owner)
            until = timezone.now() + timedelta(seconds=max(error.retry_after, 1))
            SyncState.objects.filter(pk=account.pk).update(rate_limited_until=until)
            if error.retry_after > walk.rate_limit_wait_seconds:
                report.stopped_reason = "{} {}".format(
                    rate_limited_message(until=until),
                    gettext("Run the command again later: it continues where it stopped."),
                )
                return
            walk.sleep(error.retry_after)
            continue
        report.skipped_items += skipped_notes_log(account_id=account.pk, page=page)
        if walk.dry_run:
            result = page_preview(account=account, page=page)
        else:
            with transaction.atomic():
                sync_state_save_under_lease(
                    account_id=account.pk, owner=owner, values=walk.state_values(page)
                )
                result = page_apply(account=account, page=page, mode=walk.mode)
        if walk.lease_per_page:
            sync_lease_release(account_id=account.pk, owner=owner)
        report.counts.add(other=result)
        if walk.on_page is not None:
            walk.on_page(report)
        if not page.has_more:
            report.finished = True
            return
        if page.cursor == cursor:
            logger.error("account %s: connector returned has_more with an unchanged cursor", account.pk)
            report.stopped_reason = gettext("The connector returned the same cursor again; the walk stopped.")
            return
        cursor = page.cursor
        if walk.max_pages is not None and report.counts.pages >= walk.max_pages:
            report.page_limit_reached = True
            return


def chat_positions_get(*, account_id: int, chat_external_ids: list[str]) -> dict[str, ChatPosition]:
    """Our position in each known chat (the newest marketplace message we hold), in one query."""
    rows = Chat.objects.filter(account_id=account_id, external_id__in=chat_external_ids).values_list(
        "external_id", "last_message_external_id", "last_message_at"
    )
    return {
        external_id: ChatPosition(last_message_external_id=last_id, last_message_at=last_at)
        for external_id, last_id, last_at in rows
    }


def _claim(*, account_id: int, owner: str, reserved: bool, force: bool, next_sync_at: datetime) -> bool:
    # Claiming moves next_sync_at forward at once: a push arriving during the run moves it back to
    # "now", and the end of the run keeps that instead of overwriting it.
    if reserved and sync_lease_take_over(account_id=account_id, owner=owner, next_sync_at=next_sync_at):
        return True
    return sync_lease_acquire(
        account_id=account_id, owner=owner, require_due=not force, next_sync_at=next_sync_at
    )


def account_sync(
    *, account_id: int, force: bool = False, owner: str | None = None, reservation: str = ""
) -> SyncReport:
    """One incremental pass for one account. Returns ran=False when the account is busy or not due.

    `force` (the sync_chats command) ignores the schedule but still respects the lease and rate limit.
    `reservation` is the lease owner the dispatcher reserved the account for when it queued this pass.
    """
    owner = reservation or owner or lease_owner_new()
    report = SyncReport(account_id=account_id, mode=IngestMode.INCREMENTAL)
    account = MarketplaceAccount.objects.filter(pk=account_id).first()
    if account is None:
        return report
    started = timezone.now()
    planned_next = claimed_next = started + sync_interval(marketplace=account.marketplace)
    if force:
        blocked = SyncState.objects.filter(pk=account_id, rate_limited_until__gt=started).values_list(
            "rate_limited_until", flat=True
        )
        if blocked:
            report.outcome = SyncRun.Outcome.RATE_LIMITED
            report.next_sync_at = blocked[0]
            return report
    if not _claim(
        account_id=account_id, owner=owner, reserved=bool(reservation), force=force, next_sync_at=claimed_next
    ):
        return report
    report.ran = True
    run = run_start(account_id=account_id, kind=SyncRun.Kind.SYNC)
    try:
        cursor: Cursor = SyncState.objects.get(pk=account_id).cursor or {}
        connector = registry.get_connector(account)

        def positions(chat_external_ids: list[str]) -> Mapping[str, ChatPosition]:
            return chat_positions_get(account_id=account_id, chat_external_ids=list(chat_external_ids))

        walk = Walk(
            mode=IngestMode.INCREMENTAL,
            fetch=lambda page_cursor: connector.fetch_updates(cursor=page_cursor, positions=positions),
            state_values=lambda page: {"cursor": page.cursor},
            max_pages=MAX_PAGES_PER_RUN,
        )
        pages_walk(account=account, owner=owner, walk=walk, cursor=cursor, report=report)
    except LeaseLostError:
        logger.warning("account %s: lease lost during sync; another worker continues", account_id)
        report.outcome = SyncRun.Outcome.FAILED
        report.error = gettext("Sync interrupted: another process took the account over.")
        run_finish(run=run, counts=report.counts, outcome=report.outcome, error=report.error)
        return report
    except Exception as error:
        if not isinstance(error, MarketplaceError):
            logger.exception("account %s: sync failed", account_id)
        else:
            logger.warning("account %s: sync failed: %s", account_id, error_describe(error=error))
        state = sync_failure_record(
            account_id=account_id, marketplace=account.marketplace, error=error, now=timezone.now()
        )
        report.outcome = (
            SyncRun.Outcome.RATE_LIMITED if isinstance(error, RateLimitedError) else SyncRun.Outcome.FAILED
        )
        report.error = state.last_error
        report.next_sync_at = state.next_sync_at
        run_finish(run=run, counts=report.counts, outcome=report.outcome, error=report.error)
        sync_lease_release(account_id=account_id, owner=owner)
        return report

    if report.page_limit_reached:
        planned_next = timezone.now()
    sync_success_record(account_id=account_id, claimed_next=claimed_next, planned_next=planned_next)
    report.outcome = SyncRun.Outcome.SUCCESS
    run_finish(run=run, counts=report.counts, outcome=report.outcome)
    sync_lease_release(account_id=account_id, owner=owner)
    return report


def _backfill_start_cursor(*, state: SyncState, since: date | None) -> Cursor:
    """Resume the stored walk when it was for the same --since and not finished; else start over."""
    stored = state.backfill_cursor or {}
    wanted_since = since.isoformat() if since else None
    if stored and stored.get("since") == wanted_since and not stored.get("finished"):
        return dict(stored.get("connector") or {})
    return {}


def account_backfill(
    *,
    account_id: int,
    since: date | None = None,
    dry_run: bool = False,
    on_page: Callable[[SyncReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    lease_wait_seconds: float = 600,
) -> SyncReport:
    """Walk the whole history with the sync's ingest code; resumable, page by page.

    The lease is taken per page (network + write), so the incremental sync can interleave between
    pages instead of waiting for a long backfill to finish.
    """
    account = MarketplaceAccount.objects.get(pk=account_id)
    state, _created = SyncState.objects.get_or_create(account=account)
    cursor = _backfill_start_cursor(state=state, since=since)
    since_at = (
        timezone.make_aware(datetime.combine(since, datetime.min.time())) if since is not None else None
    )
    wanted_since = since.isoformat() if since else None
    connector = registry.get_connector(account)

    def state_values(page: UpdatesPage) -> dict[str, Any]:
        values: dict[str, Any] = {
            "backfill_cursor": {
                "since": wanted_since,
                "connector": page.cursor,
                "finished": not page.has_more,
            }
        }
        if not page.has_more:
            values["backfill_finished_at"] = timezone.now()
        return values

    walk = Walk(
        mode=IngestMode.BACKFILL,
        fetch=lambda page_cursor: connector.fetch_history(cursor=page_cursor, since=since_at),
        state_values=state_values,
        lease_per_page=True,
        lease_wait_seconds=lease_wait_seconds,
        rate_limit_wait_seconds=BACKFILL_MAX_WAIT_SECONDS,
        dry_run=dry_run,
        on_page=on_page,
        sleep=sleep,
    )
    report = SyncReport(account_id=account_id, mode=IngestMode.BACKFILL, ran=True)
    run = None if dry_run else run_start(account_id=account_id, kind=SyncRun.Kind.BACKFILL)
    owner = lease_owner_new()
    try:
        pages_walk(account=account, owner=owner, walk=walk, cursor=cursor, report=report)
    except BaseException as error:
        # Also on Ctrl-C (KeyboardInterrupt): the regular sync must not wait for the lease to expire,
        # and the run must not stay "running" forever.
        sync_lease_release(account_id=account_id, owner=owner)
        if run is not None:
            if isinstance(error, KeyboardInterrupt):
                reason = gettext("Interrupted; run the command again: it continues from the last page.")
            elif isinstance(error, LeaseLostError):
                reason = "busy"
            else:
                reason = error_describe(error=error)
            run_finish(run=run, counts=report.counts, outcome=SyncRun.Outcome.FAILED, error=reason)
        raise
    report.outcome = SyncRun.Outcome.SUCCESS if report.finished else SyncRun.Outcome.RATE_LIMITED
    report.error = report.stopped_reason
    if run is not None:
        run_finish(run=run, counts=report.counts, outcome=report.outcome, error=report.stopped_reason)
    if report.counts.messages_created and not dry_run:
        # A large history just landed; SQLite's planner would not know until the hourly refresh.
        database_statistics_refresh()
    return report
