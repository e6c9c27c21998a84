"""PostgreSQL keeps each message's `to_tsvector('russian', text)` in stored generated columns.

Checking one message against a query then reads a ready vector instead of parsing and stemming the
text again (about 15 µs a message). That is what the inbox search pays for every message of every chat
it walks newest first, so a query the planner misjudges costs tens of milliseconds, not a second. The
GIN index moves from the expression (0013) to the column `text_search`.

`answer_search` holds the same vector for the team's answers only (author "seller", NULL otherwise),
with its own GIN index, for "Похожие ответы". Its statistics describe answers alone: a word common
in buyer messages but absent from answers is then known to be rare there, and the planner looks it up
in the index instead of walking every recent answer; a word common in answers is walked newest first.

The vectors are stored without word positions (`strip`): search asks whether words are there, never
for phrases or ranking, and positions would double the table's size. PostgreSQL fills both columns for existing rows while adding them (one table rewrite: plan it for a
quiet moment on a large table) and keeps them current on every insert and update, so no reindexing
command is needed. SQLite's FTS5 tables (0013, 0017) are separate.

A later migration that changes the type of `inbox_message.text` or `author` must drop and re-add these
columns.
"""

from django.db import migrations

COLUMN_CREATE = (
    "ALTER TABLE inbox_message "
    "ADD COLUMN IF NOT EXISTS text_search tsvector "
    "GENERATED ALWAYS AS (strip(to_tsvector('russian'::regconfig, text))) STORED, "
    "ADD COLUMN IF NOT EXISTS answer_search tsvector "
    "GENERATED ALWAYS AS (CASE WHEN author = 'seller' THEN strip(to_tsvector('russian'::regconfig, text)) END) "
    "STORED",
    "CREATE INDEX IF NOT EXISTS message_text_search_idx ON inbox_message USING gin (text_search)",
    "CREATE INDEX IF NOT EXISTS message_answer_search_idx ON inbox_message USING gin (answer_search) "
    "WHERE author = 'seller'",
    "DROP INDEX IF EXISTS message_text_fts_idx",
)
COLUMN_DROP = (
    "CREATE INDEX IF NOT EXISTS message_text_fts_idx ON inbox_message "
    "USING gin (to_tsvector('russian'::regconfig, text))",
    "DROP INDEX IF EXISTS message_text_search_idx",
    "DROP INDEX IF EXISTS message_answer_search_idx",
    "ALTER TABLE inbox_message DROP COLUMN IF EXISTS text_search, DROP COLUMN IF EXISTS answer_search",
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
    dependencies = [("inbox", "0014_account_change_counter")]

    operations = [migrations.RunPython(text_search_column_create, text_search_column_drop)]
