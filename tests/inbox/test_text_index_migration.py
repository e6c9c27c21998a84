"""SQLite's one text index (migration inbox/0018): every message is in one column of it, the answers
search reads the `answer` column only, and the migration moves a filled database both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from inbox import text_search
from inbox.models import Message

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")

BEFORE = ("inbox", "0017_answer_text_index")
AFTER = ("inbox", "0018_one_text_index")


def _rowids(expression: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(text_search.ANSWER_ROWIDS_FIRST, [expression, 100])
        return sorted(row[0] for row in cursor.fetchall())


def _message(chat, text: str, *, author: str) -> Message:
    direction = "out" if author == "seller" else "in"
    return Message.objects.create(
        chat=chat, direction=direction, author=author, text=text, created_at=timezone.now()
    )


@pytest.mark.django_db
def test_each_message_is_in_one_column_and_the_answer_column_holds_answers_only(make_account, make_chat):
    chat = make_chat(make_account("ozon"))
    question = _message(chat, "Треснула чашка, нужен возврат", author="buyer")
    answer = _message(chat, "Возврат оформим, чашку заменим", author="seller")
    notice = _message(chat, "Возврат по заказу одобрен", author="marketplace")
    words = ["возврат"]
    every = text_search._fts5_expression(words, any_word=True)
    answers_only = text_search._fts5_expression(words, any_word=True, column=text_search.ANSWER_COLUMN)
    assert _rowids(every) == [question.pk, answer.pk, notice.pk]
    assert _rowids(answers_only) == [answer.pk]
    # A word only questions hold is not in the answer column at all: nothing to look up and drop.
    assert _rowids(text_search._fts5_expression(["треснула"], any_word=True, column="answer")) == []
    # An answer that becomes a buyer's message (and back) moves between the columns.
    Message.objects.filter(pk=answer.pk).update(author="buyer")
    assert _rowids(answers_only) == []
    assert _rowids(every) == [question.pk, answer.pk, notice.pk]
    Message.objects.filter(pk=question.pk).update(author="seller", text="Возвраты за наш счёт")
    assert _rowids(answers_only) == [question.pk]
    Message.objects.filter(pk=question.pk).delete()
    assert _rowids(answers_only) == []
    assert _rowids(every) == [answer.pk, notice.pk]


def _search_both_ways(*, answers_table: str, answers_match: str) -> tuple[list[int], list[int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH ?", ['"возврат"*'])
        every = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f"SELECT rowid FROM {answers_table} WHERE {answers_table} MATCH ?", [answers_match])  # noqa: S608
        answers = sorted(row[0] for row in cursor.fetchall())
    return every, answers


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_a_filled_database_to_one_index_and_back(make_account, make_chat):
    chat = make_chat(make_account("ozon"))
    question = _message(chat, "Где мой возврат?", author="buyer")
    answer = _message(chat, "Возврат уже в пути", author="seller")
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([BEFORE])
        assert _search_both_ways(answers_table="inbox_answer_fts", answers_match='"возврат"*') == (
            [question.pk, answer.pk],
            [answer.pk],
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'inbox_answer_fts'")
            assert cursor.fetchall() == [("inbox_answer_fts",)]
    finally:
        # Forward to every app's latest migration: the database the other tests expect.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert AFTER in MigrationExecutor(connection).loader.applied_migrations
    assert _search_both_ways(answers_table="inbox_message_fts", answers_match='answer : "возврат"*') == (
        [question.pk, answer.pk],
        [answer.pk],
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'inbox_answer_fts%'")
        assert cursor.fetchall() == []
    # The triggers of the one index follow new writes.
    later = _message(chat, "Возвраты принимаем неделю", author="seller")
    assert _search_both_ways(answers_table="inbox_message_fts", answers_match='answer : "возврат"*') == (
        [question.pk, answer.pk, later.pk],
        [answer.pk, later.pk],
    )
