"""The sync lifecycle, one module per concern:

- lease.py: who may sync an account (conditional UPDATE), reservations for queued passes;
- engine.py: the page walker behind the incremental pass (`account_sync`) and the backfill;
- dispatch.py: which accounts are due, handing them to the queue, `account_mark_due` for pushes;
- health.py: SyncRun records, failures, backoff, polling intervals.

The names other code uses are importable from here.
"""

from inbox.counts import SyncCounts
from inbox.sync.dispatch import (
    account_mark_due,
    account_sync_request,
    chat_mark_due,
    dispatcher_run,
    sync_dispatch,
    sync_states_ensure,
)
from inbox.sync.engine import SyncReport, account_backfill, account_sync, chat_positions_get
from inbox.sync.health import backoff_delay, error_describe, sync_interval
from inbox.sync.lease import LeaseLostError, lease_owner_new, sync_lease_acquire, sync_lease_release

__all__ = [
    "LeaseLostError",
    "SyncCounts",
    "SyncReport",
    "account_backfill",
    "account_mark_due",
    "account_sync",
    "account_sync_request",
    "backoff_delay",
    "chat_mark_due",
    "chat_positions_get",
    "dispatcher_run",
    "error_describe",
    "lease_owner_new",
    "sync_dispatch",
    "sync_interval",
    "sync_lease_acquire",
    "sync_lease_release",
    "sync_states_ensure",
]
