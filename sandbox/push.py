"""Push senders: Ozon push notifications and Yandex Market API notifications to the product's URLs.

Payloads and required answers: Ozon tags `push_start`, `push_types`, `service_response` in
specs/ozon-chat-push-subset-2026-10-derived.json; Yandex Market specs/ym-push-sendNotification-doc-2025-09.md.
"""

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from datetime import UTC, datetime
from typing import Any

from sandbox.activity import EVENT_BUYER_MESSAGE, EVENT_CHAT_CREATED
from sandbox.world import OZON, YANDEX_MARKET, Cabinet, Chat, Message, World, iso_utc

logger = logging.getLogger("sandbox.push")

OZON_USER_TYPES = {"buyer": "Customer", "support": "Support"}
# YM gives 1 s to answer PING and 10 s to answer other notifications (2026 docs); Ozon suspends slow URLs.
TIMEOUT_PING = 1.0
TIMEOUT_OTHER = 10.0


def _now_iso() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def answer_problem(marketplace: str, kind: str, status: int, body: bytes) -> str | None:
    """Why an answer to a push breaks the marketplace's rules, or None when it is right."""
    if status != 200:
        return f"HTTP {status}, expected 200"
    try:
        answer = json.loads(body)
    except ValueError:
        return "answer is not JSON"
    if not isinstance(answer, dict):
        return "answer is not a JSON object"
    wants_identity = marketplace == YANDEX_MARKET or kind == "TYPE_PING"
    if wants_identity:
        for name in ("version", "name"):
            value = answer.get(name)
            if not isinstance(value, str) or not 1 <= len(value) <= 100:
                return f"{name!r} must be a string of 1–100 characters"
        if not _is_datetime(answer.get("time")):
            return "'time' must be an ISO 8601 date-time"
        return None
    if answer.get("result") is not True:
        return 'answer must be {"result": true}'
    return None


def ozon_payload(
    kind: str, cabinet: Cabinet, chat: Chat | None = None, message: Message | None = None
) -> dict:
    if kind == "TYPE_PING":
        return {"message_type": kind, "time": _now_iso()}
    assert chat is not None
    # Push payloads still use the mixed-case chat types (Buyer_Seller), unlike /v3/chat/list.
    payload: dict[str, Any] = {"message_type": kind, "chat_id": chat.chat_id, "chat_type": "Buyer_Seller"}
    if message is not None:
        payload.update(
            {
                "message_id": message.message_id,
                "created_at": iso_utc(message.created_ms),
                "user": {"id": chat.buyer_id, "type": OZON_USER_TYPES.get(message.author, "Customer")},
                "data": [message.text] if message.text else [],
            }
        )
    else:
        payload["user"] = {"id": chat.buyer_id, "type": "Customer"}
    payload["seller_id"] = cabinet.external_id
    return payload


def yandex_market_payload(
    kind: str, cabinet: Cabinet, chat: Chat | None = None, message: Message | None = None
) -> dict:
    if kind == "PING":
        return {"notificationType": kind, "time": _now_iso()}
    assert chat is not None
    payload: dict[str, Any] = {
        "notificationType": kind,
        "businessId": int(cabinet.external_id),
        "chatId": int(chat.chat_id),
    }
    if kind == "CHAT_CREATED":
        payload["createdAt"] = iso_utc(chat.created_ms)
    elif message is not None:
        payload["messageId"] = message.message_id
        payload["sentAt"] = iso_utc(message.created_ms)
    return payload


class PushSender:
    def __init__(self, world: World) -> None:
        self.world = world
        self.log: deque[dict[str, Any]] = deque(maxlen=1000)
        self._queue: queue.Queue[tuple[Cabinet, str, dict] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        world.listeners.append(self.on_world_event)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sandbox-push", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=TIMEOUT_OTHER + 1)
            self._thread = None

    def configure(self, cabinet: Cabinet, url: str | None) -> None:
        """Point a cabinet's pushes at `url` (None switches them off) and check it with a PING."""
        if cabinet.marketplace not in (OZON, YANDEX_MARKET):
            raise ValueError("only Ozon and Yandex Market send pushes")
        cabinet.push_url = url or None
        if cabinet.push_url:
            ping = (
                ozon_payload("TYPE_PING", cabinet)
                if cabinet.marketplace == OZON
                else yandex_market_payload("PING", cabinet)
            )
            self._queue.put((cabinet, cabinet.push_url, ping))

    def on_world_event(self, event: str, cabinet: Cabinet, chat: Chat, message: Message | None) -> None:
        if not cabinet.push_url:
            return
        if cabinet.marketplace == OZON and event == EVENT_BUYER_MESSAGE:
            self._queue.put(
                (cabinet, cabinet.push_url, ozon_payload("TYPE_NEW_MESSAGE", cabinet, chat, message))
            )
        elif cabinet.marketplace == YANDEX_MARKET and event == EVENT_CHAT_CREATED:
            self._queue.put((cabinet, cabinet.push_url, yandex_market_payload("CHAT_CREATED", cabinet, chat)))
        elif cabinet.marketplace == YANDEX_MARKET and event == EVENT_BUYER_MESSAGE:
            payload = yandex_market_payload("CHAT_MESSAGE_SENT", cabinet, chat, message)
            self._queue.put((cabinet, cabinet.push_url, payload))

    def chat_closed(self, cabinet: Cabinet, chat: Chat) -> None:
        if cabinet.push_url and cabinet.marketplace == OZON:
            self._queue.put((cabinet, cabinet.push_url, ozon_payload("TYPE_CHAT_CLOSED", cabinet, chat)))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Tests: block until every queued push has been sent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self.deliver(*item)
            except Exception:  # one bad push must not stop the sender
                logger.exception("Push delivery crashed")
            finally:
                self._queue.task_done()

    def deliver(self, cabinet: Cabinet, url: str, payload: dict) -> dict[str, Any]:
        kind = payload.get("message_type") or payload.get("notificationType") or ""
        timeout = TIMEOUT_PING if kind in ("PING", "TYPE_PING") else TIMEOUT_OTHER
        request = urllib.request.Request(  # noqa: S310 - the URL is a local product endpoint set by the operator
            url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        status, body, problem = 0, b"", None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except (OSError, ValueError) as error:
            problem = f"request failed: {error}"
        if problem is None:
            problem = answer_problem(cabinet.marketplace, kind, status, body)
        entry = {
            "marketplace": cabinet.marketplace,
            "cabinet": cabinet.name,
            "url": url,
            "type": kind,
            "payload": payload,
            "status": status,
            "ok": problem is None,
            "problem": problem,
            "sent_at": _now_iso(),
        }
        self.log.append(entry)
        if problem:
            logger.warning("%s push %s to %s answered wrongly: %s", cabinet.marketplace, kind, url, problem)
        return entry
