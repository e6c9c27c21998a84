import pytest
from django.test import override_settings

from inbox import sync, tasks
from inbox.models import Message
from inbox.replies import create
from marketplaces.types import UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db


def test_task_entry_points_call_the_services(make_account, make_chat, fake_connector, enqueued):
    account = make_account("ozon")
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "1"),)))

    assert sync.sync_dispatch() == [account.pk]
    reservation = enqueued[0][1][1]
    assert tasks.sync_account(account.pk, reservation) == "success"
    assert tasks.sync_account(account.pk) == "skipped"  # not due again for a minute

    chat = make_chat(account)
    message = create.message_send(chat=chat, user=None, text="Ответ")
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
            message = create.message_send(chat=chat, user=None, text="Сразу")
    finally:
        Conf.SYNC = original
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"
    assert [text for _ref, text in fake_connector.sent] == ["Сразу"]


def test_the_minute_schedule_runs_one_dispatch_pass_without_sleeping(make_account, enqueued, monkeypatch):
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"a worker slept {seconds} s in the dispatch task")

    monkeypatch.setattr("time.sleep", no_sleep)
    account = make_account("ozon")
    assert tasks.dispatch_sync() == 1
    assert [(func, args[0]) for func, args in enqueued] == [("inbox.tasks.sync_account", account.pk)]
    assert tasks.dispatch_sync() == 0
