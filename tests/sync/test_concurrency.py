"""Real threads against the real database (SQLite by default, PostgreSQL with DATABASE_URL)."""

import threading

import pytest
from django.db import connection

from accounts.models import SyncRun, SyncState
from inbox import sync
from inbox.models import Message
from marketplaces.types import UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(count: int, target) -> list:
    barrier = threading.Barrier(count, timeout=10)
    results: list = []
    errors: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return results


def test_two_concurrent_syncs_of_one_account_run_exactly_once(make_account, fake_connector):
    account = make_account("ozon")
    release = threading.Event()
    # The winner holds the lease while the loser tries; the loser must give up without fetching.
    fake_connector.before_fetch = lambda: release.wait(2)
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "1"),)))

    def attempt() -> bool:
        outcome = sync.account_sync(account_id=account.pk)
        if not outcome.ran:
            release.set()
        return outcome.ran

    results = run_in_threads(2, attempt)

    assert sorted(results) == [False, True]
    assert len(fake_connector.fetch_calls) == 1
    assert SyncRun.objects.filter(account=account).count() == 1
    assert Message.objects.count() == 1
    state = SyncState.objects.get(pk=account.pk)
    assert (state.lease_owner, state.lease_until) == ("", None)


def test_lease_acquire_races_have_one_winner(make_account):
    account = make_account("ozon")
    owners = iter(f"worker-{index}" for index in range(8))
    lock = threading.Lock()

    def acquire() -> bool:
        with lock:
            owner = next(owners)
        return sync.sync_lease_acquire(account_id=account.pk, owner=owner)

    results = run_in_threads(8, acquire)

    assert results.count(True) == 1
