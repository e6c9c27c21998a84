"""A per-account change counter that database triggers bump on every write of a chat row.

The triggers, not the application, keep it: every path that writes chats (the ORM, bulk ingest's raw
`INSERT … ON CONFLICT`, queryset updates, cascades) moves it, so the inbox's cheap "anything new?" poll
cannot miss a change that some code path forgot to announce. PostgreSQL bumps once per statement through
transition tables (a bulk update of 500 chats is one counter write), locking the counters in account
order; SQLite, which has only row triggers, bumps once per row inside the same transaction. A reply's
delivery state (sending, sent, failed) changes a message, not always its chat: that bumps it too.
"""

import django.db.models.deletion
from django.db import migrations, models

COUNTER = "inbox_accountchangecounter"
POSTGRESQL_CREATE = (
    f"""CREATE OR REPLACE FUNCTION inbox_chat_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {COUNTER} (account_id, version)
        SELECT account_id, 1 FROM (SELECT DISTINCT account_id FROM changed_chats) AS accounts
        ORDER BY account_id
        ON CONFLICT (account_id) DO UPDATE SET version = {COUNTER}.version + 1;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION inbox_chat_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {COUNTER} SET version = version + 1
        WHERE account_id IN (SELECT DISTINCT account_id FROM changed_chats);
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER inbox_chat_inserted AFTER INSERT ON inbox_chat REFERENCING NEW TABLE AS changed_chats "
    "FOR EACH STATEMENT EXECUTE FUNCTION inbox_chat_changed()",
    "CREATE TRIGGER inbox_chat_updated AFTER UPDATE ON inbox_chat REFERENCING NEW TABLE AS changed_chats "
    "FOR EACH STATEMENT EXECUTE FUNCTION inbox_chat_changed()",
    "CREATE TRIGGER inbox_chat_deleted AFTER DELETE ON inbox_chat REFERENCING OLD TABLE AS changed_chats "
    "FOR EACH STATEMENT EXECUTE FUNCTION inbox_chat_removed()",
    f"""CREATE OR REPLACE FUNCTION inbox_message_delivery_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {COUNTER} SET version = version + 1
        WHERE account_id = (SELECT account_id FROM inbox_chat WHERE id = NEW.chat_id);
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER inbox_message_delivery_updated AFTER UPDATE OF delivery_status ON inbox_message "
    "FOR EACH ROW WHEN (OLD.delivery_status IS DISTINCT FROM NEW.delivery_status) "
    "EXECUTE FUNCTION inbox_message_delivery_changed()",
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS inbox_chat_inserted ON inbox_chat",
    "DROP TRIGGER IF EXISTS inbox_chat_updated ON inbox_chat",
    "DROP TRIGGER IF EXISTS inbox_chat_deleted ON inbox_chat",
    "DROP FUNCTION IF EXISTS inbox_chat_changed()",
    "DROP FUNCTION IF EXISTS inbox_chat_removed()",
    "DROP TRIGGER IF EXISTS inbox_message_delivery_updated ON inbox_message",
    "DROP FUNCTION IF EXISTS inbox_message_delivery_changed()",
)
SQLITE_BUMP = (
    f"INSERT INTO {COUNTER} (account_id, version) VALUES (new.account_id, 1) "
    f"ON CONFLICT (account_id) DO UPDATE SET version = version + 1"
)
SQLITE_CREATE = (
    f"CREATE TRIGGER inbox_chat_inserted AFTER INSERT ON inbox_chat BEGIN {SQLITE_BUMP}; END",
    f"CREATE TRIGGER inbox_chat_updated AFTER UPDATE ON inbox_chat BEGIN {SQLITE_BUMP}; END",
    "CREATE TRIGGER inbox_chat_deleted AFTER DELETE ON inbox_chat BEGIN "
    f"UPDATE {COUNTER} SET version = version + 1 WHERE account_id = old.account_id; END",
    "CREATE TRIGGER inbox_message_delivery_updated AFTER UPDATE OF delivery_status ON inbox_message "
    "WHEN old.delivery_status IS NOT new.delivery_status BEGIN "
    f"UPDATE {COUNTER} SET version = version + 1 "
    "WHERE account_id = (SELECT account_id FROM inbox_chat WHERE id = new.chat_id); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS inbox_chat_inserted",
    "DROP TRIGGER IF EXISTS inbox_chat_updated",
    "DROP TRIGGER IF EXISTS inbox_chat_deleted",
    "DROP TRIGGER IF EXISTS inbox_message_delivery_updated",
)
SEED = f"INSERT INTO {COUNTER} (account_id, version) SELECT id, 0 FROM accounts_marketplaceaccount"


def _run(schema_editor, statements_by_vendor: dict[str, tuple[str, ...]]) -> None:
    statements = statements_by_vendor.get(schema_editor.connection.vendor, ())
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def triggers_create(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": (*POSTGRESQL_CREATE, SEED), "sqlite": (*SQLITE_CREATE, SEED)})


def triggers_drop(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("inbox", "0013_message_text_search_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountChangeCounter",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="change_counter",
                        serialize=False,
                        to="accounts.marketplaceaccount",
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "chat change counter",
                "verbose_name_plural": "chat change counters",
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
