"""django-q2 entry points. Each takes primitive ids, reloads state, calls one service, is idempotent."""

from inbox import sync
from inbox.services import chat_snoozes_wake, outbox
from inbox.services.statistics import database_statistics_refresh


def dispatch_sync() -> int:
    """Every minute: keep enqueueing sync_account for due accounts until the next run takes over."""
    return sync.sync_dispatch_loop()


def sync_account(account_id: int) -> str:
    """One incremental pass; a no-op when another worker holds the account or it is not due."""
    outcome = sync.account_sync(account_id=account_id)
    return outcome.outcome if outcome.ran else "skipped"


def deliver_message(message_id: int) -> str:
    return outbox.message_deliver(message_id=message_id)


def mark_chat_read_remote(chat_id: int) -> bool:
    return outbox.chat_remote_read(chat_id=chat_id)


def outbox_sweep() -> dict[str, int]:
    result = outbox.outbox_sweep()
    return {
        "enqueued": len(result.enqueued),
        "resent": len(result.resent),
        "stuck_to_unknown": result.stuck_to_unknown,
        "gave_up": result.gave_up,
        "syncs_requested": result.syncs_requested,
    }


def wake_snoozed_chats() -> int:
    """Every minute: store "open" for chats whose snooze has passed (the inbox already shows them open)."""
    return chat_snoozes_wake()


def refresh_database_statistics() -> bool:
    """Hourly: planner statistics for SQLite (PostgreSQL's autovacuum does its own)."""
    return database_statistics_refresh()
