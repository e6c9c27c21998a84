"""The inbox costs the same number of queries whether an account holds 10 or 200 chats/messages."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from inbox.models import Chat, Message


def populate(account, *, chats: int, messages: int, assignee: User) -> Chat:
    now = timezone.now()
    created = Chat.objects.bulk_create(
        Chat(
            account=account,
            external_id=f"budget-{account.pk}-{index}",
            buyer_name=f"Покупатель {index}",
            last_message_at=now - timedelta(minutes=index),
            awaiting_reply_since=now - timedelta(minutes=index),
            unread_count=index % 3,
            assignee=assignee if index % 2 else None,
        )
        for index in range(chats)
    )
    chat = created[0]
    Message.objects.bulk_create(
        Message(
            chat=chat,
            direction=Message.Direction.OUT if index % 2 else Message.Direction.IN,
            author=Message.Author.SELLER if index % 2 else Message.Author.BUYER,
            sent_by=assignee if index % 2 else None,
            text=f"Сообщение {index}",
            created_at=now - timedelta(minutes=messages - index),
            is_read=True,
            delivery_status=Message.DeliveryStatus.SENT if index % 2 else "",
            attachments=[{"kind": "file", "name": "a.pdf"}] if index % 5 == 0 else [],
        )
        for index in range(messages)
    )
    Chat.objects.filter(pk=chat.pk).update(unread_count=0)
    chat.refresh_from_db()
    return chat


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_inbox_page_and_chat_pane_query_counts_are_constant(
    client, make_account, agent, other_agent, django_assert_num_queries, size
):
    ozon = make_account("ozon", members=[agent, other_agent])
    wildberries = make_account("wildberries", members=[agent])
    chat = populate(ozon, chats=size, messages=size, assignee=other_agent)
    populate(wildberries, chats=size, messages=0, assignee=agent)
    client.force_login(agent)
    client.get(reverse("inbox:index"))  # warm the session
    # and the once-per-process probe for the SQLite text index, which the first search asks
    client.get(reverse("inbox:index") + "?q=warm")
    # session, user, permissions (user + group), the accounts' change versions, accounts (+ sync state),
    # grouped tab counts, one page
    with django_assert_num_queries(8):
        client.get(reverse("inbox:index"))
    with django_assert_num_queries(8):
        client.get(reverse("inbox:index") + "?tab=ozon&q=Покупатель&unread=1")
    # + chat, members, newest messages, thread signature (the reply window is stored on the chat)
    with django_assert_num_queries(12):
        client.get(reverse("inbox:chat", args=[chat.pk]))
    # the pane alone: session, user, permissions x2, chat, members, newest messages, thread signature
    with django_assert_num_queries(8):
        client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="chat-pane")
    live = reverse("inbox:chat_live", args=[chat.pk])
    with django_assert_num_queries(8):
        response = client.get(live + "?signature=stale", HTTP_HX_REQUEST="true")
    # a poll with nothing new stops after the signature
    with django_assert_num_queries(6):
        unchanged = client.get(
            live, {"signature": response.context["thread_signature"]}, HTTP_HX_REQUEST="true"
        )
    assert unchanged.status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_snoozed_filter_and_snoozed_chat_pane_query_counts_are_constant(
    client, make_account, agent, other_agent, django_assert_num_queries, size
):
    ozon = make_account("ozon", members=[agent, other_agent])
    chat = populate(ozon, chats=size, messages=size, assignee=other_agent)
    now = timezone.now()
    # Half still snoozed, a quarter past their time (they count as open), a quarter plainly open.
    for index, pk in enumerate(Chat.objects.filter(account=ozon).order_by("pk").values_list("pk", flat=True)):
        if index % 4 == 3:
            continue
        until = now + timedelta(hours=index + 1) if index % 2 == 0 else now - timedelta(minutes=index + 1)
        Chat.objects.filter(pk=pk).update(status=Chat.Status.SNOOZED, snoozed_until=until)
    snoozed_count = len(range(0, size, 2))
    client.force_login(agent)
    client.get(reverse("inbox:index"))  # warm the session
    # and the once-per-process probe for the SQLite text index, which the first search asks
    client.get(reverse("inbox:index") + "?q=warm")
    # session, user, permissions (user + group), the accounts' change versions, accounts (+ sync state),
    # grouped tab counts, one page
    with django_assert_num_queries(8):
        snoozed = client.get(reverse("inbox:index") + "?status=snoozed")
    assert len(snoozed.context["chats"]) == min(snoozed_count, 50)
    assert snoozed.content.decode().count('class="snoozed-mark"') == min(snoozed_count, 50)
    with django_assert_num_queries(8):
        opened = client.get(reverse("inbox:index"))
    assert opened.content.decode().count('class="snoozed-mark"') == 0
    assert opened.context["tabs"][0].counts.open_chats == size - snoozed_count
    with django_assert_num_queries(8):
        client.get(
            reverse("inbox:index") + "?status=snoozed&tab=ozon&q=Покупатель&unread=1",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="chat-list-region",
        )
    Chat.objects.filter(pk=chat.pk).update(status=Chat.Status.SNOOZED, snoozed_until=now + timedelta(days=1))
    # + chat, members, newest messages, thread signature (the reply window is stored on the chat):
    # the snooze menu costs nothing
    with django_assert_num_queries(12):
        pane = client.get(reverse("inbox:chat", args=[chat.pk]) + "?status=snoozed")
    assert 'id="snooze-menu"' in pane.content.decode()
