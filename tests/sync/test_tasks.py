import pytest
from django.test import override_settings

from inbox import tasks
from inbox.models import Message
from inbox.services import outbox
from marketplaces.types import UpdatesPage
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db


def test_task_entry_points_call_the_services(make_account, make_chat, fake_connector, enqueued):
    account = make_account("ozon")
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "1"),)))

    assert tasks.dispatch_sync() == [account.pk]
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
