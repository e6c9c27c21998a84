"""The sandbox's truth: cabinets, chats, messages and questions of all three marketplaces.

Every mutation goes through `World` under one lock; the HTTP apps only read and render it.
"""

import bisect
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

WILDBERRIES = "wildberries"
OZON = "ozon"
YANDEX_MARKET = "yandex_market"
MARKETPLACES = (WILDBERRIES, OZON, YANDEX_MARKET)

AUTHOR_BUYER = "buyer"
AUTHOR_SELLER = "seller"
AUTHOR_MARKETPLACE = "marketplace"
AUTHOR_SUPPORT = "support"

# Ozon message ids are uint64 well above 2**53; ids grow with time so history ordering by id is natural.
OZON_MESSAGE_ID_BASE = 3_000_000_000_000_000_000
MODERATION_READY = "ready"
MODERATION_PENDING = "pending"
MODERATION_REJECTED = "rejected"


def iso_utc(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso_utc_seconds(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_moscow(milliseconds: int) -> str:
    """Yandex Market dates: ISO 8601 with the +03:00 offset, as in the official examples."""
    moment = datetime.fromtimestamp(milliseconds / 1000 + 3 * 3600, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "+03:00"


@dataclass(slots=True)
class Attachment:
    attachment_id: str
    name: str
    content_type: str
    content: bytes
    moderation: str = MODERATION_READY
    owner: str = ""

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass(slots=True)
class Product:
    sku: int
    title: str
    brand: str
    article: str
    price: int
    size: str


@dataclass(slots=True)
class Message:
    message_id: str
    chat_id: str
    author: str
    text: str
    created_ms: int
    attachments: list[Attachment] = field(default_factory=list)
    source: str = ""
    via_api: bool = False
    is_read: bool = False
    opens_chat: bool = False


@dataclass(slots=True)
class Chat:
    chat_id: str
    buyer_name: str
    buyer_id: str
    created_ms: int
    order_number: str
    product: Product
    status: str
    chat_type: str = ""
    context_type: str = ""
    reply_sign: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)

    @property
    def last_message(self) -> Message | None:
        return self.messages[-1] if self.messages else None

    def last_buyer_message_ms(self) -> int | None:
        for message in reversed(self.messages):
            if message.author == AUTHOR_BUYER:
                return message.created_ms
        return None


@dataclass(slots=True)
class Question:
    question_id: str
    text: str
    created_ms: int
    product: Product
    state: str = "suppliersPortalSynch"
    answer_text: str | None = None
    answer_ms: int | None = None
    answer_edits: int = 0
    was_viewed: bool = False
    is_warned: bool = False


@dataclass
class Cabinet:
    marketplace: str
    name: str
    credentials: dict[str, str]
    external_id: str
    seller_name: str
    premium: bool = True
    token_type: int = 3
    chats: dict[str, Chat] = field(default_factory=dict)
    events: list[Message] = field(default_factory=list)
    event_times: list[int] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    push_url: str | None = None
    last_time_ms: int = 0

    @property
    def key(self) -> str:
        return f"{self.marketplace}:{self.external_id}"


class World:
    def __init__(self, *, seed: int, clock: Callable[[], float] = time.time) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        self._clock = clock
        self.started_ms = int(clock() * 1000)
        # Runtime ids differ between runs (start time in the seed) so a restarted sandbox never reuses
        # an id a product stored during a previous run.
        self.runtime_random = random.Random(f"{seed}:{self.started_ms}")
        self.cabinets: list[Cabinet] = []
        self.attachments: dict[str, Attachment] = {}
        self.listeners: list[Callable[[str, Cabinet, Chat, Message | None], None]] = []
        self._last_numeric_id = 0

    # Time and ids ------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def next_time_ms(self, cabinet: Cabinet) -> int:
        # Strictly increasing per cabinet, so WB's `addTimestamp > next` paging never loses an event.
        moment = max(self.now_ms(), cabinet.last_time_ms + 1)
        cabinet.last_time_ms = moment
        return moment

    def random_uuid(self, rng: random.Random | None = None) -> str:
        value = f"{(rng or self.runtime_random).getrandbits(128):032x}"
        return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:32]}"

    def numeric_message_id(self, marketplace: str, created_ms: int) -> str:
        base = OZON_MESSAGE_ID_BASE if marketplace == OZON else 0
        candidate = base + created_ms * 1000
        candidate = max(candidate, self._last_numeric_id + 1) if base else candidate
        if base:
            self._last_numeric_id = candidate
        return str(candidate)

    def new_message_id(self, cabinet: Cabinet, created_ms: int) -> str:
        if cabinet.marketplace == WILDBERRIES:
            return self.random_uuid()
        if cabinet.marketplace == OZON:
            return self.numeric_message_id(OZON, created_ms)
        # YM message ids are int64; created_ms*1000 leaves room for the per-cabinet uniqueness bump.
        return str(created_ms * 1000)

    # Look-ups ----------------------------------------------------------------------------------

    def cabinets_of(self, marketplace: str) -> list[Cabinet]:
        return [cabinet for cabinet in self.cabinets if cabinet.marketplace == marketplace]

    def cabinet_find(self, *, marketplace: str, reference: Any = 0) -> Cabinet | None:
        """A cabinet by position (0 = first of that marketplace), name or external id."""
        candidates = self.cabinets_of(marketplace)
        if isinstance(reference, int) and not isinstance(reference, bool):
            return candidates[reference] if 0 <= reference < len(candidates) else None
        for cabinet in candidates:
            if str(reference) in (cabinet.name, cabinet.external_id):
                return cabinet
        return None

    def register_attachment(self, attachment: Attachment, owner: Cabinet) -> Attachment:
        attachment.owner = owner.key
        self.attachments[attachment.attachment_id] = attachment
        return attachment

    # Mutations ---------------------------------------------------------------------------------

    def add_message(self, cabinet: Cabinet, chat: Chat, message: Message) -> Message:
        """Append a message (seeded or live) and keep the WB event feed ordered."""
        with self.lock:
            chat.messages.append(message)
            if cabinet.marketplace == WILDBERRIES:
                position = bisect.bisect_right(cabinet.event_times, message.created_ms)
                cabinet.event_times.insert(position, message.created_ms)
                cabinet.events.insert(position, message)
            for attachment in message.attachments:
                self.register_attachment(attachment, cabinet)
        return message

    def record_reply(self, cabinet: Cabinet, chat_id: str, message: Message, *, kind: str = "chat") -> None:
        cabinet.replies.append(
            {
                "marketplace": cabinet.marketplace,
                "cabinet": cabinet.name,
                "kind": kind,
                "chat_id": chat_id,
                "message_id": message.message_id,
                "text": message.text,
                "attachments": [attachment_summary(item) for item in message.attachments],
                "received_at": iso_utc(message.created_ms),
            }
        )

    def notify(self, event: str, cabinet: Cabinet, chat: Chat, message: Message | None) -> None:
        for listener in list(self.listeners):
            listener(event, cabinet, chat, message)


def attachment_summary(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.attachment_id,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": len(attachment.content),
        "moderation": attachment.moderation,
    }
