"""What one page, one sync pass or one backfill did: the single counts type of the inbox.

Ingest fills it per page; the sync engine adds pages up into one per pass; `SyncRun` stores it
(`run_counts_store` in inbox/sync/health.py). It lives outside inbox/sync so that ingest, below the
engine, can use it without importing the engine.
"""

from dataclasses import dataclass, field


@dataclass
class SyncCounts:
    pages: int = 0
    requests: int = 0
    chats_created: int = 0
    chats_updated: int = 0
    messages_created: int = 0
    messages_updated: int = 0
    replies_matched: int = 0
    skipped: int = 0
    # Our replies bound to their marketplace echoes.
    matched_message_ids: list[int] = field(default_factory=list)

    @property
    def chats_upserted(self) -> int:
        return self.chats_created + self.chats_updated

    def add(self, *, other: "SyncCounts") -> None:
        self.pages += other.pages
        self.requests += other.requests
        self.chats_created += other.chats_created
        self.chats_updated += other.chats_updated
        self.messages_created += other.messages_created
        self.messages_updated += other.messages_updated
        self.replies_matched += other.replies_matched
        self.skipped += other.skipped
        self.matched_message_ids.extend(other.matched_message_ids)
