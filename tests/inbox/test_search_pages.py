"""The inbox search asks each side of its OR (chat fields; message text) for its own page and lists
the union's page: what is found, its order and its pages must be those of the plain OR."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox import text_search
from inbox.models import Chat, Message
from inbox.selectors import (
    SORT_DEADLINE,
    SORT_NEGATIVE,
    SORT_WAITING,
    ChatFilters,
    chat_filtered_for_user,
    chat_page_for_user,
)

pytestmark = pytest.mark.django_db

# Which side finds each chat for the query "возврат", newest activity first.
SIDES = ["text", "name", "none", "text", "both", "text", "name", "none", "text", "name", "text"]


@pytest.fixture
def searched(make_account, make_chat, agent):
    account = make_account("ozon", members=[agent])
    now = timezone.now()
    chats = []
    for position, side in enumerate(SIDES):
        chat = make_chat(
            account,
            buyer_name="Возвратова Анна" if side in ("name", "both") else f"Покупатель {position}",
            last_message_at=now - timedelta(minutes=position),
            awaiting_reply_since=now - timedelta(minutes=position * 7 % 5),
            reply_deadline=now + timedelta(minutes=position * 3 % 7),
            sentiment="negative" if position % 3 == 0 else "neutral",
        )
        text = "Когда оформят ВОЗВРАТА денег?" if side in ("text", "both") else "Где курьер?"
        Message.objects.create(chat=chat, direction="in", author="buyer", text=text, created_at=now)
        chats.append(chat)
    # Another cabinet's chat matching on both sides is never listed.
    foreign = make_chat(make_account("wildberries"), buyer_name="Возвратов", last_message_at=now)
    Message.objects.create(chat=foreign, direction="in", author="buyer", text="возврат", created_at=now)
    return chats


def _all_pages(agent, filters: ChatFilters, *, limit: int) -> list[int]:
    listed, cursor = [], ""
    while True:
        page = chat_page_for_user(user=agent, filters=filters, cursor=cursor, limit=limit)
        listed += [chat.pk for chat in page.items]
        if not page.next_cursor:
            return listed
        cursor = page.next_cursor


@pytest.mark.parametrize("few_matches", [0, text_search.FEW_MATCHES])
def test_each_side_alone_finds_its_chats_newest_first_page_by_page(searched, agent, monkeypatch, few_matches):
    # PostgreSQL looks several words up by chat id when few messages hold them, else walks the chats.
    monkeypatch.setattr(text_search, "FEW_MATCHES", few_matches)
    expected = [chat.pk for chat, side in zip(searched, SIDES, strict=True) if side != "none"]
    for limit in (1, 2, 3, 50):
        assert _all_pages(agent, ChatFilters(query="возврат"), limit=limit) == expected
    only_text = [chat.pk for chat, side in zip(searched, SIDES, strict=True) if side in ("text", "both")]
    assert _all_pages(agent, ChatFilters(query="возвратом денег"), limit=2) == only_text
    only_name = [chat.pk for chat, side in zip(searched, SIDES, strict=True) if side in ("name", "both")]
    assert _all_pages(agent, ChatFilters(query="Возвратова"), limit=2) == only_name


@pytest.mark.parametrize("sort", [SORT_WAITING, SORT_DEADLINE, SORT_NEGATIVE])
def test_every_sort_pages_the_search_as_the_plain_filter_orders_it(searched, agent, sort):
    filters = ChatFilters(query="возврат", sort=sort)
    whole = chat_page_for_user(user=agent, filters=filters, limit=200).items
    assert {chat.pk for chat in whole} == set(
        chat_filtered_for_user(user=agent, filters=filters).values_list("pk", flat=True)
    )
    assert len(whole) == sum(side != "none" for side in SIDES)
    assert _all_pages(agent, filters, limit=2) == [chat.pk for chat in whole]


def test_a_chat_found_by_both_sides_is_listed_once(searched, agent):
    both = searched[SIDES.index("both")]
    listed = _all_pages(agent, ChatFilters(query="возврат"), limit=1)
    assert listed.count(both.pk) == 1
    assert Chat.objects.filter(pk__in=listed, account__members=agent).count() == len(listed)
