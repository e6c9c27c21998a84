"""Topic and tone in the chat API and the inbox list: fields, filters, "negative first", membership."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assist.classify.services import messages_classify
from inbox.models import NEGATIVE_LAST_RANK, Chat, Message
from inbox.selectors import SORT_NEGATIVE, ChatFilters, chat_filtered_for_user, chat_page_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def chats(make_account, make_chat, agent, other_agent):
    now = timezone.now()
    mine = make_account("ozon", name="Ozon main", members=[agent])
    theirs = make_account("wildberries", name="Not mine", members=[other_agent])

    def chat(account, minutes_ago: int, topic: str | None, sentiment: str | None) -> Chat:
        return make_chat(
            account,
            last_message_at=now - timedelta(minutes=minutes_ago),
            topic=topic,
            sentiment=sentiment,
        )

    return {
        "newest_neutral": chat(mine, 1, "size", "neutral"),
        "older_negative": chat(mine, 5, "delivery", "negative"),
        "oldest_negative": chat(mine, 9, "defect", "negative"),
        "unclassified": chat(mine, 3, None, None),
        "foreign_negative": chat(theirs, 0, "delivery", "negative"),
    }


def ids(api, query: str = "") -> list[int]:
    response = api.get("/api/chat/chats" + query)
    assert response.status_code == 200
    return [row["id"] for row in response.data["results"]]


def test_the_chat_api_carries_topic_and_sentiment_null_until_classified(api, chats, make_account):
    rows = {row["id"]: row for row in api.get("/api/chat/chats").data["results"]}
    assert (rows[chats["older_negative"].pk]["topic"], rows[chats["older_negative"].pk]["sentiment"]) == (
        "delivery",
        "negative",
    )
    assert (rows[chats["unclassified"].pk]["topic"], rows[chats["unclassified"].pk]["sentiment"]) == (
        None,
        None,
    )
    Message.objects.create(
        chat=chats["unclassified"],
        direction="in",
        author="buyer",
        text="С карты списали деньги дважды!",
        created_at=timezone.now(),
    )
    messages_classify()
    row = api.get("/api/chat/chats?topic=payment").data["results"]
    assert [(item["id"], item["topic"], item["sentiment"]) for item in row] == [
        (chats["unclassified"].pk, "payment", "negative")
    ]


def test_api_filters_by_topic_and_tone_within_membership(api, chats):
    assert ids(api, "?topic=delivery") == [chats["older_negative"].pk]
    assert ids(api, "?sentiment=negative") == [chats["older_negative"].pk, chats["oldest_negative"].pk]
    assert ids(api, "?topic=defect&sentiment=negative") == [chats["oldest_negative"].pk]
    assert ids(api, "?topic=size&sentiment=negative") == []
    # An unknown code is ignored rather than failing the list.
    assert len(ids(api, "?topic=shipping")) == 4


def test_api_negative_first_sort_pages_by_keyset(api, chats):
    expected = [
        chats["older_negative"].pk,
        chats["oldest_negative"].pk,
        chats["newest_neutral"].pk,
        chats["unclassified"].pk,
    ]
    assert ids(api, "?sort=negative") == expected
    first = api.get("/api/chat/chats?sort=negative&limit=1")
    seen = [row["id"] for row in first.data["results"]]
    next_url = first.data["next"]
    while next_url:
        page = api.get(next_url)
        seen += [row["id"] for row in page.data["results"]]
        next_url = page.data["next"]
    assert seen == expected


def test_another_accounts_chat_is_never_listed(client, chats, other_agent):
    client.force_login(other_agent)
    response = client.get("/api/chat/chats?sentiment=negative")
    assert [row["id"] for row in response.json()["results"]] == [chats["foreign_negative"].pk]


def test_the_list_shows_the_topic_label_and_a_negative_mark_in_russian(client, agent, chats):
    client.force_login(agent)
    page = client.get(reverse("inbox:index")).content.decode()
    assert '<span class="topic-label topic-delivery" title="Тема">Доставка</span>' in page
    assert '<span class="topic-label topic-size" title="Тема">Размер</span>' in page
    assert page.count('class="negative-mark"') == 2
    assert "⚠ негатив" in page
    assert "Негатив сначала" in page
    assert '<option value="order_change">Изменение заказа</option>' in page
    assert '<option value="negative">Негативный</option>' in page


def test_the_list_filters_and_sorts(client, agent, chats):
    client.force_login(agent)

    def listed(query: str) -> list[int]:
        return [chat.pk for chat in client.get(reverse("inbox:index") + query).context["chats"]]

    assert listed("?topic=delivery") == [chats["older_negative"].pk]
    assert listed("?sentiment=negative") == [chats["older_negative"].pk, chats["oldest_negative"].pk]
    assert listed("?sort=negative")[:2] == [chats["older_negative"].pk, chats["oldest_negative"].pk]
    response = client.get(reverse("inbox:index") + "?topic=defect&sentiment=negative&sort=negative")
    assert response.context["filter_query"] == "?sort=negative&topic=defect&sentiment=negative"
    assert '<option value="defect" selected>Брак</option>' in response.content.decode()


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner check needs PostgreSQL")
def test_negative_first_is_served_by_its_expression_index(make_account, agent):
    account = make_account("ozon", members=[agent])
    now = timezone.now()
    # Through the ORM, not raw SQL, so columns other apps add keep their defaults.
    Chat.objects.bulk_create(
        [
            Chat(
                account=account,
                external_id=f"c{index}",
                last_message_at=now - timedelta(seconds=index),
                topic="delivery",
                sentiment="negative" if index % 20 == 1 else "neutral",
            )
            for index in range(1, 20_001)
        ],
        batch_size=2_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inbox_chat")
    chats = (
        chat_filtered_for_user(user=agent, filters=ChatFilters(sort=SORT_NEGATIVE))
        .filter(last_message_at__isnull=False)
        .annotate(negative_rank=NEGATIVE_LAST_RANK)
        .order_by("negative_rank", "-last_message_at", "-id")[:51]
    )
    sql, params = chats.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chat_negative_first_idx" in plan
    page = chat_page_for_user(user=agent, filters=ChatFilters(sort=SORT_NEGATIVE), limit=50)
    assert len(page.items) == 50
    assert {chat.sentiment for chat in page.items} == {"negative"}
