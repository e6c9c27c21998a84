"""PostgreSQL keeps each message's `to_tsvector('russian', text)` in a stored generated column.

Checking one message against a query then reads a ready vector instead of parsing and stemming the
text again (about 15 µs a message). That is what the inbox search pays for every message of every chat
it walks newest first, and what "Похожие ответы" pays for every recent answer it walks, so a query the
planner misjudges costs tens of milliseconds, not a second. The GIN index moves from the expression
(0013) to the column. PostgreSQL fills the column for existing rows while adding it (one table rewrite:
plan it for a quiet moment on a large table) and keeps it current on every insert and update, so no
reindexing command is needed. SQLite's FTS5 table (0013) is unchanged.

A later migration that changes the type of `inbox_message.text` must drop and re-add this column.
"""

from django.db import migrations

COLUMN_CREATE = (
    "ALTER TABLE inbox_message ADD COLUMN IF NOT EXISTS text_search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('russian'::regconfig, text)) STORED",
    "CREATE INDEX IF NOT EXISTS message_text_search_idx ON inbox_message USING gin (text_search)",
    "DROP INDEX IF EXISTS message_text_fts_idx",
)
COLUMN_DROP = (
    "CREATE INDEX IF NOT EXISTS message_text_fts_idx ON inbox_message "
    "USING gin (to_tsvector('russian'::regconfig, text))",
    "DROP INDEX IF EXISTS message_text_search_idx",
    "ALTER TABLE inbox_message DROP COLUMN IF EXISTS text_search",
)


def _run(schema_editor, statements: tuple[str, ...]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def text_search_column_create(apps, schema_editor) -> None:
    _run(schema_editor, COLUMN_CREATE)


def text_search_column_drop(apps, schema_editor) -> None:
    _run(schema_editor, COLUMN_DROP)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0013_message_text_search_index")]

    operations = [migrations.RunPython(text_search_column_create, text_search_column_drop)]
