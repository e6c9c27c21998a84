"""django-q2 entry points. Each takes primitive ids, reloads state, calls one service, is idempotent."""

from inbox import sync
from inbox.replies import deliver, sweep
from inbox.services import chat_snoozes_wake, remote_read
from inbox.services.statistics import database_statistics_refresh


def dispatch_sync() -> int:
    """Every minute: one pass over due accounts, the safety net when no `manage.py dispatcher` runs."""
    return len(sync.sync_dispatch(reason="schedule"))


def sync_account(account_id: int, reservation: str = "") -> str:
    """One incremental pass; a no-op when another worker holds the account or it is not due.

    `reservation`: the lease owner the dispatcher reserved the account for when it queued this task.
    """
    report = sync.account_sync(account_id=account_id, reservation=reservation)
    return report.outcome if report.ran else "skipped"


def deliver_message(message_id: int) -> str:
    return deliver.message_deliver(message_id=message_id)


def mark_chat_read_remote(chat_id: int) -> bool:
    return remote_read.chat_remote_read(chat_id=chat_id)


def outbox_sweep() -> dict[str, int]:
    result = sweep.outbox_sweep()
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
