"""Writes for the inbox. Split by concern; import from here.

- outbox.py: replies (message_send, message_retry) and their delivery; remote read marks.
- chats.py: agent actions on chats (read, resolve, snooze, assign).
- ingest.py: upserts of marketplace data.
"""

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
from inbox.services.outbox import chat_remote_read_enqueue, message_retry, message_send

__all__ = ["chat_remote_read_enqueue", "message_retry", "message_send"]
