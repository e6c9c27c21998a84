"""The account lease: one conditional UPDATE decides who may sync an account, on SQLite and PostgreSQL.

A lease is also taken for the queue: the dispatcher reserves a due account before it hands the account
to django-q (`sync_lease_reserve`), so no second task is queued for it, and the task takes the
reservation over (`sync_lease_take_over`). A lost task's reservation simply expires.
"""

import os
import socket
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncState

# Longer than one django-q task may run (Q_CLUSTER timeout 240 s) so a live worker keeps it; renewed
# on every page. A dead worker's lease simply expires.
LEASE_SECONDS = 300
# How long a queued sync task keeps its account reserved before the dispatcher hands it over again:
# longer than a busy queue normally holds a task, short enough that a lost task costs little.
RESERVATION_SECONDS = 120


class LeaseLostError(Exception):
    """Our lease expired and another worker took the account over; this worker must stop writing."""


def lease_owner_new() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _active(account_id: int) -> Q:
    # Every lease condition must sit on the syncstate row itself: a join would make Django move the
    # whole WHERE into a subquery, which PostgreSQL does not re-check after waiting for the row lock.
    return Q(pk=account_id) & Q(
        pk__in=MarketplaceAccount.objects.filter(pk=account_id, is_active=True).values("pk")
    )


def _due(now: datetime) -> Q:
    return (Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)) & (
        Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now)
    )


def sync_lease_acquire(
    *,
    account_id: int,
    owner: str,
    require_due: bool = True,
    next_sync_at: datetime | None = None,
    seconds: int = LEASE_SECONDS,
) -> bool:
    """Take the account with one conditional UPDATE; True when this caller now holds it.

    The WHERE clause is re-checked by the database under the row lock (PostgreSQL) or the write lock
    (SQLite), so of two concurrent callers exactly one updates the row.
    """
    now = timezone.now()
    condition = _active(account_id) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if require_due:
        condition &= _due(now)
    values: dict[str, Any] = {"lease_owner": owner, "lease_until": now + timedelta(seconds=seconds)}
    if next_sync_at is not None:
        values["next_sync_at"] = next_sync_at
    return SyncState.objects.filter(condition).update(**values) == 1


def sync_lease_reserve(*, account_id: int) -> str | None:
    """Reserve a due account for a queued task; returns the reservation (the task's lease owner)."""
    owner = lease_owner_new()
    if sync_lease_acquire(account_id=account_id, owner=owner, seconds=RESERVATION_SECONDS):
        return owner
    return None


def sync_lease_take_over(*, account_id: int, owner: str, next_sync_at: datetime) -> bool:
    """The queued task turns its unexpired reservation into a full lease."""
    now = timezone.now()
    condition = _active(account_id) & Q(lease_owner=owner, lease_until__gte=now)
    return (
        SyncState.objects.filter(condition).update(
            lease_until=now + timedelta(seconds=LEASE_SECONDS), next_sync_at=next_sync_at
        )
        == 1
    )


def sync_lease_release(*, account_id: int, owner: str) -> None:
    SyncState.objects.filter(pk=account_id, lease_owner=owner).update(lease_owner="", lease_until=None)


def sync_state_save_under_lease(*, account_id: int, owner: str, values: Mapping[str, Any]) -> None:
    """Write sync state only while still holding the lease (a fencing check), renewing it."""
    now = timezone.now()
    updated = SyncState.objects.filter(pk=account_id, lease_owner=owner, lease_until__gte=now).update(
        lease_until=now + timedelta(seconds=LEASE_SECONDS), **values
    )
    if not updated:
        raise LeaseLostError(f"lease on account {account_id} lost")
