from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import SyncState
from inbox import sync
from inbox.sync import lease

pytestmark = pytest.mark.django_db


def test_lease_is_exclusive_expires_and_is_released_only_by_its_owner(make_account):
    account = make_account("ozon")
    assert sync.sync_lease_acquire(account_id=account.pk, owner="a") is True
    assert sync.sync_lease_acquire(account_id=account.pk, owner="b", require_due=False) is False
    sync.sync_lease_release(account_id=account.pk, owner="b")
    assert SyncState.objects.get(pk=account.pk).lease_owner == "a"

    SyncState.objects.filter(pk=account.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert sync.sync_lease_acquire(account_id=account.pk, owner="b", require_due=False) is True
    sync.sync_lease_release(account_id=account.pk, owner="b")
    state = SyncState.objects.get(pk=account.pk)
    assert (state.lease_owner, state.lease_until) == ("", None)


def test_a_reservation_keeps_others_out_until_its_task_takes_it_over(make_account):
    account = make_account("ozon")
    reservation = lease.sync_lease_reserve(account_id=account.pk)
    assert reservation
    assert lease.sync_lease_reserve(account_id=account.pk) is None
    assert sync.sync_lease_acquire(account_id=account.pk, owner="worker", require_due=False) is False
    state = SyncState.objects.get(pk=account.pk)
    assert state.lease_owner == reservation
    assert state.lease_until <= timezone.now() + timedelta(seconds=lease.RESERVATION_SECONDS)

    later = timezone.now() + timedelta(minutes=1)
    assert (
        lease.sync_lease_take_over(account_id=account.pk, owner="someone else", next_sync_at=later) is False
    )
    assert lease.sync_lease_take_over(account_id=account.pk, owner=reservation, next_sync_at=later) is True
    state = SyncState.objects.get(pk=account.pk)
    assert (state.lease_owner, state.next_sync_at) == (reservation, later)
    assert state.lease_until > timezone.now() + timedelta(seconds=lease.LEASE_SECONDS - 5)


def test_an_expired_reservation_cannot_be_taken_over(make_account):
    account = make_account("ozon")
    reservation = lease.sync_lease_reserve(account_id=account.pk)
    SyncState.objects.filter(pk=account.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert (
        lease.sync_lease_take_over(account_id=account.pk, owner=reservation, next_sync_at=timezone.now())
        is False
    )


def test_only_due_active_accounts_are_reserved(make_account):
    later = make_account("ozon", name="later")
    SyncState.objects.filter(pk=later.pk).update(next_sync_at=timezone.now() + timedelta(minutes=1))
    inactive = make_account("ozon", name="inactive", is_active=False)
    assert lease.sync_lease_reserve(account_id=later.pk) is None
    assert lease.sync_lease_reserve(account_id=inactive.pk) is None
