from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import SyncRun, SyncState
from inbox import sync
from inbox.models import Message
from marketplaces.errors import AuthError, CapabilityError, RateLimitedError, TransientError
from marketplaces.types import UpdatesPage
from tests.sync.conftest import two_pages

pytestmark = pytest.mark.django_db


def test_rate_limit_stops_the_run_and_sets_the_next_sync_after_retry_after(
    make_account, fake_connector, enqueued
):
    account = make_account("ozon")
    first, second = two_pages()
    fake_connector.set_pages(
        first, RateLimitedError("Ozon ограничил частоту запросов", retry_after=120, status=429), second
    )
    before = timezone.now()

    outcome = sync.account_sync(account_id=account.pk)

    assert len(fake_connector.fetch_calls) == 2
    assert outcome.outcome == SyncRun.Outcome.RATE_LIMITED
    state = SyncState.objects.get(pk=account.pk)
    assert (
        before + timedelta(seconds=120) <= state.rate_limited_until <= timezone.now() + timedelta(seconds=120)
    )
    assert state.next_sync_at == state.rate_limited_until
    assert state.consecutive_failures == 0
    assert state.cursor == {"page": 1}
    assert Message.objects.count() == 2
    assert SyncRun.objects.get().outcome == "rate_limited"

    assert sync.sync_dispatch() == []
    assert sync.account_sync(account_id=account.pk).ran is False
    assert len(fake_connector.fetch_calls) == 2
    assert enqueued == []


@pytest.mark.parametrize("error_class", [AuthError, CapabilityError])
def test_auth_and_capability_problems_are_recorded_with_a_long_backoff(
    make_account, fake_connector, error_class
):
    account = make_account("ozon")
    fake_connector.set_pages(error_class("Ozon: чат с покупателями доступен только с подпиской Premium Plus"))
    before = timezone.now()

    sync.account_sync(account_id=account.pk)

    state = SyncState.objects.get(pk=account.pk)
    assert state.consecutive_failures == 1
    assert state.last_error == "Ozon: чат с покупателями доступен только с подпиской Premium Plus"
    assert state.next_sync_at >= before + timedelta(minutes=45)
    if error_class is CapabilityError:
        assert "Premium Plus" in state.capability_notes
    run = SyncRun.objects.get()
    assert (run.outcome, run.error) == ("failed", state.last_error)


def test_transient_failures_back_off_exponentially_with_a_cap(make_account, fake_connector, monkeypatch):
    monkeypatch.setattr("inbox.sync.health.random.uniform", lambda low, high: 1.0)
    account = make_account("ozon")
    delays = []
    for _attempt in range(9):
        fake_connector.set_pages(TransientError("Ozon временно недоступен (HTTP 503)"))
        SyncState.objects.filter(pk=account.pk).update(next_sync_at=None)
        started = timezone.now()
        sync.account_sync(account_id=account.pk)
        state = SyncState.objects.get(pk=account.pk)
        delays.append(round((state.next_sync_at - started).total_seconds() / 60))
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert state.consecutive_failures == 9

    fake_connector.set_pages(UpdatesPage())
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=None)
    sync.account_sync(account_id=account.pk)
    state.refresh_from_db()
    assert (state.consecutive_failures, state.last_error) == (0, "")


def test_unexpected_exceptions_never_leak_details_into_the_state(make_account, fake_connector):
    account = make_account("ozon")
    fake_connector.set_pages(ValueError("api_key=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 broke"))
    sync.account_sync(account_id=account.pk)
    state = SyncState.objects.get(pk=account.pk)
    assert "0f1e2d3c" not in state.last_error
    assert state.last_error.startswith("Внутренняя ошибка")
    assert state.lease_owner == ""


@pytest.mark.parametrize(
    ("marketplace", "environment", "seconds"),
    [
        ("wildberries", None, 10),
        ("ozon", None, 60),
        ("yandex_market", None, 60),
        ("wildberries", 45, 45),
        ("yandex_market", 45, 45),
    ],
)
def test_next_sync_follows_the_marketplace_interval_unless_the_environment_sets_one(
    make_account, fake_connector, settings, marketplace, environment, seconds
):
    settings.SYNC_INTERVAL_SECONDS = environment
    account = make_account(marketplace)
    fake_connector.set_pages(UpdatesPage())
    before = timezone.now()

    sync.account_sync(account_id=account.pk)

    next_sync_at = SyncState.objects.get(pk=account.pk).next_sync_at
    assert before + timedelta(seconds=seconds) <= next_sync_at <= timezone.now() + timedelta(seconds=seconds)
    assert sync.sync_interval(marketplace=marketplace) == timedelta(seconds=seconds)


def test_backoff_starts_at_the_interval_but_never_below_thirty_seconds(settings, monkeypatch):
    monkeypatch.setattr("inbox.sync.health.random.uniform", lambda low, high: 1.0)
    settings.SYNC_INTERVAL_SECONDS = None
    assert sync.backoff_delay(failures=1, marketplace="wildberries") == timedelta(seconds=30)
    assert sync.backoff_delay(failures=2, marketplace="wildberries") == timedelta(seconds=60)
    assert sync.backoff_delay(failures=1, marketplace="ozon") == timedelta(seconds=60)
    assert sync.backoff_delay(failures=1, marketplace="ozon", auth=True) == timedelta(hours=1)


def test_a_run_records_the_one_counts_type_on_its_syncrun(make_account, fake_connector):
    account = make_account("ozon")
    first, _second = two_pages()
    fake_connector.set_pages(first, TransientError("Ozon временно недоступен (HTTP 503)"))

    report = sync.account_sync(account_id=account.pk)

    run = SyncRun.objects.get()
    assert (report.counts.pages, report.counts.requests, report.counts.messages_created) == (1, 1, 2)
    assert (run.pages, run.requests, run.messages_created, run.chats_upserted, run.items_skipped) == (
        1,
        1,
        2,
        1,
        0,
    )
    assert (run.outcome, run.error) == ("failed", "Ozon временно недоступен (HTTP 503)")
    assert run.finished_at is not None
