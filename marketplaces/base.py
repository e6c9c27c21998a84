"""The protocol every marketplace connector implements."""

from datetime import datetime
from typing import Protocol

from marketplaces.types import (
    AccountInfo,
    Capabilities,
    ChatRef,
    Cursor,
    Download,
    PositionLookup,
    RemoteChat,
    RemoteMessage,
    SendReceipt,
    UpdatesPage,
)


class Connector(Protocol):
    marketplace: str
    capabilities: Capabilities

    def check_credentials(self) -> AccountInfo:
        """Verify credentials with a cheap call; raise AuthError / CapabilityError with a clear message."""
        ...

    def fetch_updates(self, *, cursor: Cursor, positions: PositionLookup) -> UpdatesPage:
        """One page of changes since `cursor` (empty dict on first run). Loop while `has_more`."""
        ...

    def fetch_history(self, *, cursor: Cursor, since: datetime | None = None) -> UpdatesPage:
        """One page of a full-history walk for backfill, oldest data allowed from `since`."""
        ...

    def fetch_chat(self, *, chat_external_id: str) -> RemoteChat | None:
        """Fresh metadata for one chat (e.g. a renewed WB replySign); None when the marketplace has none."""
        ...

    def send_text(self, *, chat: ChatRef, text: str) -> SendReceipt:
        """Send a reply. Raises DeliveryUnknownError when the request left but no answer came back."""
        ...

    def send_file(
        self, *, chat: ChatRef, name: str, content: bytes, content_type: str, text: str = ""
    ) -> SendReceipt:
        """Send one file; `text` goes in the same request where the API allows it (WB), else it is refused."""
        ...

    def mark_read(self, *, chat: ChatRef, up_to_message_external_id: str) -> None:
        """Mark messages read on the marketplace where the API can; a no-op elsewhere."""
        ...

    def chat_recent_messages(self, *, chat: ChatRef) -> list[RemoteMessage]:
        """The newest messages of one chat as the marketplace holds them now (to settle an `unknown` reply).

        WB questions: the question and its answer; WB chats: the events feed of the last 30 minutes; Ozon:
        the chat's newest history page; Yandex Market (history read oldest first): from
        `chat.last_message_external_id` when set, to the end. Raises TransientError / RateLimitedError when
        the marketplace cannot be asked now or the answer would prove nothing (the reply then stays
        `unknown`).
        """
        ...

    def download_attachment(self, *, remote_id: str, url: str) -> Download:
        """Fetch an attachment with the account's credentials (never expose them to the browser)."""
        ...
