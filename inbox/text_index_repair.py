"""Keeps SQLite's FTS5 triggers in place after every `migrate`.

SQLite alters a column by rebuilding the table (create a copy, move the rows, drop the old one), and
dropping `inbox_message` drops its triggers: a later migration touching Message would leave the search
index silently stale. After each migrate the triggers of the index (migration 0018: one table, the
team's answers in its `answer` column) are checked; missing ones are recreated and the index is filled
again.
"""

from django.db import connections

TABLE = "inbox_message_fts"
FOLDED = "replace(replace({0}.text, 'ё', 'е'), 'Ё', 'Е')"
# Each message in one column: the team's answers in `answer`, every other message in `text`.
COLUMNS = (
    f"CASE WHEN {{0}}.author = 'seller' THEN NULL ELSE {FOLDED} END, "
    f"CASE WHEN {{0}}.author = 'seller' THEN {FOLDED} END"
)
INSERT = "INSERT INTO inbox_message_fts(rowid, text, answer) VALUES (new.id, {0}); "
DELETE = (
    "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text, answer) VALUES ('delete', old.id, {0}); "
)
# Statements built from the constants above only: no value reaches them.
TRIGGERS = {
    "inbox_message_fts_insert": (
        "CREATE TRIGGER inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN "
        + INSERT.format(COLUMNS.format("new"))
        + "END"
    ),
    "inbox_message_fts_delete": (
        "CREATE TRIGGER inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN "
        + DELETE.format(COLUMNS.format("old"))
        + "END"
    ),
    "inbox_message_fts_update": (
        "CREATE TRIGGER inbox_message_fts_update AFTER UPDATE OF text, author ON inbox_message BEGIN "
        + DELETE.format(COLUMNS.format("old"))
        + INSERT.format(COLUMNS.format("new"))
        + "END"
    ),
}
REFILL = (
    "INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('delete-all')",
    "INSERT INTO inbox_message_fts(rowid, text, answer) SELECT id, "  # noqa: S608 (constants only)
    + COLUMNS.format("inbox_message")
    + " FROM inbox_message",
)


def text_index_triggers_repair(*, using: str) -> bool:
    """Recreate missing triggers and refill the index; True when a repair was needed."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'inbox_message_fts%'")
        present = {name for (name,) in cursor.fetchall()}
        if TABLE not in present or set(TRIGGERS) <= present:
            return False
        cursor.execute("SELECT * FROM inbox_message_fts LIMIT 0")
        if [column[0] for column in cursor.description] != ["text", "answer"]:
            # A database migrated back before 0018: its index has other columns and other triggers.
            return False
        for name, statement in TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(statement)
        for statement in REFILL:
            cursor.execute(statement)
    return True


def repair_after_migrate(sender, *, using: str, **kwargs) -> None:
    text_index_triggers_repair(using=using)
