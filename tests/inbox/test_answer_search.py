"""The team's answers have their own text index (SQLite: the `answer` column of the FTS5 table; PostgreSQL:
the `answer_search` column): only answers are in it, it follows every write, and a rare word (looked
up match by match) and a common one (recent answers walked) find the same answers in the same order."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox import text_search
from inbox.models import Message
from inbox.services.bulk import rows_insert_ignoring_conflicts
from inbox.text_search import answer_texts_matching

pytestmark = pytest.mark.django_db


def _message(chat, text: str, *, minutes_ago: int, author: str = "seller") -> Message:
    return Message.objects.create(
        chat=chat,
        direction="out" if author == "seller" else "in",
        author=author,
        text=text,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def _answers(*, account, exclude_chat, query: str = "возврат брака", limit: int = 3) -> list[str]:
    return answer_texts_matching(
        account_id=account.pk,
        since=timezone.now() - timedelta(days=1),
        exclude_chat_id=exclude_chat.pk,
        query=query,
        limit=limit,
    )


@pytest.fixture
def history(make_account, make_chat):
    account = make_account("ozon")
    chat, other_chat = make_chat(account), make_chat(account)
    foreign_chat = make_chat(make_account("ozon", name="Другой кабинет"))
    _message(other_chat, "Возврат оформляется в приложении", minutes_ago=50)
    _message(other_chat, "Брак заменим за наш счёт", minutes_ago=40)
    _message(other_chat, "Доставка обычно три дня", minutes_ago=30)
    _message(other_chat, "Для ВОЗВРАТА брака приложите фото", minutes_ago=20)
    _message(other_chat, "Хочу возврат, пришёл брак", minutes_ago=10, author="buyer")
    _message(chat, "Возврат брака в этом же чате", minutes_ago=5)
    _message(foreign_chat, "Возврат брака, чужой кабинет", minutes_ago=1)
    return account, chat, other_chat


@pytest.mark.parametrize("looked_up", [0, 1, 100])
def test_rare_and_common_words_find_the_same_answers_newest_first(history, monkeypatch, looked_up):
    # 0 and 1: more matches than are looked up one by one, so the recent answers are walked.
    monkeypatch.setattr(text_search, "ANSWERS_LOOKED_UP", looked_up)
    account, chat, other_chat = history
    _message(other_chat, "Возврат брака, два дня назад: старше окна", minutes_ago=2 * 24 * 60)
    assert _answers(account=account, exclude_chat=chat, limit=10) == [
        "Для ВОЗВРАТА брака приложите фото",
        "Брак заменим за наш счёт",
        "Возврат оформляется в приложении",
    ]
    assert _answers(account=account, exclude_chat=other_chat, limit=10) == ["Возврат брака в этом же чате"]
    assert _answers(account=account, exclude_chat=chat, limit=2) == [
        "Для ВОЗВРАТА брака приложите фото",
        "Брак заменим за наш счёт",
    ]
    assert _answers(account=account, exclude_chat=chat, query="посылка") == []
    assert _answers(account=account, exclude_chat=chat, query="?!") == []


def test_buyer_messages_and_old_answers_are_never_found(history):
    account, chat, other_chat = history
    _message(other_chat, "Возврат брака, два дня назад", minutes_ago=2 * 24 * 60)
    assert "Хочу возврат, пришёл брак" not in _answers(account=account, exclude_chat=chat, limit=10)
    assert "Возврат брака, два дня назад" not in _answers(account=account, exclude_chat=chat, limit=10)


def test_the_answer_index_follows_inserts_updates_and_deletes(make_account, make_chat):
    account = make_account("ozon")
    chat, other_chat = make_chat(account), make_chat(account)
    now = timezone.now()
    row = {"chat_id": chat.pk, "attachments": [], "created_at": now, "idempotency_key": None, "is_read": True}
    rows = [
        {**row, "external_id": "1", "direction": "out", "author": "seller", "text": "Возврат одобрен"},
        {**row, "external_id": "2", "direction": "in", "author": "buyer", "text": "Где возврат?"},
    ]
    assert rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now) == 2
    assert rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now) == 0

    def found(query: str) -> list[str]:
        return _answers(account=chat.account, exclude_chat=other_chat, query=query, limit=10)

    assert found("возврата") == ["Возврат одобрен"]
    answer = Message.objects.get(external_id="1")
    Message.objects.filter(pk=answer.pk).update(text="Курьер приедет завтра")
    assert found("возврат") == []
    assert found("курьера") == ["Курьер приедет завтра"]
    # A message that becomes an answer enters the index; one that stops being one leaves it.
    Message.objects.filter(external_id="2").update(author="seller")
    Message.objects.filter(pk=answer.pk).update(author="buyer")
    assert found("возврат курьер") == ["Где возврат?"]
    Message.objects.filter(external_id="2").delete()
    assert found("возврат") == []


def test_the_recent_answers_query_plan(history, monkeypatch):
    """Above the threshold the recent answers index is walked, newest first, with no sort of every
    match (SQLite would otherwise fetch each match by id and sort them all)."""
    account, chat, _other_chat = history
    monkeypatch.setattr(text_search, "ANSWERS_LOOKED_UP", 0)
    with CaptureQueriesContext(connection) as queries:
        assert _answers(account=account, exclude_chat=chat)
    sql = queries.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "message_answer_search_idx" in plan or "message_answers_recent_idx" in plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row) for row in cursor.fetchall())
            assert "message_answers_recent_idx" in plan
            assert "TEMP B-TREE FOR ORDER BY" not in plan


@pytest.mark.django_db(transaction=True)
def test_a_table_rebuild_gets_the_answer_index_triggers_and_rows_back(make_account, make_chat):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite rebuilds a table to alter it")
    from inbox.text_index_repair import text_index_triggers_repair

    account = make_account("ozon")
    chat, other_chat = make_chat(account), make_chat(account)
    _message(chat, "Возврат одобрен", minutes_ago=2)
    with connection.schema_editor() as editor:
        editor._remake_table(Message)
    assert text_index_triggers_repair(using="default") is True
    assert text_index_triggers_repair(using="default") is False
    _message(chat, "Возвраты принимаем неделю", minutes_ago=1)
    assert _answers(account=account, exclude_chat=other_chat, query="возврата", limit=10) == [
        "Возвраты принимаем неделю",
        "Возврат одобрен",
    ]
