"""Rate limiters that answer like the marketplaces: WB/Ozon token buckets, YM hourly quotas and a
parallel-request gate."""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class BucketDecision:
    allowed: bool
    remaining: int
    retry_after: int
    reset_after: int
    limit: int


class TokenBucket:
    """`capacity` requests at once, refilled at one request per `interval` seconds."""

    def __init__(
        self, *, capacity: int, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.interval = interval
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> BucketDecision:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) / self.interval)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                allowed = True
            else:
                allowed = False
            missing = self.capacity - self._tokens
            return BucketDecision(
                allowed=allowed,
                remaining=int(self._tokens),
                retry_after=0 if allowed else max(1, math.ceil((1 - self._tokens) * self.interval)),
                reset_after=math.ceil(missing * self.interval),
                limit=self.capacity,
            )


class BucketRegistry:
    """One bucket per key (token, Client-Id …), created on first use with the key's parameters."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def take(self, key: str, *, capacity: int, interval: float) -> BucketDecision:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or bucket.capacity != capacity or bucket.interval != interval:
                bucket = TokenBucket(capacity=capacity, interval=interval, clock=self._clock)
                self._buckets[key] = bucket
        return bucket.take()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


@dataclass(slots=True)
class QuotaDecision:
    allowed: bool
    limit: int
    remaining: int
    until_epoch: int


class HourlyQuota:
    """Fixed hourly windows per key, as Yandex Market's resource limits (2xx and 4xx both count)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def take(self, key: str, limit: int) -> QuotaDecision:
        now = self._clock()
        window = int(now // 3600)
        with self._lock:
            used = self._counts.get((key, window), 0)
            allowed = used < limit
            if allowed:
                used += 1
                self._counts[(key, window)] = used
        return QuotaDecision(allowed, limit, max(0, limit - used), (window + 1) * 3600)

    def peek(self, key: str, limit: int) -> QuotaDecision:
        window = int(self._clock() // 3600)
        with self._lock:
            used = self._counts.get((key, window), 0)
        return QuotaDecision(used < limit, limit, max(0, limit - used), (window + 1) * 3600)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class ParallelGate:
    """At most `limit` requests in flight per key."""

    def __init__(self) -> None:
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, key: str, limit: int) -> bool:
        with self._lock:
            current = self._in_flight.get(key, 0)
            if current >= limit:
                return False
            self._in_flight[key] = current + 1
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] = max(0, self._in_flight.get(key, 1) - 1)
