"""A fake of the Telegram Bot API (the methods Chat Center uses) and a "phone" to play the user.

Shapes and errors follow https://core.telegram.org/bots/api: every answer is {"ok": true, "result": …}
or {"ok": false, "error_code", "description"[, "parameters": {"retry_after"}]}; 401 for a wrong token,
403 "Forbidden: bot was blocked by the user", 409 for getUpdates while a webhook is set, 429 with
retry_after when a chat gets more than about one message a second or the bot more than 30 a second.
"""

import contextlib
import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.web import Request, Response, json_response

BOT_ID = 7000000001
BOT_USERNAME = "chatcenter_sandbox_bot"
PHONE_CHAT_ID = 5550001
PHONE_PAGE = Path(__file__).with_name("phone.html")


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float = 0.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is free."""
        if self.at == 0.0:
            self.tokens, self.at = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass
class FakeTelegram:
    token: str
    clock: Any = time.time
    updates: list[dict[str, Any]] = field(default_factory=list)
    # Everything shown in each chat, bot and user messages alike, in order.
    chats: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    # Test switch: the next N bot calls answer 429 with this retry_after.
    forced_rate_limits: int = 0
    forced_retry_after: int = 3
    # Test switch: method -> the errors its next calls answer with, each (error_code, description,
    # retry_after or None), whatever the request.
    forced_errors: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    # (chat id, message id, clock) of each message the bot sent; how many 429s the limits produced.
    sent_log: list[tuple[int, int, float]] = field(default_factory=list)
    rate_limited_answers: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._next_update_id = 100
        self._next_message_id = 1
        self._global = _Bucket(capacity=30, per_second=30)
        self._per_chat: dict[int, _Bucket] = {}

    # Bot API ------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_phone/"):
            return self._phone(request)
        if request.path in ("/phone", "/phone/"):
            return Response(200, PHONE_PAGE.read_bytes(), "text/html; charset=utf-8")
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return self._error(404, "Not Found")
        if parts[0][3:] != self.token:
            return self._error(401, "Unauthorized")
        method = parts[1]
        try:
            body = request.json() if request.body.strip() else {}
        except ValueError:
            return self._error(400, "Bad Request: can't parse JSON")
        self.calls.append(method)
        forced = self.forced_errors.get(method)
        if forced:
            return self._error(*forced.pop(0))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        return handler(body)

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` answer this error (as the Bot API phrases it)."""
        self.forced_errors.setdefault(method, []).extend([(error_code, description, retry_after)] * times)

    def _ok(self, result: Any) -> Response:
        return json_response(200, {"ok": True, "result": result})

    def _error(self, code: int, description: str, retry_after: int | None = None) -> Response:
        payload: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            payload["parameters"] = {"retry_after": retry_after}
        return json_response(code, payload)

    def _limited(self, chat_id: int) -> Response | None:
        if self.forced_rate_limits > 0:
            self.forced_rate_limits -= 1
            return self._error(
                429, f"Too Many Requests: retry after {self.forced_retry_after}", self.forced_retry_after
            )
        now = self.clock()
        bucket = self._per_chat.setdefault(chat_id, _Bucket(capacity=3, per_second=1))
        wait = max(self._global.take(now), bucket.take(now))
        if wait > 0:
            self.rate_limited_answers += 1
            seconds = max(1, int(wait + 0.999))
            return self._error(429, f"Too Many Requests: retry after {seconds}", seconds)
        return None

    def _api_getMe(self, body: dict[str, Any]) -> Response:
        return self._ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Chat Center",
                "username": BOT_USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    def _api_getUpdates(self, body: dict[str, Any]) -> Response:
        if self.webhook_url:
            return self._error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        offset = int(body.get("offset") or 0)
        timeout = min(float(body.get("timeout") or 0), 50.0)
        deadline = self.clock() + timeout
        with self._lock:
            # Asking from `offset` confirms every earlier update: Telegram forgets them.
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
            while not self.updates and self.clock() < deadline:
                self._lock.wait(timeout=min(0.5, max(deadline - self.clock(), 0.01)))
            return self._ok(list(self.updates[:100]))

    def _api_sendMessage(self, body: dict[str, Any]) -> Response:
        chat_id = body.get("chat_id")
        text = body.get("text")
        if not isinstance(chat_id, int) or not isinstance(text, str) or not text:
            return self._error(
                400, "Bad Request: message text is empty" if chat_id else "Bad Request: chat not found"
            )
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        limited = self._limited(chat_id)
        if limited is not None:
            return limited
        markup = body.get("reply_markup")
        problem = _markup_problem(markup)
        if problem:
            return self._error(400, problem)
        with self._lock:
            message = {
                "message_id": self._next_message_id,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Chat Center", "username": BOT_USERNAME},
                "chat": {"id": chat_id, "type": "private"},
                "date": int(self.clock()),
                "text": text,
            }
            if markup:
                message["reply_markup"] = markup
            reply = (body.get("reply_parameters") or {}).get("message_id")
            if reply:
                message["reply_to_message"] = {"message_id": reply}
            self._next_message_id += 1
            self.chats.setdefault(chat_id, []).append(message)
            self.sent_log.append((chat_id, message["message_id"], self.clock()))
        return self._ok(message)

    def _api_editMessageText(self, body: dict[str, Any]) -> Response:
        chat_id, message_id, text = body.get("chat_id"), body.get("message_id"), body.get("text")
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        limited = self._limited(chat_id) if isinstance(chat_id, int) else None
        if limited is not None:
            return limited
        with self._lock:
            for message in self.chats.get(chat_id, []):
                if message["message_id"] == message_id and message["from"].get("is_bot"):
                    if message["text"] == text and message.get("reply_markup") == body.get("reply_markup"):
                        return self._error(
                            400,
                            "Bad Request: message is not modified: specified new message content and "
                            "reply markup are exactly the same as a current content and reply markup of the "
                            "message",
                        )
                    message["text"] = text
                    message["edit_date"] = int(self.clock())
                    if body.get("reply_markup"):
                        message["reply_markup"] = body["reply_markup"]
                    return self._ok(message)
        return self._error(400, "Bad Request: message to edit not found")

    def _api_answerCallbackQuery(self, body: dict[str, Any]) -> Response:
        if not body.get("callback_query_id"):
            return self._error(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self.callback_answers.append(body)
        return self._ok(True)

    def _api_setWebhook(self, body: dict[str, Any]) -> Response:
        url = str(body.get("url") or "")
        if url and not url.startswith(("https://", "http://")):
            return self._error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        self.webhook_secret = str(body.get("secret_token") or "")
        return self._ok(True)

    def _api_deleteWebhook(self, body: dict[str, Any]) -> Response:
        self.webhook_url = ""
        self.webhook_secret = ""
        return self._ok(True)

    def _api_getWebhookInfo(self, body: dict[str, Any]) -> Response:
        return self._ok(
            {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self.updates),
            }
        )

    # The phone: what a Telegram user does -----------------------------------------------------------

    def user_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": self._next_update_id, **payload}
            self._next_update_id += 1
            if not self.webhook_url:
                self.updates.append(update)
                self._lock.notify_all()
        if self.webhook_url:
            threading.Thread(target=self._push, args=(update,), daemon=True).start()
        return update

    def _push(self, update: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - the webhook URL the product registered
            self.webhook_url,
            data=json.dumps(update).encode(),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": self.webhook_secret,
            },
            method="POST",
        )
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def user_says(
        self, *, chat_id: int, text: str, reply_to: int | None = None, first_name: str = "Демо"
    ) -> dict[str, Any]:
        with self._lock:
            message: dict[str, Any] = {
                "message_id": self._next_message_id,
                "from": {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "ru"},
                "chat": {"id": chat_id, "type": "private", "first_name": first_name},
                "date": int(self.clock()),
                "text": text,
            }
            self._next_message_id += 1
            if reply_to:
                original = next(
                    (item for item in self.chats.get(chat_id, []) if item["message_id"] == reply_to), None
                )
                message["reply_to_message"] = original or {"message_id": reply_to}
            self.chats.setdefault(chat_id, []).append(message)
        return self.user_update({"message": message})

    def user_deletes(self, *, chat_id: int, message_id: int) -> None:
        """The user deletes a message in their chat with the bot: the bot can no longer edit it."""
        with self._lock:
            kept = [item for item in self.chats.get(chat_id, []) if item["message_id"] != message_id]
            self.chats[chat_id] = kept

    def user_presses(self, *, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        original = next(
            (item for item in self.chats.get(chat_id, []) if item["message_id"] == message_id), None
        )
        query = {
            "id": f"{chat_id}-{message_id}-{int(self.clock() * 1000)}",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Демо"},
            "message": original or {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}},
            "chat_instance": str(chat_id),
            "data": data,
        }
        return self.user_update({"callback_query": query})

    def _phone(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) != 3 or not parts[1].lstrip("-").isdigit():
            return json_response(404, {"error": "use /_phone/<chat id>/(messages|send|press|block)"})
        chat_id, action = int(parts[1]), parts[2]
        if action == "messages" and request.method == "GET":
            answers = [answer for answer in self.callback_answers]
            return json_response(
                200,
                {
                    "messages": self.chats.get(chat_id, []),
                    "blocked": chat_id in self.blocked,
                    "callback_answers": answers[-5:],
                    "bot_username": BOT_USERNAME,
                },
            )
        try:
            body = request.json() if request.body.strip() else {}
        except ValueError:
            return json_response(400, {"error": "JSON body expected"})
        if action == "send" and request.method == "POST":
            update = self.user_says(
                chat_id=chat_id, text=str(body.get("text") or ""), reply_to=body.get("reply_to_message_id")
            )
            return json_response(200, update)
        if action == "press" and request.method == "POST":
            return json_response(
                200,
                self.user_presses(
                    chat_id=chat_id,
                    message_id=int(body.get("message_id") or 0),
                    data=str(body.get("data") or ""),
                ),
            )
        if action == "block" and request.method == "POST":
            (self.blocked.add if body.get("blocked", True) else self.blocked.discard)(chat_id)
            return json_response(200, {"blocked": chat_id in self.blocked})
        return json_response(404, {"error": "unknown phone action"})


def _markup_problem(markup: Any) -> str:
    if markup is None:
        return ""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        return "Bad Request: can't parse reply keyboard markup JSON object"
    for row in rows:
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict) or not button.get("text"):
                return (
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode()) <= 64):
                return "Bad Request: BUTTON_DATA_INVALID"
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                return "Bad Request: inline keyboard button URL is invalid: Wrong HTTP URL"
    return ""
