"""Yandex Market push payloads (ym-push-sendNotification-doc-2025-09.md, API_REFERENCE.md §3.5)."""

from collections.abc import Mapping
from typing import Any

CHAT_EVENTS = frozenset(
    {"CHAT_CREATED", "CHAT_MESSAGE_SENT", "CHAT_ARBITRAGE_STARTED", "CHAT_ARBITRAGE_FINISHED"}
)


def push_requests_sync(payload: Mapping[str, Any]) -> bool:
    return payload.get("notificationType") in CHAT_EVENTS
