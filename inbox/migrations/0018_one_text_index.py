"""SQLite: one FTS5 table for the message search and the team's answers, instead of two.

0017 gave the answers a table of their own (`inbox_answer_fts`), so every answer's text was tokenized
twice: once for the search over all messages and once for "Похожие ответы". `inbox_message_fts` now has
two columns, `text` for the messages of buyers and the marketplace and `answer` for the team's; each
message is tokenized once, into one of them. A search over all messages matches either column; the
answers search filters on `answer` inside the index (`answer : (…)`), so a word common in questions
and rare in answers still reads no question. The statements of a 50,000-message backfill, replayed
alone: 1.37 s of SQLite's work with the two indexes (0.47 s of it theirs), 1.22 s with the one. A
million-message search benchmark: "Похожие ответы" p95 76 -> 92 ms. PostgreSQL keeps its two columns
(0015).
"""

from importlib import import_module

from django.db import migrations

FOLDED = "replace(replace({0}.text, 'ё', 'е'), 'Ё', 'Е')"
QUESTION = "CASE WHEN {0}.author = 'seller' THEN NULL ELSE " + FOLDED + " END"
ANSWER = "CASE WHEN {0}.author = 'seller' THEN " + FOLDED + " END"


def _columns(row: str) -> str:
    return f"{QUESTION.format(row)}, {ANSWER.format(row)}"


SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE inbox_message_fts USING fts5("
    "text, answer, content='', tokenize='unicode61 remove_diacritics 2')",
    f"INSERT INTO inbox_message_fts(rowid, text, answer) SELECT id, {_columns('inbox_message')} "
    "FROM inbox_message",
    "CREATE TRIGGER inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN "
    f"INSERT INTO inbox_message_fts(rowid, text, answer) VALUES (new.id, {_columns('new')}); END",
    "CREATE TRIGGER inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN "
    "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text, answer) "
    f"VALUES ('delete', old.id, {_columns('old')}); END",
    "CREATE TRIGGER inbox_message_fts_update AFTER UPDATE OF text, author ON inbox_message BEGIN "
    "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text, answer) "
    f"VALUES ('delete', old.id, {_columns('old')}); "
    f"INSERT INTO inbox_message_fts(rowid, text, answer) VALUES (new.id, {_columns('new')}); END",
)
SQLITE_DROP_BOTH = (
    "DROP TRIGGER IF EXISTS inbox_answer_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_answer_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_answer_fts_update",
    "DROP TABLE IF EXISTS inbox_answer_fts",
    "DROP TRIGGER IF EXISTS inbox_message_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_message_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_message_fts_update",
    "DROP TABLE IF EXISTS inbox_message_fts",
)
# Back to 0013's message index and 0017's answer index, as those migrations create them.
SQLITE_RESTORE = (
    *import_module("inbox.migrations.0013_message_text_search_index").SQLITE_CREATE,
    *import_module("inbox.migrations.0017_answer_text_index").SQLITE_CREATE,
)


def _run(schema_editor, statements: tuple[str, ...]) -> None:
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        # 0013 created the message index only where this SQLite has FTS5.
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox_message_fts'")
        if cursor.fetchone() is None:
            return
        for statement in (*SQLITE_DROP_BOTH, *statements):
            cursor.execute(statement)


def one_index_create(apps, schema_editor) -> None:
    _run(schema_editor, SQLITE_CREATE)


def two_indexes_restore(apps, schema_editor) -> None:
    _run(schema_editor, SQLITE_RESTORE)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0017_answer_text_index")]

    operations = [migrations.RunPython(one_index_create, two_indexes_restore)]
