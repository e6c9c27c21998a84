"""Fake Ozon Seller API chat methods (https://api-seller.ozon.ru).

Source of truth: specs/ozon-chat-push-subset-2026-10-derived.json (2026-10 chat methods, upper-case
enums, `v3ChatListResponse`, `v3ChatHistoryResponse`, `rpcStatus`, tag `Limits`).
"""

import base64
import binascii
from typing import Any

from sandbox.activity import seller_message_add
from sandbox.assets import sniff_content_type
from sandbox.base import MarketplaceApp
from sandbox.ozon_ratings import history_payload, parse_moment, summary_payload
from sandbox.web import Request, Response, Route, json_response
from sandbox.world import (
    AUTHOR_BUYER,
    AUTHOR_MARKETPLACE,
    AUTHOR_SELLER,
    AUTHOR_SUPPORT,
    OZON,
    Attachment,
    Cabinet,
    Chat,
    Message,
    iso_utc,
)

# gRPC status codes carried in rpcStatus.code.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
INTERNAL = 13

LIST_LIMIT_MAX = 100
HISTORY_LIMIT_MAX = 1000
TEXT_MAX_LENGTH = 1000
USER_TYPE_BY_AUTHOR = {
    AUTHOR_BUYER: "Customer",
    AUTHOR_SELLER: "Seller",
    AUTHOR_SUPPORT: "Support",
    AUTHOR_MARKETPLACE: "Crm",
}
PREMIUM_REQUIRED = (
    "Access denied: the chat methods are available only to sellers with the Premium Plus or Premium Pro "
    "subscription"
)

PREMIUM_MESSAGES = {
    "premium": PREMIUM_REQUIRED,
    "ratings": "Access denied: seller ratings through the API are available only with a Premium subscription",
}


