"""Planner statistics for SQLite.

PostgreSQL's autovacuum keeps table statistics current by itself. SQLite never gathers them: without
`sqlite_stat1` it walks one account's whole chat index and sorts it for every inbox page (about 100 ms
at 100,000 chats instead of a few). A sampled ANALYZE after large writes and hourly fixes that.
"""

from django.db import DEFAULT_DB_ALIAS, connections

# Rows sampled per index: enough for the planner, milliseconds even at millions of messages.
ANALYSIS_ROW_LIMIT = 1000


def database_statistics_refresh(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Returns whether anything was done (only SQLite needs it)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_ROW_LIMIT}")
        cursor.execute("ANALYZE")
    return True
