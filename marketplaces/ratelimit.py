"""Per-account rate limits shared across worker processes, kept in the database.

Each bucket is one row, changed inside a short transaction with the row locked (select_for_update on
PostgreSQL; SQLite runs with transaction_mode=IMMEDIATE, so the write lock is taken at BEGIN). The
transaction never spans the HTTP call: a token is taken (or reserved for a short wait) and committed,
then the caller sleeps outside the transaction and sends.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplaces import errors

MAX_SLEEP_SECONDS = 2.0
SLOT_POLL_SECONDS = 0.1
# Epoch seconds as floats lose ~1e-7 s: 1/3 s at 3 tokens/s must still count as a whole token.
EPSILON = 1e-4


@dataclass(frozen=True)
class BucketSpec:
    """A token bucket: at most `capacity` requests at once, refilled at `refill_per_second`."""

    name: str
    capacity: float
    refill_per_second: float

    @classmethod
    def per_period(
        cls, *, name: str, requests: float, seconds: float, burst: float | None = None
    ) -> "BucketSpec":
        return cls(
            name=name, capacity=burst if burst is not None else requests, refill_per_second=requests / seconds
        )


@dataclass
class RateLimiter:
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    max_sleep: float = MAX_SLEEP_SECONDS

    def acquire(self, *, key: str, spec: BucketSpec) -> None:
        """Take one token; sleep for a short wait, raise RateLimitedError for a long one."""
        wait = self._take(bucket_key=f"{key}:{spec.name}", spec=spec)
        if wait > 0:
            self.sleep(wait)

    def block(self, *, key: str, spec: BucketSpec, seconds: float) -> None:
        """The marketplace said "too many requests": hold every process back for `seconds`."""
        from marketplaces.models import RateLimitBucket

        bucket_key = f"{key}:{spec.name}"
        now = self.clock()
        self._ensure_bucket(bucket_key, spec, now)
        with transaction.atomic():
            bucket = RateLimitBucket.objects.select_for_update().get(key=bucket_key)
            bucket.blocked_until = max(bucket.blocked_until, now + seconds)
            bucket.tokens = min(bucket.tokens, 0.0)
            bucket.updated_at = max(bucket.updated_at, now)
            bucket.save(update_fields=["blocked_until", "tokens", "updated_at"])

    def _take(self, *, bucket_key: str, spec: BucketSpec) -> float:
        from marketplaces.models import RateLimitBucket

        now = self.clock()
        self._ensure_bucket(bucket_key, spec, now)
        with transaction.atomic():
            bucket = RateLimitBucket.objects.select_for_update().get(key=bucket_key)
            if bucket.blocked_until > now:
                retry_after = bucket.blocked_until - now
                raise errors.RateLimitedError(
                    _("The marketplace request limit is used up; retry in %(seconds)s s")
                    % {"seconds": f"{retry_after:.0f}"},
                    retry_after=retry_after,
                )
            elapsed = max(now - bucket.updated_at, 0.0)
            tokens = min(spec.capacity, bucket.tokens + elapsed * spec.refill_per_second)
            wait = 0.0 if tokens >= 1.0 - EPSILON else (1.0 - tokens) / spec.refill_per_second
            if wait > self.max_sleep:
                # Do not change the row: a long wait is the scheduler's business, not a reservation.
                raise errors.RateLimitedError(
                    _("The marketplace request limit is used up; retry in %(seconds)s s")
                    % {"seconds": f"{wait:.0f}"},
                    retry_after=wait,
                )
            # A short wait reserves the future token (the balance goes negative) so concurrent processes
            # queue behind us instead of all waking up at once.
            bucket.tokens = tokens - 1.0
            bucket.updated_at = max(now, bucket.updated_at)
            bucket.save(update_fields=["tokens", "updated_at"])
        return wait

    def _ensure_bucket(self, bucket_key: str, spec: BucketSpec, now: float) -> None:
        from marketplaces.models import RateLimitBucket

        RateLimitBucket.objects.bulk_create(
            [RateLimitBucket(key=bucket_key, tokens=spec.capacity, updated_at=now)], ignore_conflicts=True
        )

    @contextmanager
    def concurrency_slot(self, *, key: str, slots: int, ttl: float) -> Iterator[None]:
        """Hold one of `slots` parallel-request slots for the duration of one HTTP call."""
        from marketplaces.models import ConcurrencySlot

        ConcurrencySlot.objects.bulk_create(
            [ConcurrencySlot(key=key, slot=index) for index in range(slots)], ignore_conflicts=True
        )
        holder = uuid.uuid4().hex
        waited = 0.0
        slot = self._claim_slot(key=key, slots=slots, holder=holder, ttl=ttl)
        while slot is None:
            if waited >= self.max_sleep:
                raise errors.RateLimitedError(
                    ngettext(
                        "The %(slots)s parallel request to the marketplace is busy; retry in 1 s",
                        "All %(slots)s parallel requests to the marketplace are busy; retry in 1 s",
                        slots,
                    )
                    % {"slots": slots},
                    retry_after=1.0,
                )
            self.sleep(SLOT_POLL_SECONDS)
            waited += SLOT_POLL_SECONDS
            slot = self._claim_slot(key=key, slots=slots, holder=holder, ttl=ttl)
        try:
            yield
        finally:
            ConcurrencySlot.objects.filter(key=key, slot=slot, holder=holder).update(
                holder="", expires_at=0.0
            )

    def _claim_slot(self, *, key: str, slots: int, holder: str, ttl: float) -> int | None:
        from django.db.models import Q

        from marketplaces.models import ConcurrencySlot

        now = self.clock()
        for index in range(slots):
            # A conditional UPDATE is atomic on every database: only one process can flip a free slot.
            claimed = (
                ConcurrencySlot.objects.filter(key=key, slot=index)
                .filter(Q(holder="") | Q(expires_at__lt=now))
                .update(holder=holder, expires_at=now + ttl)
            )
            if claimed:
                return index
        return None
