"""Recovery after a worker dies (kill -9) or the broker loses its queue, on a real database.

A kill is simulated in a thread with its own database connection: `Killed` is a BaseException, so no
`except Exception` clean-up of the product runs (as with SIGKILL), the open transaction is rolled back
and the connection closed (as the server does when a client's socket dies). Time passing is the stored
deadlines moved back (as if the clock had advanced), never a sleep.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import SyncRun, SyncState
from inbox import sync
from inbox.models import Chat, Message
from inbox.replies import deliver, sweep
from inbox.replies.create import message_send
from inbox.sync.lease import LEASE_SECONDS, RESERVATION_SECONDS
from marketplaces.types import Author, SendReceipt, UpdatesPage
from tests.sync.conftest import remote_message, two_pages

pytestmark = pytest.mark.django_db(transaction=True)

SYNC_TASK = "inbox.tasks.sync_account"
DELIVER_TASK = "inbox.tasks.deliver_message"


class Killed(BaseException):
    """The worker process died here (SIGKILL): nothing after this point runs in it."""


def die_in_a_worker(target) -> None:
    """Run `target` as a worker that is killed: it must die with `Killed`, its connection gone."""
    outcome: list[BaseException | None] = []

    def worker() -> None:
        try:
            target()
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Killed), outcome


def clock_forward(*, account_id: int, seconds: float) -> None:
    """The stored deadlines of the account as they look `seconds` later."""
    shift = timedelta(seconds=seconds)
    SyncState.objects.filter(pk=account_id).update(
        lease_until=F("lease_until") - shift, next_sync_at=F("next_sync_at") - shift
    )


def messages_by_external_id(account_id: int) -> list[str]:
    return sorted(Message.objects.filter(chat__account_id=account_id).values_list("external_id", flat=True))


def test_worker_killed_after_claim_another_takes_over_when_the_lease_expires(
    make_account, fake_connector, enqueued
):
    account = make_account("ozon")
    first, second = two_pages()
    fake_connector.set_pages(first, second)
    calls = iter([None, Killed()])

    def fetch_or_die() -> None:
        error = next(calls, None)
        if error is not None:
            raise error

    fake_connector.before_fetch = fetch_or_die

    # Claimed, first page stored with its cursor, killed while fetching the second.
    die_in_a_worker(lambda: sync.account_sync(account_id=account.pk))
    fake_connector.before_fetch = None

    assert messages_by_external_id(account.pk) == ["1001", "1002"]
    state = SyncState.objects.get(pk=account.pk)
    assert state.lease_owner and state.lease_until > timezone.now()
    assert sync.sync_dispatch() == []  # a live lease: nobody else touches the account
    assert sync.account_sync(account_id=account.pk, force=True).ran is False

    clock_forward(account_id=account.pk, seconds=LEASE_SECONDS + 1)
    handed = sync.sync_dispatch()
    assert handed == [account.pk]
    (func, (account_id, reservation)) = enqueued[-1]
    assert (func, account_id) == (SYNC_TASK, account.pk)
    report = sync.account_sync(account_id=account.pk, reservation=reservation)

    assert report.ran and report.outcome == SyncRun.Outcome.SUCCESS
    assert fake_connector.fetch_calls[-1] == {"page": 1}  # resumed after the committed page
    assert messages_by_external_id(account.pk) == ["1001", "1002", "1003", "2001"]
    state = SyncState.objects.get(pk=account.pk)
    assert (state.lease_owner, state.lease_until, state.cursor) == ("", None, {"page": 2})


def test_worker_killed_between_page_upsert_and_cursor_save_rereads_the_page_once(
    make_account, fake_connector, monkeypatch
):
    account = make_account("ozon")
    first, second = two_pages()
    fake_connector.set_pages(first, second)
    real_apply = sync.engine.page_apply
    applied: list[int] = []

    def apply_then_die(**kwargs):
        result = real_apply(**kwargs)
        applied.append(len(kwargs["page"].messages))
        if len(applied) == 2:
            raise Killed()  # the second page is written, its transaction not committed
        return result

    monkeypatch.setattr(sync.engine, "page_apply", apply_then_die)
    die_in_a_worker(lambda: sync.account_sync(account_id=account.pk))
    monkeypatch.setattr(sync.engine, "page_apply", real_apply)

    assert messages_by_external_id(account.pk) == ["1001", "1002"]
    assert SyncState.objects.get(pk=account.pk).cursor == {"page": 1}

    clock_forward(account_id=account.pk, seconds=LEASE_SECONDS + 1)
    assert sync.account_sync(account_id=account.pk).outcome == SyncRun.Outcome.SUCCESS

    assert messages_by_external_id(account.pk) == ["1001", "1002", "1003", "2001"]
    assert dict(Chat.objects.filter(account=account).values_list("external_id", "unread_count")) == {
        "c1": 3,
        "c2": 1,
    }


def test_a_page_read_again_after_a_lost_cursor_adds_nothing(make_account, fake_connector):
    """The other order of the same crash: the page committed, its cursor lost (an older cursor kept)."""
    account = make_account("ozon")
    first, second = two_pages()
    fake_connector.set_pages(first, second)
    assert sync.account_sync(account_id=account.pk).outcome == SyncRun.Outcome.SUCCESS
    SyncState.objects.filter(pk=account.pk).update(cursor={"page": 1}, next_sync_at=None)

    assert sync.account_sync(account_id=account.pk).outcome == SyncRun.Outcome.SUCCESS

    assert fake_connector.fetch_calls[-1] == {"page": 1}
    assert messages_by_external_id(account.pk) == ["1001", "1002", "1003", "2001"]
    assert dict(Chat.objects.filter(account=account).values_list("external_id", "unread_count")) == {
        "c1": 3,
        "c2": 1,
    }


def queue_reply(chat: Chat) -> Message:
    with transaction.atomic():
        return message_send(chat=chat, user=None, text="Здравствуйте! Отправили сегодня.")


def the_echo(message: Message) -> object:
    return remote_message(
        message.chat.external_id,
        "9001",
        message.text,
        author=Author.SELLER,
        created_at=message.created_at + timedelta(seconds=1),
    )


def killed_after_send(chat: Chat, fake_connector) -> Message:
    """The marketplace took the reply; the worker died before it recorded the receipt."""
    message = queue_reply(chat)

    def die() -> None:
        raise Killed()

    real_send = fake_connector.send_text

    def send_then_die(*, chat, text):
        real_send(chat=chat, text=text)
        die()

    fake_connector.send_text = send_then_die
    die_in_a_worker(lambda: deliver.message_deliver(message_id=message.pk))
    fake_connector.send_text = real_send
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, len(fake_connector.sent)) == ("sending", 1, 1)
    return message


def test_worker_killed_after_send_is_settled_by_the_sweep_exactly_once(
    make_account, make_chat, fake_connector, enqueued
):
    chat = make_chat(make_account("ozon"), external_id="c1")
    message = killed_after_send(chat, fake_connector)

    # A younger `sending` row may still be in flight: left alone.
    assert sweep.outbox_sweep().stuck_to_unknown == 0
    later = timezone.now() + sweep.STUCK_SENDING_AFTER + timedelta(seconds=1)
    assert sweep.outbox_sweep(now=later).stuck_to_unknown == 1
    message.refresh_from_db()
    assert message.delivery_status == "unknown"

    fake_connector.recent_results = [[the_echo(message)]]
    result = sweep.outbox_sweep(now=later + deliver.ECHO_SETTLE)

    assert (result.settled, result.resent, result.enqueued) == ([message.pk], [], [])
    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "9001")
    assert len(fake_connector.sent) == 1
    assert enqueued == [(DELIVER_TASK, (message.pk,))]  # only the first delivery: no re-send queued
    # A late duplicate of the delivery task changes nothing.
    assert deliver.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.sent) == 1


def test_worker_killed_after_send_is_settled_by_the_next_sync_without_a_second_row(
    make_account, make_chat, fake_connector, enqueued
):
    account = make_account("ozon")
    chat = make_chat(account, external_id="c1")
    message = killed_after_send(chat, fake_connector)
    fake_connector.set_pages(UpdatesPage(messages=(the_echo(message),)))

    assert sync.account_sync(account_id=account.pk).outcome == SyncRun.Outcome.SUCCESS

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "9001")
    assert Message.objects.filter(chat=chat).count() == 1
    later = timezone.now() + sweep.STUCK_SENDING_AFTER + timedelta(minutes=5)
    result = sweep.outbox_sweep(now=later)
    assert (result.stuck_to_unknown, result.resent, result.enqueued) == (0, [], [])
    assert enqueued == [(DELIVER_TASK, (message.pk,))]
    assert len(fake_connector.sent) == 1


def test_sync_task_lost_with_the_broker_is_handed_over_again_after_its_reservation(
    make_account, fake_connector, enqueued
):
    account = make_account("ozon")
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "1001"),)))

    assert sync.sync_dispatch() == [account.pk]
    lost_reservation = enqueued.pop()[1][1]  # the broker restarted: the queued task is gone
    assert sync.sync_dispatch() == []  # still reserved

    SyncState.objects.filter(pk=account.pk).update(
        lease_until=F("lease_until") - timedelta(seconds=RESERVATION_SECONDS + 1)
    )
    assert sync.sync_dispatch() == [account.pk]
    (func, (account_id, reservation)) = enqueued.pop()
    assert (func, account_id) == (SYNC_TASK, account.pk) and reservation != lost_reservation

    assert sync.account_sync(account_id=account.pk, reservation=reservation).ran
    # Had the lost task come back after all, it would find nothing to do.
    assert sync.account_sync(account_id=account.pk, reservation=lost_reservation).ran is False
    assert messages_by_external_id(account.pk) == ["1001"]
    assert SyncRun.objects.filter(account=account).count() == 1


def test_delivery_task_lost_with_the_broker_is_enqueued_again_and_sent_once(
    make_account, make_chat, fake_connector, enqueued, django_capture_on_commit_callbacks
):
    chat = make_chat(make_account("ozon"), external_id="c1")
    fake_connector.send_results = [SendReceipt(external_id="9001", sent_at=timezone.now())]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_reply(chat)
    assert enqueued.pop() == (DELIVER_TASK, (message.pk,))  # lost with the broker

    assert sweep.outbox_sweep().enqueued == []  # a young pending row: its task may still come
    later = timezone.now() + sweep.LOST_TASK_AFTER + timedelta(seconds=1)
    assert sweep.outbox_sweep(now=later).enqueued == [message.pk]
    assert enqueued.pop() == (DELIVER_TASK, (message.pk,))

    assert deliver.message_deliver(message_id=message.pk) == "sent"
    assert deliver.message_deliver(message_id=message.pk) == "skipped"  # the lost task after all
    assert len(fake_connector.sent) == 1
