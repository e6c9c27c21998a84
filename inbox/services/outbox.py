"""Moved to inbox/replies/ (create, deliver, reconcile, sweep) and inbox/services/remote_read.py.

These names stay importable (inbox/tasks.py and older callers use them) until every caller imports
from the new modules.
"""

from inbox.replies.create import message_retry, message_send, reply_queue  # noqa: F401
from inbox.replies.deliver import (  # noqa: F401
    DELIVER_TASK,
    MAX_DELIVERY_ATTEMPTS,
    DeliveryOutcome,
    message_deliver,
    message_delivery_enqueue,
)
from inbox.replies.sweep import SweepResult, outbox_sweep  # noqa: F401
from inbox.services.remote_read import chat_remote_read, chat_remote_read_enqueue  # noqa: F401
