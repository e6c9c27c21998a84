"""When an account is next due and how its runs went: SyncRun records, failures, backoff, intervals."""

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import SyncRun, SyncState
from inbox.counts import SyncCounts
from marketplaces.errors import AuthError, CapabilityError, MarketplaceError, RateLimitedError
from marketplaces.registry import spec_for
from marketplaces.types import UpdatesPage

logger = logging.getLogger(__name__)

BACKOFF_CAP_SECONDS = 3600
# Broken credentials or a missing subscription will not heal in a minute: retry rarely.
AUTH_BACKOFF_SECONDS = 3600
AUTH_BACKOFF_CAP_SECONDS = 6 * 3600
RUN_COUNT_FIELDS = ["pages", "requests", "chats_upserted", "messages_created", "items_skipped"]


def sync_interval(*, marketplace: str) -> timedelta:
    """The polling interval of the marketplace's accounts; SYNC_INTERVAL_SECONDS, when set, rules all."""
    seconds = settings.SYNC_INTERVAL_SECONDS or spec_for(marketplace).sync_interval_seconds
    return timedelta(seconds=seconds)


def backoff_delay(*, failures: int, marketplace: str, auth: bool = False) -> timedelta:
    """Exponential with jitter (±25 %), capped; credentials/capability problems start at an hour."""
    if auth:
        base, cap = AUTH_BACKOFF_SECONDS, AUTH_BACKOFF_CAP_SECONDS
    else:
        base = max(sync_interval(marketplace=marketplace).total_seconds(), 30)
        cap = BACKOFF_CAP_SECONDS
    seconds = min(cap, base * 2 ** min(max(failures - 1, 0), 16))
    return timedelta(seconds=min(cap, seconds * random.uniform(0.75, 1.25)))


def error_describe(*, error: BaseException) -> str:
    """A message safe for staff and for the database: connector messages are written that way."""
    if isinstance(error, MarketplaceError):
        return error.message[:2000]
    return gettext("Internal sync error; the details are in the server log.")


def rate_limited_message(*, until: datetime) -> str:
    return gettext("The marketplace limited the request rate until %(time)s.") % {
        "time": f"{timezone.localtime(until):%H:%M:%S}"
    }


def skipped_notes_log(*, account_id: int, page: UpdatesPage) -> list[str]:
    notes = []
    for item in page.skipped:
        note = f"{item.reference}: {item.reason}" if item.reference else item.reason
        notes.append(note)
        logger.warning("account %s: skipped malformed item %s", account_id, note)
    return notes


def run_counts_store(*, run: SyncRun, counts: SyncCounts) -> None:
    """Map the one counts type onto the SyncRun columns (not saved here)."""
    run.pages = counts.pages
    run.requests = counts.requests
    run.chats_upserted = counts.chats_upserted
    run.messages_created = counts.messages_created
    run.items_skipped = counts.skipped


def run_start(*, account_id: int, kind: str) -> SyncRun:
    return SyncRun.objects.create(account_id=account_id, kind=kind)


def run_finish(*, run: SyncRun, counts: SyncCounts, outcome: str, error: str = "") -> None:
    run_counts_store(run=run, counts=counts)
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["outcome", "error", "finished_at", *RUN_COUNT_FIELDS])


def sync_failure_record(
    *, account_id: int, marketplace: str, error: BaseException, now: datetime
) -> SyncState:
    """Store the failure and when to try again; returns the state as written (outcome in `last_error`)."""
    state = SyncState.objects.get(pk=account_id)
    message = error_describe(error=error)
    state.last_attempt_at = now
    state.last_error = message
    fields = ["last_attempt_at", "last_error", "next_sync_at"]
    if isinstance(error, RateLimitedError):
        until = now + timedelta(seconds=max(error.retry_after, 1))
        state.rate_limited_until = state.next_sync_at = until
        state.last_error = rate_limited_message(until=until)
        fields.append("rate_limited_until")
    else:
        state.consecutive_failures += 1
        auth = isinstance(error, AuthError | CapabilityError)
        state.next_sync_at = now + backoff_delay(
            failures=state.consecutive_failures, marketplace=marketplace, auth=auth
        )
        fields.append("consecutive_failures")
        if isinstance(error, CapabilityError):
            state.capability_notes = message
            fields.append("capability_notes")
    values: dict[str, Any] = {name: getattr(state, name) for name in fields}
    SyncState.objects.filter(pk=account_id).update(**values)
    return state


def sync_success_record(*, account_id: int, claimed_next: datetime, planned_next: datetime) -> None:
    """A clean pass: health reset; the next sync as planned unless a push moved it meanwhile."""
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
