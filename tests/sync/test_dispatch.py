from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.models import SyncState
from inbox import sync, tasks
from inbox.models import Message
from inbox.sync import dispatch, lease
from marketplaces.types import UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db


def test_dispatcher_enqueues_only_due_accounts(make_account, enqueued):
    now = timezone.now()
    never_synced = make_account("ozon", name="never")
    due = make_account("wildberries", name="due")
    SyncState.objects.filter(pk=due.pk).update(next_sync_at=now - timedelta(seconds=1))
    later = make_account("ozon", name="later")
    SyncState.objects.filter(pk=later.pk).update(next_sync_at=now + timedelta(minutes=1))
    limited = make_account("yandex_market", name="limited")
    SyncState.objects.filter(pk=limited.pk).update(rate_limited_until=now + timedelta(minutes=5))
    leased = make_account("ozon", name="leased")
    SyncState.objects.filter(pk=leased.pk).update(lease_owner="w", lease_until=now + timedelta(minutes=1))
    expired_lease = make_account("ozon", name="expired")
    SyncState.objects.filter(pk=expired_lease.pk).update(
        lease_owner="dead", lease_until=now - timedelta(minutes=1)
    )
    make_account("ozon", name="inactive", is_active=False)

    dispatched = sync.sync_dispatch()

    handed = [never_synced.pk, due.pk, expired_lease.pk]
    assert sorted(dispatched) == sorted(handed)
    reservations = dict(SyncState.objects.filter(pk__in=handed).values_list("pk", "lease_owner"))
    assert sorted(enqueued) == sorted(("inbox.tasks.sync_account", (pk, reservations[pk])) for pk in handed)
    assert len(set(reservations.values())) == 3 and "" not in reservations.values()
    # Reserved: a second pass (another dispatcher, the minute schedule) hands nothing over again.
    assert sync.sync_dispatch() == []
    assert len(enqueued) == 3
    assert SyncState.objects.get(pk=leased.pk).lease_owner == "w"


def test_a_push_during_a_run_keeps_the_account_due(make_account, fake_connector):
    account = make_account("ozon")

    def push() -> None:
        with transaction.atomic():
            sync.account_mark_due(account_id=account.pk, reason="push")

    fake_connector.before_fetch = push
    fake_connector.set_pages(UpdatesPage())
    sync.account_sync(account_id=account.pk)
    assert SyncState.objects.get(pk=account.pk).next_sync_at <= timezone.now()


def test_a_queued_task_takes_its_reservation_over_and_runs_at_once(make_account, fake_connector, enqueued):
    account = make_account("ozon")
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "1"),)))
    assert sync.sync_dispatch() == [account.pk]
    ((_func, (account_id, reservation)),) = enqueued

    # Reserved: a pass without the reservation (a duplicate task) does nothing.
    assert sync.account_sync(account_id=account_id).ran is False
    assert tasks.sync_account(account_id, reservation) == "success"

    state = SyncState.objects.get(pk=account.pk)
    assert (state.lease_owner, state.lease_until) == ("", None)
    assert state.next_sync_at > timezone.now()
    assert Message.objects.count() == 1


def test_an_expired_reservation_is_handed_over_again_and_the_stale_task_skips(make_account, enqueued):
    account = make_account("ozon")
    assert sync.sync_dispatch() == [account.pk]
    stale = enqueued[0][1][1]
    SyncState.objects.filter(pk=account.pk).update(
        lease_until=timezone.now() - timedelta(seconds=lease.RESERVATION_SECONDS + 1)
    )

    assert sync.sync_dispatch() == [account.pk]
    fresh = enqueued[1][1][1]
    assert fresh != stale
    assert tasks.sync_account(account.pk, stale) == "skipped"
    assert SyncState.objects.get(pk=account.pk).lease_owner == fresh


def test_mark_due_hands_the_account_over_after_commit_once(
    make_account, enqueued, django_capture_on_commit_callbacks
):
    account = make_account("ozon")
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=timezone.now() + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sync.account_mark_due(account_id=account.pk, reason="push") is True
    assert enqueued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    state = SyncState.objects.get(pk=account.pk)
    assert enqueued == [("inbox.tasks.sync_account", (account.pk, state.lease_owner))]

    with django_capture_on_commit_callbacks(execute=True):
        assert sync.account_mark_due(account_id=account.pk, reason="push") is False
    assert len(enqueued) == 1


def test_mark_due_hands_over_an_account_that_was_already_due(
    make_account, enqueued, django_capture_on_commit_callbacks
):
    account = make_account("ozon")
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=timezone.now() - timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert sync.account_mark_due(account_id=account.pk, reason="push") is False
    assert [args[0] for _func, args in enqueued] == [account.pk]


