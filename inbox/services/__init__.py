"""Writes for the inbox. Split by concern; import from here.

- chats.py: agent actions on chats (read, resolve, snooze, assign).
- remote_read.py: read marks on the marketplace.
- ingest.py: upserts of marketplace data.

Replies (create, deliver, reconcile, sweep) live in inbox/replies/; their old names are re-exported
here until every caller imports from there.
"""

from inbox.replies.create import message_retry, message_send, reply_create
from inbox.services.chats import (  # noqa: F401  agent actions, re-exported
    chat_assign,
    chat_mark_read,
    chat_mark_unread,
    chat_set_status,
    chat_snooze,
    chat_snoozes_wake,
    message_send_once,
    reply_text_validate,
)
from inbox.services.remote_read import chat_remote_read_enqueue

__all__ = ["chat_remote_read_enqueue", "message_retry", "message_send", "reply_create"]
