"""A real text index for message search (inbox/text_search.py queries it).

PostgreSQL: a GIN index on `to_tsvector('russian', text)` (Russian stemming), replacing the trigram
index on message text from 0005 that only the old substring search used. SQLite: a contentless FTS5
table whose rowid is the message id, fed by triggers so every write path (the ORM, the ingest's raw
`INSERT … ON CONFLICT DO NOTHING`, updates and deletes) keeps it current. It stores the text with ё read
as е; unicode61 folds case for every script and strips Latin diacritics. An SQLite build without FTS5
skips the table and search falls back to substring matching.
"""

from django.db import migrations

POSTGRESQL_CREATE = (
    "CREATE INDEX IF NOT EXISTS message_text_fts_idx ON inbox_message "
    "USING gin (to_tsvector('russian'::regconfig, text))",
    "DROP INDEX IF EXISTS message_text_trgm_idx",
)
POSTGRESQL_DROP = (
    "DROP INDEX IF EXISTS message_text_fts_idx",
    # 0005's index comes back only where pg_trgm is installed.
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN "
    "CREATE INDEX IF NOT EXISTS message_text_trgm_idx ON inbox_message "
    "USING gin (UPPER(text::text) gin_trgm_ops); END IF; END $$",
)
FOLDED = "replace(replace({}.text, 'ё', 'е'), 'Ё', 'Е')"
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE inbox_message_fts USING fts5("
    "text, content='', tokenize='unicode61 remove_diacritics 2')",
    f"INSERT INTO inbox_message_fts(rowid, text) SELECT id, {FOLDED.format('inbox_message')} FROM inbox_message",
    "CREATE TRIGGER inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN "
    f"INSERT INTO inbox_message_fts(rowid, text) VALUES (new.id, {FOLDED.format('new')}); END",
    "CREATE TRIGGER inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN "
    "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) "
    f"VALUES ('delete', old.id, {FOLDED.format('old')}); END",
    "CREATE TRIGGER inbox_message_fts_update AFTER UPDATE OF text ON inbox_message BEGIN "
    "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) "
    f"VALUES ('delete', old.id, {FOLDED.format('old')}); "
    f"INSERT INTO inbox_message_fts(rowid, text) VALUES (new.id, {FOLDED.format('new')}); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS inbox_message_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_message_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_message_fts_update",
    "DROP TABLE IF EXISTS inbox_message_fts",
)


def _fts5_available(cursor) -> bool:
    cursor.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
    if cursor.fetchone()[0]:
        return True
    try:
        cursor.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(text)")
    except Exception:
        return False
    cursor.execute("DROP TABLE temp.fts5_probe")
    return True


def text_index_create(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            statements = POSTGRESQL_CREATE
        elif connection.vendor == "sqlite" and _fts5_available(cursor):
            statements = SQLITE_CREATE
        else:
            return
        for statement in statements:
            cursor.execute(statement)


def text_index_drop(apps, schema_editor) -> None:
    connection = schema_editor.connection
    statements = {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(connection.vendor, ())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0012_classify_topic_sentiment")]

    operations = [migrations.RunPython(text_index_create, text_index_drop)]
