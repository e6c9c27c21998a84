"""The per-account change counter moves with every chat write, whatever writes it, and the list poll that
finds it unchanged answers 204 without reading chats."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from inbox.models import AccountChangeCounter, Chat, Message
from inbox.services.ingest import IngestMode, page_apply
from tests.sync.conftest import bulk_writes, two_pages  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
LIST = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chat-list-region"}


def version(account) -> int:
    row = AccountChangeCounter.objects.filter(account=account).first()
    return row.version if row else 0


def test_every_way_of_writing_a_chat_moves_its_accounts_counter_and_no_other(make_account):
    ozon, other = make_account("ozon"), make_account("wildberries")
    moves = []

    def step(write) -> None:
        before, other_before = version(ozon), version(other)
        write()
        moves.append((version(ozon) > before, version(other) == other_before))

    step(lambda: Chat.objects.create(account=ozon, external_id="c-1"))
    chat = Chat.objects.get(external_id="c-1")
    step(lambda: Chat.objects.filter(pk=chat.pk).update(unread_count=3))
    chat.buyer_name = "Анна"
    step(lambda: chat.save(update_fields=["buyer_name"]))
    step(lambda: Chat.objects.bulk_update([chat], ["topic"]))
    step(lambda: Chat.objects.bulk_create([Chat(account=ozon, external_id="c-2")]))

    def raw_write() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE inbox_chat SET unread_count = 0 WHERE id = %s", [chat.pk])

    step(raw_write)
    step(lambda: Chat.objects.filter(external_id="c-2").delete())
    assert moves == [(True, True)] * 7


def test_a_replys_delivery_state_moves_the_counter_and_other_message_writes_do_not(make_account):
    ozon = make_account("ozon")
    chat = Chat.objects.create(account=ozon, external_id="c-1")
    reply = Message.objects.create(
        chat=chat,
        direction="out",
        author="seller",
        text="Здравствуйте",
        delivery_status="pending",
        created_at=timezone.now(),
    )
    before = version(ozon)
    Message.objects.filter(pk=reply.pk).update(is_read=True)
    assert version(ozon) == before
    Message.objects.filter(pk=reply.pk).update(delivery_status="failed")
    assert version(ozon) == before + 1
    Message.objects.filter(pk=reply.pk).update(delivery_status="failed")
    assert version(ozon) == before + 1


def test_a_statement_writing_chats_of_two_accounts_moves_both(make_account):
    ozon, wildberries = make_account("ozon"), make_account("wildberries")
    Chat.objects.bulk_create(
        [Chat(account=ozon, external_id="a"), Chat(account=wildberries, external_id="b")]
    )
    before = (version(ozon), version(wildberries))
    Chat.objects.update(unread_count=1)
    assert version(ozon) > before[0] and version(wildberries) > before[1]


def test_a_rolled_back_write_leaves_the_counter_where_it_was(make_account):
    ozon = make_account("ozon")
    Chat.objects.create(account=ozon, external_id="c-1")
    before = version(ozon)
    with pytest.raises(RuntimeError), transaction.atomic():
        Chat.objects.update(unread_count=5)
        raise RuntimeError
    assert version(ozon) == before


@pytest.mark.usefixtures("bulk_writes")
def test_ingest_moves_the_counter_and_reapplying_the_same_pages_does_not(make_account):
    account = make_account("ozon")
    first, second = two_pages()
    with transaction.atomic():
        page_apply(account=account, page=first, mode=IngestMode.INCREMENTAL)
        page_apply(account=account, page=second, mode=IngestMode.INCREMENTAL)
    after_ingest = version(account)
    assert after_ingest > 0
    # An idle sync that finds nothing new must not make every agent's list re-render.
    with transaction.atomic():
        page_apply(account=account, page=first, mode=IngestMode.INCREMENTAL)
        page_apply(account=account, page=second, mode=IngestMode.INCREMENTAL)
    assert version(account) == after_ingest


def test_deleting_an_account_with_chats_works(make_account):
    ozon = make_account("ozon")
    Chat.objects.create(account=ozon, external_id="c-1")
    ozon.delete()
    assert not Chat.objects.exists()


def _poll(client, signature: str):
    return client.get(reverse("inbox:index"), {"signature": signature}, **LIST)


def test_the_list_poll_answers_204_until_a_chat_of_the_users_accounts_changes(
    client, make_account, agent, django_assert_max_num_queries
):
    mine, foreign = make_account("ozon", members=[agent]), make_account("wildberries")
    chat = Chat.objects.create(account=mine, external_id="mine", last_message_at=timezone.now())
    Chat.objects.create(account=foreign, external_id="foreign", last_message_at=timezone.now())
    client.force_login(agent)
    first = client.get(reverse("inbox:index"), **LIST)
    signature = first.context["list_signature"]

    # session, user, permissions (user + group), the accounts' versions: no chat is read
    with django_assert_max_num_queries(5):
        assert _poll(client, signature).status_code == 204
    Chat.objects.filter(external_id="foreign").update(unread_count=4)
    assert _poll(client, signature).status_code == 204

    # A change that does not touch updated_at (a queryset update) still shows.
    Chat.objects.filter(pk=chat.pk).update(unread_count=2)
    changed = _poll(client, signature)
    assert changed.status_code == 200
    assert changed.context["chats"][0].unread_count == 2
    assert _poll(client, changed.context["list_signature"]).status_code == 204


def test_the_list_poll_rerenders_when_the_minute_turns_and_when_filters_differ(client, make_account, agent):
    account = make_account("ozon", members=[agent])
    Chat.objects.create(
        account=account, external_id="c", last_message_at=timezone.now(), awaiting_reply_since=timezone.now()
    )
    client.force_login(agent)
    signature = client.get(reverse("inbox:index"), **LIST).context["list_signature"]
    unread_only = client.get(reverse("inbox:index"), {"signature": signature, "unread": "1"}, **LIST)
    assert unread_only.status_code == 200
    later = timezone.now() + timedelta(minutes=1)
    with mock.patch("inbox.live.timezone.now", return_value=later):
        assert _poll(client, signature).status_code == 200


def test_a_user_who_loses_membership_stops_getting_204(client, make_account, agent):
    account = make_account("ozon", members=[agent])
    Chat.objects.create(account=account, external_id="c", last_message_at=timezone.now())
    client.force_login(agent)
    signature = client.get(reverse("inbox:index"), **LIST).context["list_signature"]
    account.members.remove(agent)
    response = _poll(client, signature)
    assert response.status_code == 200
    assert list(response.context["chats"]) == []


def test_a_changed_list_wakes_the_open_chats_poll_and_an_unchanged_one_does_not(client, make_account, agent):
    account = make_account("ozon", members=[agent])
    chat = Chat.objects.create(account=account, external_id="c", last_message_at=timezone.now())
    client.force_login(agent)
    signature = client.get(reverse("inbox:index"), **LIST).context["list_signature"]
    assert "HX-Trigger" not in _poll(client, signature).headers
    Chat.objects.filter(pk=chat.pk).update(unread_count=1)
    assert _poll(client, signature).headers["HX-Trigger"] == "inbox-list-changed"
    pane = client.get(
        reverse("inbox:chat", args=[chat.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="chat-pane"
    )
    assert 'hx-trigger="every 15s, inbox-list-changed from:body"' in pane.content.decode()
