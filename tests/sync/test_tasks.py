import pytest
from django.test import override_settings

from inbox import sync, tasks
from inbox.models import Message
from inbox.services import outbox
from marketplaces.types import UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db


def test_task_entry_points_call_the_services(make_account, make_chat, fake_connector, enqueued):
    account = make_account("ozon")
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "1"),)))

    assert sync.sync_dispatch() == [account.pk]
    assert tasks.sync_account(account.pk) == "success"
    assert tasks.sync_account(account.pk) == "skipped"  # not due again for a minute

    chat = make_chat(account)
    message = outbox.message_send(chat=chat, user=None, text="Ответ")
    assert tasks.deliver_message(message.pk) == "sent"
    assert tasks.deliver_message(message.pk) == "skipped"
    assert tasks.outbox_sweep()["enqueued"] == 0


@override_settings(Q_CLUSTER={"name": "chatcenter", "orm": "default", "sync": True})
def test_with_a_synchronous_cluster_a_reply_is_delivered_on_commit(
    make_account, make_chat, fake_connector, django_capture_on_commit_callbacks
):
    from django_q.conf import Conf

    chat = make_chat(make_account("ozon"))
    original = Conf.SYNC
    Conf.SYNC = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = outbox.message_send(chat=chat, user=None, text="Сразу")
    finally:
        Conf.SYNC = original
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"
    assert [text for _ref, text in fake_connector.sent] == ["Сразу"]


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_dispatch_loop_enqueues_a_due_account_once_and_again_when_due_later(make_account, enqueued):
    from accounts.models import SyncState

    account = make_account("ozon")
    fake = FakeTime()
    dispatched = sync.sync_dispatch_loop(
        seconds=30, tick=2, generation=lambda: "same", sleep=fake.sleep, clock=fake.clock
    )
    assert dispatched == 1
    assert enqueued == [("inbox.tasks.sync_account", (account.pk,))]

    enqueued.clear()
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=None)
    dispatched = sync.sync_dispatch_loop(
        seconds=130, tick=2, generation=lambda: "same", sleep=fake.sleep, clock=fake.clock
    )
    # Still due (no worker ran it): handed to the queue again only after the repeat window.
    assert dispatched == 3
    assert len(enqueued) == 3


def test_dispatch_loop_stops_when_the_scheduler_starts_a_newer_loop(make_account, enqueued):
    make_account("ozon")
    fake = FakeTime()
    generations = iter(["first", "first", "second"])
    sync.sync_dispatch_loop(
        seconds=200, tick=2, generation=lambda: next(generations), sleep=fake.sleep, clock=fake.clock
    )
    assert fake.now == 5.0  # 1 s settle + two ticks, then it saw the newer generation and stopped
