"""The inbox polls' cheap question "has anything the list shows changed?", answered without reading chats.

The list's version is a fingerprint of the change counters of the user's accounts (bumped by database
triggers with every chat write, see `AccountChangeCounter`), of what the footer says about each account's
sync (to the minute) and of the current minute, which re-renders the "waiting 5 min" labels. It is taken
before the list is read, so a change that lands while the list renders moves the version the next poll
compares with.
"""

import hashlib
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from accounts.selectors import account_list_for_user
from inbox.selectors import ChatFilters


def minute_of(moment: datetime | None) -> datetime | None:
    return moment.replace(second=0, microsecond=0) if moment is not None else None


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def list_version(*, user: AbstractBaseUser | AnonymousUser, filters: ChatFilters, cursor: str = "") -> str:
    accounts = (
        account_list_for_user(user=user)
        .select_related(None)
        .order_by("pk")
        .values_list(
            "pk",
            "updated_at",
            "change_counter__version",
            "sync_state__last_success_at",
            "sync_state__consecutive_failures",
            "sync_state__rate_limited_until",
            "sync_state__capability_notes",
        )
    )
    # Each user's minute turns at a second of its own: two hundred lists re-rendering at :00 would queue.
    offset = timedelta(seconds=(user.pk or 0) * 7 % 60)
    return fingerprint(
        user.pk,
        filters,
        cursor,
        minute_of(timezone.now() + offset),
        [_account_part(row) for row in accounts],
    )


def _account_part(row: tuple) -> tuple:
    pk, updated_at, version, last_success_at, failures, rate_limited_until, notes = row
    return (pk, updated_at, version, minute_of(last_success_at), failures, rate_limited_until, notes)
