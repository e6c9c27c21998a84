import threading
from contextlib import ExitStack

import pytest
from django.db import connection

from marketplaces import errors
from marketplaces.models import ConcurrencySlot, RateLimitBucket
from marketplaces.ratelimit import BucketSpec, RateLimiter
from tests.marketplaces.conftest import FakeClock

TEN_PER_TEN_SECONDS = BucketSpec.per_period(name="chat", requests=10, seconds=10, burst=10)
ONE_PER_HOUR = BucketSpec.per_period(name="chat", requests=1, seconds=3600, burst=1)


@pytest.mark.django_db
def test_burst_then_short_sleep_then_refill(limiter: RateLimiter, clock: FakeClock) -> None:
    for _ in range(10):
        limiter.acquire(key="wb:1", spec=TEN_PER_TEN_SECONDS)
    assert clock.sleeps == []
    # The 11th request waits one refill interval (1 s) — short, so the limiter sleeps.
    limiter.acquire(key="wb:1", spec=TEN_PER_TEN_SECONDS)
    assert clock.sleeps == [1.0]
    bucket = RateLimitBucket.objects.get(key="wb:1:chat")
    assert bucket.tokens == pytest.approx(-1.0)


@pytest.mark.django_db
def test_long_wait_raises_rate_limited_and_reserves_nothing(limiter: RateLimiter, clock: FakeClock) -> None:
    limiter.acquire(key="wb:base", spec=ONE_PER_HOUR)
    with pytest.raises(errors.RateLimitedError) as caught:
        limiter.acquire(key="wb:base", spec=ONE_PER_HOUR)
    assert caught.value.retry_after == pytest.approx(3600.0)
    assert clock.sleeps == []
    clock.advance(1800)
    with pytest.raises(errors.RateLimitedError) as caught:
        limiter.acquire(key="wb:base", spec=ONE_PER_HOUR)
    assert caught.value.retry_after == pytest.approx(1800.0)
    clock.advance(1800)
    limiter.acquire(key="wb:base", spec=ONE_PER_HOUR)


@pytest.mark.django_db
def test_two_limiters_share_the_bucket_like_two_processes(clock: FakeClock) -> None:
    first = RateLimiter(clock=clock, sleep=clock.sleep, max_sleep=0)
    second = RateLimiter(clock=clock, sleep=clock.sleep, max_sleep=0)
    spec = BucketSpec(name="feedbacks", capacity=6, refill_per_second=3)
    for index in range(6):
        (first if index % 2 else second).acquire(key="wb:7", spec=spec)
    with pytest.raises(errors.RateLimitedError):
        first.acquire(key="wb:7", spec=spec)
    with pytest.raises(errors.RateLimitedError):
        second.acquire(key="wb:7", spec=spec)
    clock.advance(1 / 3)
    second.acquire(key="wb:7", spec=spec)


@pytest.mark.django_db
def test_accounts_and_groups_are_separate(limiter: RateLimiter) -> None:
    limiter.acquire(key="wb:1", spec=ONE_PER_HOUR)
    limiter.acquire(key="wb:2", spec=ONE_PER_HOUR)
    limiter.acquire(key="wb:1", spec=BucketSpec(name="download", capacity=1, refill_per_second=1))
    assert RateLimitBucket.objects.count() == 3


@pytest.mark.django_db
def test_block_holds_every_process_until_it_expires(limiter: RateLimiter, clock: FakeClock) -> None:
    limiter.block(key="oz:1", spec=TEN_PER_TEN_SECONDS, seconds=30)
    other = RateLimiter(clock=clock, sleep=clock.sleep)
    with pytest.raises(errors.RateLimitedError) as caught:
        other.acquire(key="oz:1", spec=TEN_PER_TEN_SECONDS)
    assert caught.value.retry_after == pytest.approx(30.0)
    clock.advance(30)
    other.acquire(key="oz:1", spec=TEN_PER_TEN_SECONDS)


@pytest.mark.django_db(transaction=True)
def test_limit_holds_across_threads_with_their_own_connections() -> None:
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("in-memory SQLite shares one connection cache; covered on PostgreSQL and file SQLite")
    clock = FakeClock()
    spec = BucketSpec(name="burst", capacity=5, refill_per_second=0.001)
    granted: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        from django.db import connection as thread_connection

        limiter = RateLimiter(clock=clock, sleep=clock.sleep, max_sleep=0)
        try:
            for _ in range(5):
                try:
                    limiter.acquire(key="shared", spec=spec)
                except errors.RateLimitedError:
                    with lock:
                        refused.append(number)
                else:
                    with lock:
                        granted.append(number)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 5
    assert len(refused) == 15


@pytest.mark.django_db
def test_parallel_slots_allow_four_and_refuse_the_fifth(limiter: RateLimiter, clock: FakeClock) -> None:
    with ExitStack() as stack:
        for _ in range(4):
            stack.enter_context(limiter.concurrency_slot(key="ym:1", slots=4, ttl=60))
        assert ConcurrencySlot.objects.exclude(holder="").count() == 4
        with (
            pytest.raises(errors.RateLimitedError) as caught,
            limiter.concurrency_slot(key="ym:1", slots=4, ttl=60),
        ):
            pass
        assert caught.value.retry_after == 1.0
        # It waited in short polls up to max_sleep before giving up.
        assert sum(clock.sleeps) == pytest.approx(2.0)
    assert ConcurrencySlot.objects.exclude(holder="").count() == 0
    with limiter.concurrency_slot(key="ym:1", slots=4, ttl=60):
        assert ConcurrencySlot.objects.exclude(holder="").count() == 1


@pytest.mark.django_db
def test_slot_of_a_dead_worker_expires(limiter: RateLimiter, clock: FakeClock) -> None:
    abandoned = [limiter.concurrency_slot(key="ym:2", slots=4, ttl=40) for _ in range(4)]
    for slot in abandoned:
        slot.__enter__()
    clock.advance(41)
    with limiter.concurrency_slot(key="ym:2", slots=4, ttl=40):
        assert ConcurrencySlot.objects.filter(key="ym:2", expires_at__gt=clock()).count() == 1
