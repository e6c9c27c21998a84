"""SQLite: a second FTS5 table, `inbox_answer_fts`, holding the team's answers only (author "seller").

"Похожие ответы" look for answers sharing a word with the buyer's question. In the table of all
messages a word like "треснула" is everywhere in questions and nowhere in answers, and every match had
to be looked up only to be dropped. Here the matches are answers, few enough to look up when a word is
rare, or a set to check recent answers against when it is common (inbox/text_search.py). Contentless
and fed by triggers like `inbox_message_fts` (0013); inbox/text_index_repair.py restores the triggers
and refills it after a table rebuild. PostgreSQL has the `answer_search` column instead (0015).
"""

from django.db import migrations

FOLDED = "replace(replace({}.text, 'ё', 'е'), 'Ё', 'Е')"
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE inbox_answer_fts USING fts5("
    "text, content='', tokenize='unicode61 remove_diacritics 2')",
    f"INSERT INTO inbox_answer_fts(rowid, text) SELECT id, {FOLDED.format('inbox_message')} "
    "FROM inbox_message WHERE author = 'seller'",
    "CREATE TRIGGER inbox_answer_fts_insert AFTER INSERT ON inbox_message WHEN new.author = 'seller' BEGIN "
    f"INSERT INTO inbox_answer_fts(rowid, text) VALUES (new.id, {FOLDED.format('new')}); END",
    "CREATE TRIGGER inbox_answer_fts_delete AFTER DELETE ON inbox_message WHEN old.author = 'seller' BEGIN "
    "INSERT INTO inbox_answer_fts(inbox_answer_fts, rowid, text) "
    f"VALUES ('delete', old.id, {FOLDED.format('old')}); END",
    "CREATE TRIGGER inbox_answer_fts_update AFTER UPDATE OF text, author ON inbox_message BEGIN "
    "INSERT INTO inbox_answer_fts(inbox_answer_fts, rowid, text) "
    f"SELECT 'delete', old.id, {FOLDED.format('old')} WHERE old.author = 'seller'; "
    f"INSERT INTO inbox_answer_fts(rowid, text) SELECT new.id, {FOLDED.format('new')} "
    "WHERE new.author = 'seller'; END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS inbox_answer_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_answer_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_answer_fts_update",
    "DROP TABLE IF EXISTS inbox_answer_fts",
)


def _message_index_exists(cursor) -> bool:
    # 0013 created `inbox_message_fts` only where this SQLite has FTS5.
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox_message_fts'")
    return cursor.fetchone() is not None


def answer_index_create(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if not _message_index_exists(cursor):
            return
        for statement in SQLITE_CREATE:
            cursor.execute(statement)


def answer_index_drop(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in SQLITE_DROP:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0016_message_answers_recent_index")]

    operations = [migrations.RunPython(answer_index_create, answer_index_drop)]
