"""Keeps SQLite's FTS5 triggers in place after every `migrate`.

SQLite alters a column by rebuilding the table (create a copy, move the rows, drop the old one), and
dropping `inbox_message` drops its triggers: a later migration touching Message would leave the search
indexes silently stale. After each migrate the triggers of each index (every message, migration 0013;
the team's answers, 0017) are checked; missing ones are recreated and that index is filled again.
"""

from django.db import connections

MESSAGE_TRIGGERS = {
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
MESSAGE_REFILL = (
    "INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('delete-all')",
    "INSERT INTO inbox_message_fts(rowid, text) "
    "SELECT id, replace(replace(inbox_message.text, 'ё', 'е'), 'Ё', 'Е') FROM inbox_message",
)
ANSWER_TRIGGERS = {
    "inbox_answer_fts_insert": (
        "CREATE TRIGGER inbox_answer_fts_insert AFTER INSERT ON inbox_message "
        "WHEN new.author = 'seller' BEGIN "
        "INSERT INTO inbox_answer_fts(rowid, text) "
        "VALUES (new.id, replace(replace(new.text, 'ё', 'е'), 'Ё', 'Е')); END"
    ),
    "inbox_answer_fts_delete": (
        "CREATE TRIGGER inbox_answer_fts_delete AFTER DELETE ON inbox_message "
        "WHEN old.author = 'seller' BEGIN "
        "INSERT INTO inbox_answer_fts(inbox_answer_fts, rowid, text) "
        "VALUES ('delete', old.id, replace(replace(old.text, 'ё', 'е'), 'Ё', 'Е')); END"
    ),
    "inbox_answer_fts_update": (
        "CREATE TRIGGER inbox_answer_fts_update AFTER UPDATE OF text, author ON inbox_message BEGIN "
        "INSERT INTO inbox_answer_fts(inbox_answer_fts, rowid, text) "
        "SELECT 'delete', old.id, replace(replace(old.text, 'ё', 'е'), 'Ё', 'Е') "
        "WHERE old.author = 'seller'; "
        "INSERT INTO inbox_answer_fts(rowid, text) "
        "SELECT new.id, replace(replace(new.text, 'ё', 'е'), 'Ё', 'Е') WHERE new.author = 'seller'; END"
    ),
}
ANSWER_REFILL = (
    "INSERT INTO inbox_answer_fts(inbox_answer_fts) VALUES ('delete-all')",
    "INSERT INTO inbox_answer_fts(rowid, text) "
    "SELECT id, replace(replace(inbox_message.text, 'ё', 'е'), 'Ё', 'Е') FROM inbox_message "
    "WHERE author = 'seller'",
)
# The index table, its triggers, and how to fill it again from inbox_message.
INDEXES = (
    ("inbox_message_fts", MESSAGE_TRIGGERS, MESSAGE_REFILL),
    ("inbox_answer_fts", ANSWER_TRIGGERS, ANSWER_REFILL),
)


def text_index_triggers_repair(*, using: str) -> bool:
    """Recreate missing triggers and refill their index; True when a repair was needed."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    repaired = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'inbox_%_fts%'")
        present = {name for (name,) in cursor.fetchall()}
        for table, triggers, refill in INDEXES:
            if table not in present or set(triggers) <= present:
                continue
            for name, statement in triggers.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(statement)
            for statement in refill:
                cursor.execute(statement)
            repaired = True
    return repaired


def repair_after_migrate(sender, *, using: str, **kwargs) -> None:
    text_index_triggers_repair(using=using)
