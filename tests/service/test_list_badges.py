"""Deadline badges, the "срок ответа" sort and the SLA filters of the chat list."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from inbox.models import Chat


@pytest.fixture
def logged_in(agent):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(agent)
    return client


def chat_with_deadline(make_chat, account, *, minutes: int, state: str, **fields) -> Chat:
    now = timezone.now()
    return make_chat(
        account,
        last_message_at=now - timedelta(minutes=5),
        awaiting_reply_since=now - timedelta(minutes=5),
        reply_deadline=now + timedelta(minutes=minutes),
        reply_deadline_source="sla",
        sla_state=state,
        **fields,
    )


def row_ids(html: str) -> list[int]:
    import re

    return [int(value) for value in re.findall(r'id="chat-row-(\d+)"', html)]


def test_awaiting_view_sorts_by_deadline_and_filters_by_state(make_account, make_chat, agent, logged_in):
    account = make_account("yandex_market", members=[agent])
    late = chat_with_deadline(make_chat, account, minutes=-30, state="breached")
    soon = chat_with_deadline(make_chat, account, minutes=10, state="at_risk")
    later = chat_with_deadline(make_chat, account, minutes=300, state="ok")

    html = logged_in.get("/inbox/", {"awaiting": "1"}).content.decode()
    assert row_ids(html) == [late.pk, soon.pk, later.pk]
    # Rendered a moment after the chats were made: 30 min late and 9 whole minutes left.
    assert "просрочено на 30 мин" in html
    assert "осталось 9 мин" in html
    assert "ответить до " in html
    assert 'class="deadline sla-breached"' in html

    assert row_ids(logged_in.get("/inbox/", {"awaiting": "1", "sla": "at_risk"}).content.decode()) == [
        soon.pk
    ]
    assert row_ids(logged_in.get("/inbox/", {"sla": "breached"}).content.decode()) == [late.pk]


def test_a_closed_window_shows_grey_and_says_why(make_account, make_chat, agent, logged_in):
    account = make_account("ozon", members=[agent])
    chat = chat_with_deadline(make_chat, account, minutes=10, state="closed", can_reply=False)
    html = logged_in.get("/inbox/").content.decode()
    assert '<span class="deadline sla-closed">окно закрыто</span>' in html
    pane = logged_in.get(f"/inbox/chats/{chat.pk}/").content.decode()
    assert "Окно ответа закрыто: Ozon: 48 ч после последнего сообщения покупателя" in pane
    assert 'id="reply-text"' not in pane and "поле ответа отключено" in pane
    Chat.objects.filter(pk=chat.pk).update(can_reply=True, sla_state="at_risk")
    assert 'id="reply-text"' in logged_in.get(f"/inbox/chats/{chat.pk}/").content.decode()


def test_chat_api_carries_the_deadline_fields(make_account, make_chat, agent):
    from rest_framework.test import APIClient

    account = make_account("ozon", members=[agent])
    chat = chat_with_deadline(make_chat, account, minutes=10, state="at_risk")
    client = APIClient()
    client.force_authenticate(agent)
    body = client.get(f"/api/chat/chats/{chat.pk}").json()
    assert (body["can_reply"], body["sla_state"], body["reply_window_closes_at"]) == (True, "at_risk", None)
    assert body["reply_deadline"] is not None


def test_deadline_sort_pages_with_a_cursor_and_keeps_chats_without_a_deadline(
    make_account, make_chat, agent, logged_in
):
    from inbox.selectors import SORT_DEADLINE, ChatFilters, chat_page_for_user

    account = make_account("yandex_market", members=[agent])
    ordered = [
        chat_with_deadline(make_chat, account, minutes=minutes, state="ok") for minutes in (50, 10, 30)
    ]
    undated = make_chat(account, last_message_at=timezone.now(), awaiting_reply_since=timezone.now())
    filters = ChatFilters(awaiting_only=True, sort=SORT_DEADLINE)
    first = chat_page_for_user(user=agent, filters=filters, limit=2)
    second = chat_page_for_user(user=agent, filters=filters, limit=2, cursor=first.next_cursor)
    assert [chat.pk for chat in first.items + second.items] == [
        ordered[1].pk,
        ordered[2].pk,
        ordered[0].pk,
        undated.pk,
    ]
    assert second.next_cursor == ""


def test_deadline_sort_puts_chats_nobody_can_answer_after_those_that_can_be(make_account, make_chat, agent):
    from inbox.selectors import SORT_DEADLINE, ChatFilters, chat_page_for_user

    account = make_account("ozon", members=[agent])
    # The closed window's deadline passed long ago, but no reply can be sent there any more.
    closed = chat_with_deadline(make_chat, account, minutes=-600, state="closed", can_reply=False)
    late = chat_with_deadline(make_chat, account, minutes=-5, state="breached")
    soon = chat_with_deadline(make_chat, account, minutes=20, state="ok")
    filters = ChatFilters(awaiting_only=True, sort=SORT_DEADLINE)
    first = chat_page_for_user(user=agent, filters=filters, limit=2)
    second = chat_page_for_user(user=agent, filters=filters, limit=2, cursor=first.next_cursor)
    assert [chat.pk for chat in first.items + second.items] == [late.pk, soon.pk, closed.pk]
