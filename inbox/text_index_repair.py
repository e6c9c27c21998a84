"""Keeps SQLite's FTS5 triggers in place after every `migrate`.

SQLite alters a column by rebuilding the table (create a copy, move the rows, drop the old one), and
dropping `inbox_message` drops its triggers: a later migration touching Message would leave the search
index silently stale. After each migrate the triggers are checked; missing ones are recreated and the
index is filled again from the table.
"""

from django.db import connections

TRIGGERS = {
    "inbox_message_fts_insert": (
        "CREATE TRIGGER inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN "
        "INSERT INTO inbox_message_fts(rowid, text) "
        "VALUES (new.id, replace(replace(new.text, 'ё', 'е'), 'Ё', 'Е')); END"
    ),
    "inbox_message_fts_delete": (
        "CREATE TRIGGER inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN "
        "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) "
        "VALUES ('delete', old.id, replace(replace(old.text, 'ё', 'е'), 'Ё', 'Е')); END"
    ),
    "inbox_message_fts_update": (
        "CREATE TRIGGER inbox_message_fts_update AFTER UPDATE OF text ON inbox_message BEGIN "
        "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) "
        "VALUES ('delete', old.id, replace(replace(old.text, 'ё', 'е'), 'Ё', 'Е')); "
        "INSERT INTO inbox_message_fts(rowid, text) "
        "VALUES (new.id, replace(replace(new.text, 'ё', 'е'), 'Ё', 'Е')); END"
    ),
}
REFILL = (
    "INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('delete-all')",
    "INSERT INTO inbox_message_fts(rowid, text) "
    "SELECT id, replace(replace(text, 'ё', 'е'), 'Ё', 'Е') FROM inbox_message",
)


def text_index_triggers_repair(*, using: str) -> bool:
    """Recreate missing triggers and refill the index; True when a repair was needed."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, type FROM sqlite_master WHERE name LIKE 'inbox_message_fts%'")
        present = {name for name, _type in cursor.fetchall()}
        if "inbox_message_fts" not in present or set(TRIGGERS) <= present:
            return False
        for name, statement in TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(statement)
        for statement in REFILL:
            cursor.execute(statement)
    return True


def repair_after_migrate(sender, *, using: str, **kwargs) -> None:
    text_index_triggers_repair(using=using)
