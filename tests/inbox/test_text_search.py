"""Message search through the database's text index (PostgreSQL full-text search with Russian stemming,
SQLite FTS5 fed by triggers): word forms, every case, Cyrillic and Latin, membership, the query plans."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inbox import text_search
from inbox.models import Chat, Message
from inbox.services.bulk import rows_insert_ignoring_conflicts
from inbox.text_search import message_text_matching

pytestmark = pytest.mark.django_db

TEXTS = {
    "return": "Оформите ВОЗВРАТА через пункт выдачи, курьер заберёт",
    "delivery": "Доставка займёт три дня",
    "supply": "Поставка товара ожидается завтра",
    "tree": "Ёлка пришла сломанной",
    "latin": "The returns are processed by Ozon",
    "mixed": "Размер M маломерит, возьмите L",
}


@pytest.fixture
def messages(make_account, make_chat):
    chat = make_chat(make_account("ozon"))
    now = timezone.now()
    return {
        key: Message.objects.create(chat=chat, direction="in", author="buyer", text=text, created_at=now)
        for key, text in TEXTS.items()
    }


def found(query: str, *, any_word: bool = False) -> set[str]:
    ids = set(
        message_text_matching(messages=Message.objects.all(), query=query, any_word=any_word).values_list(
            "pk", flat=True
        )
    )
    return {key for key, text in TEXTS.items() if Message.objects.filter(text=text, pk__in=ids).exists()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Word forms both ways: the query's form need not be the text's.
        ("возврат", {"return"}),
        ("возвратом", {"return"}),
        ("доставки", {"delivery"}),
        ("доставку", {"delivery"}),
        ("сломался", {"tree"}),
        # Every spelling of the case, and ё/е either way.
        ("вОзВрАт", {"return"}),
        ("ДОСТАВКА", {"delivery"}),
        ("елка", {"tree"}),
        ("ЁЛКИ", {"tree"}),
        ("заберет", {"return"}),
        # Latin words, alone and among Cyrillic ones.
        ("RETURN", {"latin"}),
        ("ozon", {"latin"}),
        ("размер m", {"mixed"}),
        # Every word must be there; a neighbour word is not a match.
        ("возврат курьер", {"return"}),
        ("возврат доставка", set()),
        ("поставки", {"supply"}),
        ("доставка товара", set()),
        ("telegram", set()),
        ("?!", set()),
    ],
)
def test_text_search_finds_word_forms_in_any_case(messages, query, expected):
    assert found(query) == expected


def test_any_word_matches_messages_holding_at_least_one(messages):
    assert found("возврат доставка", any_word=True) == {"return", "delivery"}


def test_bulk_ingest_updates_and_deletes_keep_the_index_current(make_account, make_chat):
    chat = make_chat(make_account("ozon"))
    now = timezone.now()
    row = {
        "chat_id": chat.pk,
        "direction": "in",
        "author": "buyer",
        "attachments": [],
        "created_at": now,
        "idempotency_key": None,
        "is_read": False,
    }
    rows = [
        {**row, "external_id": "1", "text": "Где возврат?"},
        {**row, "external_id": "2", "text": "Спасибо"},
    ]
    assert rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now) == 2
    # The conflicting rows insert nothing, so they must add nothing to the index either.
    assert rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now) == 0
    first = Message.objects.get(external_id="1")
    assert list(message_text_matching(messages=Message.objects.all(), query="возврата")) == [first]

    Message.objects.filter(pk=first.pk).update(text="Курьер опоздал")
    assert list(message_text_matching(messages=Message.objects.all(), query="возврат")) == []
    assert list(message_text_matching(messages=Message.objects.all(), query="курьера")) == [first]

    first.delete()
    assert list(message_text_matching(messages=Message.objects.all(), query="курьер")) == []
    assert message_text_matching(messages=Message.objects.all(), query="спасибо").count() == 1


def test_inbox_search_finds_word_forms_only_in_the_members_cabinets(client, make_account, make_chat, agent):
    mine = make_chat(make_account("ozon", members=[agent]), last_message_at=timezone.now())
    foreign = make_chat(make_account("wildberries"), last_message_at=timezone.now())
    for chat in (mine, foreign):
        Message.objects.create(
            chat=chat, direction="in", author="buyer", text="Хочу ВОЗВРАТ денег", created_at=timezone.now()
        )
    client.force_login(agent)
    response = client.get(reverse("inbox:index") + "?q=возврата")
    assert [chat.pk for chat in response.context["chats"]] == [mine.pk]
    response = client.get(reverse("inbox:index") + "?q=поставка")
    assert [chat.pk for chat in response.context["chats"]] == []


def test_without_the_index_search_falls_back_to_substrings(messages, monkeypatch):
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL index always exists")
    monkeypatch.setattr(text_search, "text_index_available", lambda: False)
    assert found("ВОЗВРАТА курьер") == {"return"}
    assert found("доставка поставка", any_word=True) == {"delivery", "supply"}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_the_query_plan_uses_the_text_index(messages, make_account, agent):
    make_account("ozon", members=[agent])
    plan = _plan(message_text_matching(messages=Message.objects.all(), query="возврат"))
    if connection.vendor == "postgresql":
        assert "message_text_search_idx" in plan
        assert "Seq Scan" not in plan
    else:
        assert "VIRTUAL TABLE INDEX" in plan and "inbox_message_fts" in plan
        assert "SCAN inbox_message " not in plan


def test_past_answers_come_from_the_index_same_cabinet_recent_first(make_account, make_chat):
    from assist.suggestions import past_answers

    account = make_account("ozon")
    chat = make_chat(account)
    other_chat = make_chat(account)
    foreign_chat = make_chat(make_account("ozon", name="Другой кабинет"))
    now = timezone.now()

    def answer(target: Chat, text: str, minutes_ago: int) -> None:
        Message.objects.create(
            chat=target,
            direction="out",
            author="seller",
            text=text,
            created_at=now - timedelta(minutes=minutes_ago),
        )

    answer(other_chat, "Возврат оформляется в приложении", 30)
    answer(other_chat, "Для возврата брака приложите фото", 20)
    answer(other_chat, "Доставка обычно три дня", 10)
    answer(foreign_chat, "Возврат брака: пишите нам, чужой кабинет", 1)
    assert past_answers(chat=chat, question="Как оформить ВОЗВРАТ? Пришёл брак") == [
        "Для возврата брака приложите фото",
        "Возврат оформляется в приложении",
    ]
    assert past_answers(chat=chat, question="Где моя посылка?") == []


def test_past_answers_reach_past_the_most_recent_candidates(make_account, make_chat):
    """The index finds a matching answer behind hundreds of newer unrelated ones (the old Python
    ranking only read the 400 most recent answers)."""
    from assist.suggestions import HISTORY_CANDIDATES, past_answers

    account = make_account("ozon")
    chat = make_chat(account)
    other_chat = make_chat(account)
    now = timezone.now()
    Message.objects.create(
        chat=other_chat,
        direction="out",
        author="seller",
        text="Возврат брака оформляется в приложении",
        created_at=now - timedelta(days=2),
    )
    Message.objects.bulk_create(
        Message(
            chat=other_chat,
            direction="out",
            author="seller",
            text=f"Отправили посылку номер {number}",
            created_at=now - timedelta(minutes=number + 1),
        )
        for number in range(HISTORY_CANDIDATES + 10)
    )
    assert past_answers(chat=chat, question="Хочу вернуть брак, как оформить возврат?") == [
        "Возврат брака оформляется в приложении"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_table_rebuild_by_a_later_migration_gets_its_triggers_and_index_back(make_account, make_chat):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite rebuilds a table to alter it")
    from inbox.text_index_repair import text_index_triggers_repair

    chat = make_chat(make_account("ozon"))
    before = Message.objects.create(
        chat=chat, direction="in", author="buyer", text="Нужен возврат", created_at=timezone.now()
    )
    # What SQLite does for most AlterField operations: copy into a new table and drop the old one.
    with connection.schema_editor() as editor:
        editor._remake_table(Message)
    assert text_index_triggers_repair(using="default") is True
    assert text_index_triggers_repair(using="default") is False
    after = Message.objects.create(
        chat=chat, direction="in", author="buyer", text="Возвраты не принимаем", created_at=timezone.now()
    )
    matching = message_text_matching(messages=Message.objects.all(), query="возврата")
    assert sorted(matching.values_list("pk", flat=True)) == [before.pk, after.pk]
