"""Ozon push payloads (ozon-chat-push-subset-2026-10-derived.json; API_REFERENCE.md §2.5): pure functions."""

from collections.abc import Mapping
from typing import Any

from marketplaces.ozon.parse import BUYER_CHAT_TYPES, normalize_enum

PING = "TYPE_PING"
CHAT_EVENTS = frozenset({"TYPE_NEW_MESSAGE", "TYPE_UPDATE_MESSAGE", "TYPE_MESSAGE_READ", "TYPE_CHAT_CLOSED"})


def push_requests_sync(payload: Mapping[str, Any]) -> bool:
    """A chat event of a buyer chat (or one that does not say its chat type) asks for a sync."""
    chat_type = normalize_enum(payload.get("chat_type"))
    return payload.get("message_type") in CHAT_EVENTS and (not chat_type or chat_type in BUYER_CHAT_TYPES)