def test_mark_due_leaves_failing_and_inactive_accounts_alone(
    make_account, enqueued, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(minutes=30)
    failing = make_account("ozon", name="failing")
    SyncState.objects.filter(pk=failing.pk).update(consecutive_failures=2, next_sync_at=later)
    inactive = make_account("ozon", name="inactive", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert sync.account_mark_due(account_id=failing.pk, reason="push") is False
        assert sync.account_mark_due(account_id=inactive.pk, reason="push") is False
    assert SyncState.objects.get(pk=failing.pk).next_sync_at == later
    assert SyncState.objects.get(pk=inactive.pk).next_sync_at is None
    assert enqueued == []


def test_chat_mark_due_marks_its_account(
    make_account, make_chat, enqueued, django_capture_on_commit_callbacks
):
    account = make_account("yandex_market")
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=timezone.now() + timedelta(minutes=1))
    chat = make_chat(account)
    with django_capture_on_commit_callbacks(execute=True):
        assert sync.chat_mark_due(chat_id=chat.pk, reason="reply") is True
        assert sync.chat_mark_due(chat_id=chat.pk + 1000, reason="reply") is False
    assert [args[0] for _func, args in enqueued] == [account.pk]


def test_dispatcher_sleeps_until_the_next_account_is_due_at_most_a_second(make_account):
    account = make_account("ozon")
    now = timezone.now()
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=now + timedelta(minutes=5))
    assert dispatch.dispatch_sleep_seconds(now=now) == 1.0
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=now + timedelta(milliseconds=400))
    assert dispatch.dispatch_sleep_seconds(now=now) == 0.4
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=now + timedelta(milliseconds=1))
    assert dispatch.dispatch_sleep_seconds(now=now) == 0.05
    # Due already: the dispatcher hands it over on its next look, at most a second away.
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=now - timedelta(seconds=1))
    assert dispatch.dispatch_sleep_seconds(now=now) == 1.0


def test_dispatcher_loop_hands_over_due_accounts_and_sleeps_between_looks(make_account, enqueued):
    account = make_account("ozon")
    other = make_account("ozon", name="later")
    SyncState.objects.filter(pk=other.pk).update(next_sync_at=timezone.now() + timedelta(hours=1))
    sleeps: list[float] = []

    handed = sync.dispatcher_run(should_stop=lambda: len(sleeps) >= 3, sleep=sleeps.append)

    assert handed == 1
    assert [args[0] for _func, args in enqueued] == [account.pk]
    assert sleeps == [1.0, 1.0, 1.0]


def test_dispatcher_loop_survives_a_database_error(make_account, enqueued, monkeypatch):
    make_account("ozon")
    sleeps: list[float] = []
    failures = iter([DatabaseError("server closed the connection unexpectedly")])
    real = dispatch.sync_dispatch

    def flaky(**kwargs):
        for error in failures:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(dispatch, "sync_dispatch", flaky)
    handed = sync.dispatcher_run(should_stop=lambda: len(sleeps) >= 2, sleep=sleeps.append)
    assert sleeps == [dispatch.DISPATCH_ERROR_PAUSE_SECONDS, 1.0]
    assert handed == 1


class BrokerDown(ConnectionError):
    """What the Redis client raises while the broker restarts."""


def test_a_failed_enqueue_leaves_no_reservation_behind(make_account, enqueued, monkeypatch):
    account = make_account("ozon")

    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("django_q.tasks.async_task", broker_down)
    with pytest.raises(BrokerDown):
        sync.sync_dispatch()
    state = SyncState.objects.get(pk=account.pk)
    assert (state.lease_owner, state.lease_until) == ("", None)

    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: enqueued.append((func, args))
    )
    assert sync.sync_dispatch() == [account.pk]  # at once, not after the reservation expires


def test_dispatcher_loop_survives_the_broker_restarting(make_account, enqueued, monkeypatch):
    make_account("ozon")
    sleeps: list[float] = []
    failures = iter([BrokerDown("Connection refused")])
    real = dispatch.task_enqueue

    def flaky(**kwargs):
        for error in failures:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(dispatch, "task_enqueue", flaky)
    handed = sync.dispatcher_run(should_stop=lambda: len(sleeps) >= 2, sleep=sleeps.append)
    assert sleeps == [dispatch.DISPATCH_ERROR_PAUSE_SECONDS, 1.0]
    assert handed == 1
    assert len(enqueued) == 1


def test_a_push_with_the_broker_down_still_marks_the_account_due(
    make_account, monkeypatch, django_capture_on_commit_callbacks
):
    account = make_account("ozon")
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=timezone.now() + timedelta(minutes=1))

    def broker_down(*args, **kwargs):
        raise BrokerDown("Connection refused")

    monkeypatch.setattr("django_q.tasks.async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assert sync.account_mark_due(account_id=account.pk, reason="push") is True
    state = SyncState.objects.get(pk=account.pk)
    assert state.next_sync_at <= timezone.now()
    assert (state.lease_owner, state.lease_until) == ("", None)
