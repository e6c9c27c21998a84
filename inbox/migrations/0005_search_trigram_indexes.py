"""Trigram indexes for the inbox search on PostgreSQL.

Django's `icontains` compiles to `UPPER(column::text) LIKE UPPER('%…%')`; a GIN `gin_trgm_ops` index
on that same expression serves it, so searching message text stays an index lookup at millions of
messages. SQLite has no equivalent and keeps scanning; the indexes exist only on PostgreSQL, which is
why they are SQL here and not in the models' Meta.

Where the database role may not create extensions, the indexes are skipped with a notice instead of
failing the deployment: search still works, only slower.
"""

from django.db import migrations, transaction

INDEXES = (
    ("message_text_trgm_idx", "inbox_message", "text"),
    ("chat_buyer_name_trgm_idx", "inbox_chat", "buyer_name"),
    ("chat_product_title_trgm_idx", "inbox_chat", "product_title"),
)


def trigram_indexes_create(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as error:  # any refusal only costs search speed
            print(f"\n  pg_trgm is not available ({error.__class__.__name__}); search indexes skipped.")
            return
        for name, table, column in INDEXES:
            expression = f'UPPER("{column}"::text) gin_trgm_ops'
            cursor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ({expression})')


def trigram_indexes_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _column in INDEXES:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("inbox", "0004_message_lean_indexes")]

    operations = [migrations.RunPython(trigram_indexes_create, trigram_indexes_drop)]
