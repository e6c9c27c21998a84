"""Frozen values that cross the boundary between connectors and the rest of the product."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

Cursor = dict[str, Any]
"""Opaque, JSON-serialisable connector state; stored as is and handed back on the next call."""


class Author(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    MARKETPLACE = "marketplace"
    SUPPORT = "support"


class ChatKind(StrEnum):
    CHAT = "chat"
    QUESTION = "question"


class AttachmentKind(StrEnum):
    IMAGE = "image"
    FILE = "file"
    LINK = "link"
    # A product card the buyer shared (WB goodCard): name = title, remote_id = SKU, url = the card page.
    PRODUCT = "product"


class ModerationState(StrEnum):
    NONE = ""
    PENDING = "pending"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RemoteAttachment:
    kind: AttachmentKind
    name: str = ""
    content_type: str = ""
    size: int | None = None
    remote_id: str = ""
    url: str = ""
    moderation: ModerationState = ModerationState.NONE
    # Product cards: the price as the marketplace states it, with its currency ("500 RUB").
    price: str = ""


@dataclass(frozen=True)
class RemoteProduct:
    sku: str
    title: str = ""
    url: str = ""


@dataclass(frozen=True)
class RemoteMessage:
    chat_external_id: str
    external_id: str
    author: Author
    text: str
    created_at: datetime
    attachments: tuple[RemoteAttachment, ...] = ()
    is_read: bool | None = None
    source: str = ""

    @property
    def direction(self) -> str:
        return "out" if self.author == Author.SELLER else "in"


class RecentMessages(list):
    """What `chat_recent_messages` answers. `complete_since`: the connector read everything the chat
    received from then on (WB reads the whole events feed of a stretch of time), so a reply written
    after it and not among the messages is proven absent even when no older message is among them."""

    def __init__(
        self, messages: Iterable[RemoteMessage] = (), *, complete_since: datetime | None = None
    ) -> None:
        super().__init__(messages)
        self.complete_since = complete_since


@dataclass(frozen=True)
class RemoteChat:
    external_id: str
    kind: ChatKind = ChatKind.CHAT
    buyer_name: str = ""
    order_number: str = ""
    product: RemoteProduct | None = None
    marketplace_status: str = ""
    created_at: datetime | None = None
    last_message_at: datetime | None = None
    last_message_external_id: str = ""
    unread_count: int | None = None
    reply_deadline: datetime | None = None
    # Connector-private data kept on the chat, e.g. WB replySign, YM order/return context.
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedItem:
    """A malformed item the connector could not parse: recorded, never allowed to block the account."""

    reason: str
    reference: str = ""


@dataclass(frozen=True)
class UpdatesPage:
    """One page of changes. Chats carry metadata; messages may belong to chats not in `chats`."""

    chats: tuple[RemoteChat, ...] = ()
    messages: tuple[RemoteMessage, ...] = ()
    cursor: Cursor = field(default_factory=dict)
    has_more: bool = False
    skipped: tuple[SkippedItem, ...] = ()
    requests_made: int = 0


@dataclass(frozen=True)
class ChatPosition:
    """What we already hold of one chat, so a connector fetches history only for chats that moved."""

    last_message_external_id: str = ""
    last_message_at: datetime | None = None


PositionLookup = Callable[[list[str]], Mapping[str, ChatPosition]]
"""Given chat external ids, return our stored positions for those we know (unknown ids are absent)."""


@dataclass(frozen=True)
class ChatRef:
    """What a connector needs to address one of our chats when sending."""

    external_id: str
    kind: ChatKind = ChatKind.CHAT
    extras: Mapping[str, Any] = field(default_factory=dict)
    # The newest message we hold of this chat, when known: lets chat_recent_messages read only what came
    # after it where the API reads history oldest first (Yandex Market's messageIdFrom).
    last_message_external_id: str = ""


@dataclass(frozen=True)
class SendReceipt:
    """The marketplace accepted a message. Most APIs return no message id; the echo is matched on sync."""

    sent_at: datetime | None = None
    external_id: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    name: str = ""


@dataclass(frozen=True)
class Capabilities:
    max_text_length: int
    can_send_files: bool = False
    can_mark_read: bool = False
    file_content_types: tuple[str, ...] = ()
    max_file_bytes: int = 0


@dataclass(frozen=True)
class AccountInfo:
    """Result of a successful credentials check."""

    external_id: str
    # Human-readable (Russian) notes for the admin, e.g. "Base token: 1 request per hour".
    notes: tuple[str, ...] = ()
    token_kind: str = ""
