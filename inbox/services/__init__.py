"""Writes for the inbox. Split by concern; import from here.

- outbox.py: replies (message_send) and their delivery — owned by the sync engine work.
- chats.py: agent actions on chats (read, resolve, assign) — owned by the web inbox work.
- ingest.py: upserts of marketplace data — owned by the sync engine work.
"""

from inbox.services.outbox import message_send

__all__ = ["message_send"]