def _message_id(value: Any) -> int | None:
    """uint64 ids arrive as JSON integers or strings; never go through float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _cursor_encode(chat: Chat) -> str:
    return base64.urlsafe_b64encode(f"{chat.created_ms}:{chat.chat_id}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[int, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    created, chat_id = raw.split(":", 1)
    return int(created), chat_id


class OzonApp(MarketplaceApp):
    marketplace = OZON

    def register_routes(self) -> None:
        # POST /v3/chat/list — v3ChatList → v3ChatListResponse (cursor, has_next; limit <= 100)
        self.router.add("POST", "/v3/chat/list", self.chat_list)
        # POST /v3/chat/history — v3ChatHistoryRequest → v3ChatHistoryResponse
        self.router.add("POST", "/v3/chat/history", self.chat_history)
        # POST /v1/chat/send/message — chatChatSendMessageRequest → chatChatSendMessageResponse
        self.router.add("POST", "/v1/chat/send/message", self.send_message, "premium")
        # POST /v1/chat/send/file — chatChatSendFileRequest (JSON, base64) → chatChatSendFileResponse
        self.router.add("POST", "/v1/chat/send/file", self.send_file, "premium")
        # POST /v2/chat/read — ChatRead → v2ChatReadResponse
        self.router.add("POST", "/v2/chat/read", self.chat_read, "premium")
        # ozon-seller-swagger-2025-08.json SellerRating: v1Empty → v1RatingSummaryV1Response
        self.router.add("POST", "/v1/rating/summary", self.rating_summary, "ratings")
        # v1RatingHistoryV1Request → v1RatingHistoryV1Response
        self.router.add("POST", "/v1/rating/history", self.rating_history, "ratings")

    # Errors ------------------------------------------------------------------------------------

    def failure(
        self, status: int, code: int, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        return json_response(status, {"code": code, "message": message, "details": []}, headers=headers)

    def not_found(self, request: Request, *, method_not_allowed: bool) -> Response:
        if method_not_allowed:
            return self.failure(405, 12, "Method Not Allowed")
        return self.failure(404, NOT_FOUND, "Not Found")

    def server_error(self, request: Request) -> Response:
        return self.failure(500, INTERNAL, "Internal error")

    def rate_limit_storm(self, request: Request) -> Response:
        return self._too_many()

    def _too_many(self) -> Response:
        return self.failure(
            429,
            RESOURCE_EXHAUSTED,
            "You have reached request rate limit per second",
            headers={"Retry-After": "1", "Ratelimit-Remaining": "0"},
        )

    # Auth and limits ---------------------------------------------------------------------------

    def dispatch(self, route: Route, request: Request) -> Response:
        client_id = (request.header("client-id") or "").strip()
        api_key = (request.header("api-key") or "").strip()
        if not client_id or not api_key:
            return self.failure(403, PERMISSION_DENIED, "Client-Id and Api-Key headers are required")
        cabinet = self.world.cabinet_find(marketplace=OZON, reference=client_id)
        if cabinet is None or cabinet.credentials["api_key"] != api_key:
            return self.failure(403, PERMISSION_DENIED, "Invalid Api-Key, please check the key and try again")
        per_second = max(1, self.context.limits.ozon_per_second)
        decision = self.context.buckets.take(
            f"{cabinet.key}:all", capacity=per_second, interval=1 / per_second
        )
        if not decision.allowed:
            return self._too_many()
        if route.operation in PREMIUM_MESSAGES and not cabinet.premium:
            response = self.failure(403, PERMISSION_DENIED, PREMIUM_MESSAGES[route.operation])
        else:
            request.cabinet = cabinet
            self.pause()
            try:
                body = request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                response = self.failure(
                    400, INVALID_ARGUMENT, "invalid request: the body must be a JSON object"
                )
            else:
                response = route.handler(request)
        response.headers["Ratelimit-Remaining"] = str(decision.remaining)
        return response

    def _chat(self, cabinet: Cabinet, body: dict[str, Any]) -> Chat | Response:
        chat_id = body.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return self.failure(400, INVALID_ARGUMENT, "invalid request: chat_id is required")
        chat = cabinet.chats.get(chat_id)
        if chat is None:
            return self.failure(404, NOT_FOUND, "chat not found")
        return chat

    # Rendering ---------------------------------------------------------------------------------

    def _unread(self, chat: Chat) -> list[Message]:
        return [item for item in chat.messages if item.author != AUTHOR_SELLER and not item.is_read]

    def _chat_info(self, chat: Chat) -> dict[str, Any]:
        unread = self._unread(chat)
        last = chat.last_message
        return {
            "chat": {
                "chat_id": chat.chat_id,
                "chat_status": chat.status,
                "chat_type": chat.chat_type,
                "created_at": iso_utc(chat.created_ms),
            },
            "first_unread_message_id": int(unread[0].message_id) if unread else 0,
            "last_message_id": int(last.message_id) if last else 0,
            "unread_count": len(unread),
        }

    def _message_json(self, cabinet: Cabinet, chat: Chat, message: Message) -> dict[str, Any]:
        data = [message.text] if message.text else []
        for attachment in message.attachments:
            url = self.context.file_url(attachment)
            data.append(
                f"![{attachment.name}]({url})" if attachment.is_image else f"[{attachment.name}]({url})"
            )
        user_id = {AUTHOR_BUYER: chat.buyer_id, AUTHOR_SELLER: cabinet.external_id}.get(message.author, "0")
        item: dict[str, Any] = {
            "message_id": int(message.message_id),
            "user": {"id": user_id, "type": USER_TYPE_BY_AUTHOR[message.author]},
            "created_at": iso_utc(message.created_ms),
            "is_read": message.is_read,
            "is_image": any(attachment.is_image for attachment in message.attachments),
            "data": data,
        }
        if item["is_image"]:
            item["moderate_image_status"] = "SUCCESS"
        if chat.chat_type != "SELLER_SUPPORT":
            item["context"] = {"order_number": chat.order_number, "sku": str(chat.product.sku)}
        return item

    # Handlers ----------------------------------------------------------------------------------

    def chat_list(self, request: Request) -> Response:
        cabinet: Cabinet = request.cabinet
        body = request.json()
        limit = body.get("limit", 30)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIST_LIMIT_MAX:
            return self.failure(
                400, INVALID_ARGUMENT, f"invalid request: limit must be in range [1, {LIST_LIMIT_MAX}]"
            )
        filters = body.get("filter") or {}
        if not isinstance(filters, dict):
            return self.failure(400, INVALID_ARGUMENT, "invalid request: filter must be an object")
        status = str(filters.get("chat_status") or "ALL").upper()
        if status not in ("ALL", "OPENED", "CLOSED"):
            return self.failure(400, INVALID_ARGUMENT, f"invalid request: unknown chat_status {status!r}")
        unread_only = bool(filters.get("unread_only"))
        cursor = body.get("cursor") or ""
        after: tuple[int, str] | None = None
        if cursor:
            try:
                after = _cursor_decode(str(cursor))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return self.failure(400, INVALID_ARGUMENT, "invalid request: malformed cursor")
        with self.world.lock:
            chats = [
                chat
                for chat in cabinet.chats.values()
                if (status == "ALL" or chat.status == status) and (not unread_only or self._unread(chat))
            ]
            chats.sort(key=lambda chat: (chat.created_ms, chat.chat_id), reverse=True)
            if after is not None:
                chats = [chat for chat in chats if (chat.created_ms, chat.chat_id) < after]
            page = chats[:limit]
            items = [self._chat_info(chat) for chat in page]
            total_unread = sum(len(self._unread(chat)) for chat in cabinet.chats.values())
        payload = {
            "chats": items,
            "total_unread_count": total_unread,
            "cursor": _cursor_encode(page[-1]) if page else str(cursor),
            "has_next": len(chats) > limit,
        }
        return json_response(200, payload)

    def chat_history(self, request: Request) -> Response:
        cabinet: Cabinet = request.cabinet
        body = request.json()
        chat = self._chat(cabinet, body)
        if isinstance(chat, Response):
            return chat
        direction = str(body.get("direction") or "Backward").capitalize()
        if direction not in ("Forward", "Backward"):
            return self.failure(
                400, INVALID_ARGUMENT, "invalid request: direction must be Forward or Backward"
            )
        limit = body.get("limit") or 50
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= HISTORY_LIMIT_MAX:
            return self.failure(
                400, INVALID_ARGUMENT, f"invalid request: limit must be in range [1, {HISTORY_LIMIT_MAX}]"
            )
        raw_from = body.get("from_message_id")
        from_id = _message_id(raw_from) if raw_from not in (None, "", 0, "0") else None
        if raw_from not in (None, "", 0, "0") and from_id is None:
            return self.failure(400, INVALID_ARGUMENT, "invalid request: from_message_id must be uint64")
        if direction == "Forward" and from_id is None:
            return self.failure(
                400,
                INVALID_ARGUMENT,
                "invalid request: from_message_id is required when direction is Forward",
            )
        wanted: set[int] | None = None
        filters = body.get("filter") or {}
        if isinstance(filters, dict) and filters.get("message_ids"):
            ids = [_message_id(item) for item in filters["message_ids"]]
            if None in ids:
                return self.failure(400, INVALID_ARGUMENT, "invalid request: message_ids must be uint64")
            wanted = set(ids)  # type: ignore[arg-type]
        with self.world.lock:
            messages = list(chat.messages)
            if wanted is not None:
                messages = [item for item in messages if int(item.message_id) in wanted]
            if direction == "Forward":
                assert from_id is not None
                selected = [item for item in messages if int(item.message_id) > from_id]
            else:
                selected = [
                    item for item in reversed(messages) if from_id is None or int(item.message_id) < from_id
                ]
            page = selected[:limit]
            items = [self._message_json(cabinet, chat, item) for item in page]
        if items and self.context.faults.duplicate(OZON):
            items.insert(1, dict(items[0]))
        return json_response(200, {"has_next": len(selected) > limit, "messages": items})

    def _sendable(self, cabinet: Cabinet, body: dict[str, Any]) -> Chat | Response:
        chat = self._chat(cabinet, body)
        if isinstance(chat, Response):
            return chat
        if chat.chat_type not in ("BUYER_SELLER", "BUYER_SELLER_SELECT"):
            return self.failure(400, INVALID_ARGUMENT, "sending is allowed only to chats with buyers")
        if chat.status == "CLOSED":
            return self.failure(409, FAILED_PRECONDITION, "chat is closed")
        return chat

    def send_message(self, request: Request) -> Response:
        cabinet: Cabinet = request.cabinet
        body = request.json()
        chat = self._sendable(cabinet, body)
        if isinstance(chat, Response):
            return chat
        text = body.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= TEXT_MAX_LENGTH or not text.strip():
            return self.failure(
                400, INVALID_ARGUMENT, f"invalid request: text length must be in range [1, {TEXT_MAX_LENGTH}]"
            )
        seller_message_add(self.world, cabinet, chat, text=text)
        return json_response(200, {"result": "success"})

    def send_file(self, request: Request) -> Response:
        cabinet: Cabinet = request.cabinet
        body = request.json()
        chat = self._sendable(cabinet, body)
        if isinstance(chat, Response):
            return chat
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            return self.failure(400, INVALID_ARGUMENT, "invalid request: name is required")
        try:
            content = base64.b64decode(str(body.get("base64_content") or ""), validate=True)
        except (binascii.Error, ValueError):
            return self.failure(400, INVALID_ARGUMENT, "invalid request: base64_content is not valid base64")
        if not content:
            return self.failure(400, INVALID_ARGUMENT, "invalid request: base64_content is required")
        content_type = sniff_content_type(content) or "application/octet-stream"
        attachment = Attachment(self.world.random_uuid(), name, content_type, content)
        seller_message_add(self.world, cabinet, chat, text="", attachments=[attachment])
        return json_response(200, {"result": "success"})

    def chat_read(self, request: Request) -> Response:
        cabinet: Cabinet = request.cabinet
        body = request.json()
        chat = self._chat(cabinet, body)
        if isinstance(chat, Response):
            return chat
        raw_from = body.get("from_message_id")
        up_to = _message_id(raw_from) if raw_from not in (None, "", 0, "0") else None
        if raw_from not in (None, "", 0, "0") and up_to is None:
            return self.failure(400, INVALID_ARGUMENT, "invalid request: from_message_id must be uint64")
        with self.world.lock:
            for message in chat.messages:
                if message.author != AUTHOR_SELLER and (up_to is None or int(message.message_id) <= up_to):
                    message.is_read = True
            remaining = len(self._unread(chat))
        return json_response(200, {"unread_count": remaining})

    def rating_summary(self, request: Request) -> Response:
        with self.world.lock:
            payload = summary_payload(request.cabinet, now_ms=self.world.now_ms())
        return json_response(200, payload)

    def rating_history(self, request: Request) -> Response:
        body = request.json()
        start_ms, end_ms = parse_moment(body.get("date_from")), parse_moment(body.get("date_to"))
        if start_ms is None or end_ms is None or start_ms > end_ms:
            return self.failure(
                400,
                INVALID_ARGUMENT,
                "invalid request: date_from and date_to are required, date_from <= date_to",
            )
        codes = body.get("ratings")
        if not isinstance(codes, list) or not codes or not all(isinstance(code, str) for code in codes):
            return self.failure(400, INVALID_ARGUMENT, "invalid request: ratings is required")
        with self.world.lock:
            payload = history_payload(request.cabinet, codes=codes, start_ms=start_ms, end_ms=end_ms)
        return json_response(200, payload)
