"""Fake Wildberries APIs: what both hosts share, and the buyer chat (buyer-chat-api host).

The questions API (feedbacks-api host) is in sandbox/wildberries_questions.py.

Source of truth: specs/wb-09-communications-2026-07.yaml (paths, schemas, error examples) and
specs/wb-api-information-en-2026-08.json (token fields, token-bucket headers).
"""

import bisect
import time
from datetime import UTC, datetime
from typing import Any

from sandbox import tokens
from sandbox.activity import seller_message_add
from sandbox.assets import sniff_content_type
from sandbox.base import MarketplaceApp
from sandbox.web import (
    JSON_CONTENT_TYPE,
    PROBLEM_CONTENT_TYPE,
    Request,
    Response,
    Route,
    json_response,
)
from sandbox.world import (
    AUTHOR_BUYER,
    AUTHOR_MARKETPLACE,
    AUTHOR_SELLER,
    MODERATION_PENDING,
    MODERATION_REJECTED,
    WILDBERRIES,
    Attachment,
    Cabinet,
    Chat,
    Message,
    iso_utc,
    iso_utc_seconds,
)

GATEWAY_ORIGIN = "s2s-api-auth-catalog"
CHAT_ORIGIN = "proxy-chats"
MESSAGE_MAX_LENGTH = 1000
FILE_MAX_BYTES = 5 * 1024 * 1024
FILES_TOTAL_MAX_BYTES = 30 * 1024 * 1024
ALLOWED_FILE_TYPES = ("image/jpeg", "image/png", "application/pdf")
SENDER_BY_AUTHOR = {AUTHOR_BUYER: "client", AUTHOR_SELLER: "seller", AUTHOR_MARKETPLACE: "wb"}
BASE_TOKEN_BUDGETS = {"chat": (1, 3600.0), "download": (1, 360.0), "questions": (1, 720.0)}


def _status_text(status: int) -> str:
    return {401: "Unauthorized", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "")


class WildberriesApp(MarketplaceApp):
    """Auth and limits shared by both WB hosts."""

    marketplace = WILDBERRIES
    scope = tokens.SCOPE_BUYERS_CHAT

    # Errors ------------------------------------------------------------------------------------

    def gateway_problem(
        self, request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None = None
    ) -> Response:
        """401/429 come from WB's auth gateway in problem+json (components/responses/401, 429)."""
        body = {
            "title": title,
            "detail": detail,
            "code": f"07e4668e-{request.request_id[:12]}-[UK-sandbox]",
            "requestId": request.request_id,
            "origin": GATEWAY_ORIGIN,
            "status": status,
            "statusText": _status_text(status),
            "timestamp": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return json_response(status, body, content_type=PROBLEM_CONTENT_TYPE, headers=headers)

    def chat_problem(
        self, request: Request, status: int, detail: str, *, title: str = "Bad Request", problem: bool = False
    ) -> Response:
        """Chat-service errors (origin proxy-chats): events 400 is application/json, message 400 is
        application/problem+json."""
        body = {
            "status": status,
            "title": title,
            "origin": CHAT_ORIGIN,
            "detail": detail,
            "requestId": request.request_id,
            "error": detail,
        }
        return json_response(
            status, body, content_type=PROBLEM_CONTENT_TYPE if problem else JSON_CONTENT_TYPE
        )

    def not_found(self, request: Request, *, method_not_allowed: bool) -> Response:
        status = 405 if method_not_allowed else 404
        title = "Method Not Allowed" if method_not_allowed else "Not Found"
        return self.chat_problem(request, status, title.lower(), title=title)

    def server_error(self, request: Request) -> Response:
        return self.gateway_problem(request, 500, "internal server error", "sandbox fault: upstream failed")

    def rate_limit_storm(self, request: Request) -> Response:
        return self._too_many(request, retry=2, reset=10, limit=self.context.limits.wildberries_chat_burst)

    def _too_many(self, request: Request, *, retry: int, reset: int, limit: int) -> Response:
        headers = {
            "X-Ratelimit-Retry": str(retry),
            "X-Ratelimit-Reset": str(reset),
            "X-Ratelimit-Limit": str(limit),
        }
        return self.gateway_problem(
            request, 429, "too many requests", f"limited by {request.request_id}", headers=headers
        )

    # Auth and limits ---------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Cabinet | Response:
        raw = (request.header("authorization") or "").strip()
        if not raw:
            return self.gateway_problem(request, 401, "unauthorized", "empty Authorization header")
        token = raw[7:].strip() if raw.lower().startswith("bearer ") else raw
        try:
            claims = tokens.token_decode(token)
        except tokens.MalformedTokenError as error:
            return self.gateway_problem(
                request, 401, "unauthorized", f"token problem; token is malformed: {error}"
            )
        cabinet = next(
            (item for item in self.world.cabinets_of(WILDBERRIES) if item.credentials["token"] == token), None
        )
        if cabinet is None:
            return self.gateway_problem(
                request, 401, "unauthorized", "token problem; token signature is invalid"
            )
        if claims.expires_at and claims.expires_at < time.time():
            return self.gateway_problem(request, 401, "unauthorized", "token problem; token is expired")
        if not tokens.has_scope(claims.scopes, self.scope):
            return self.gateway_problem(
                request, 401, "unauthorized", "token scope not allowed for this API route"
            )
        return cabinet

    def limit_group(self, route: Route) -> str:
        return "chat"

    def dispatch(self, route: Route, request: Request) -> Response:
        outcome = self.authenticate(request)
        if isinstance(outcome, Response):
            return outcome
        cabinet = outcome
        group = self.limit_group(route)
        if cabinet.token_type == tokens.TOKEN_TYPE_BASE:
            capacity, interval = BASE_TOKEN_BUDGETS[group]
        elif group == "questions":
            capacity = self.context.limits.wildberries_questions_burst
            interval = self.context.limits.wildberries_questions_interval
        else:
            capacity = self.context.limits.wildberries_chat_burst
            interval = self.context.limits.wildberries_chat_interval
        decision = self.context.buckets.take(f"{cabinet.key}:{group}", capacity=capacity, interval=interval)
        if not decision.allowed:
            return self._too_many(
                request, retry=decision.retry_after, reset=decision.reset_after, limit=decision.limit
            )
        request.cabinet = cabinet
        self.pause()
        response = route.handler(request)
        response.headers["X-Ratelimit-Remaining"] = str(decision.remaining)
        return response

    def cabinet_of(self, request: Request) -> Cabinet:
        return request.cabinet

    def ping(self, request: Request) -> Response:
        # specs/wb-01-general-2026-07.yaml GET /ping
        moment = datetime.now(tz=UTC).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
        return json_response(200, {"TS": moment[:-2] + ":" + moment[-2:], "Status": "OK"})


def _listing(chat: Chat) -> dict[str, Any]:
    product = chat.product
    return {
        "nmID": product.sku,
        "price": product.price,
        "priceCurrency": "RUB",
        "rid": chat.order_number,
        "size": product.size,
    }


class WildberriesChatApp(WildberriesApp):
    """https://buyer-chat-api.wildberries.ru — tag "Чат с покупателями"."""

    def register_routes(self) -> None:
        self.router.add("GET", "/ping", self.ping)
        # GET /api/v1/seller/chats — ChatsResponse
        self.router.add("GET", "/api/v1/seller/chats", self.chats)
        # GET /api/v1/seller/events — EventsResponse; `next` is Unix ms
        self.router.add("GET", "/api/v1/seller/events", self.events)
        # POST /api/v1/seller/message — multipart replySign/message/file[]; MessageResponse
        self.router.add("POST", "/api/v1/seller/message", self.message)
        # GET /api/v1/seller/download/{id} — 200 binary, 202 moderation pending, 451 rejected
        self.router.add("GET", "/api/v1/seller/download/{id}", self.download, "download")

    def limit_group(self, route: Route) -> str:
        return "download" if route.operation == "download" else "chat"

    def chats(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        with self.world.lock:
            chats = sorted(
                cabinet.chats.values(),
                key=lambda chat: chat.messages[-1].created_ms if chat.messages else 0,
                reverse=True,
            )
            result = [self._chat_json(chat) for chat in chats]
        return json_response(200, {"result": result, "errors": None})

    def _chat_json(self, chat: Chat) -> dict[str, Any]:
        item: dict[str, Any] = {
            "chatID": chat.chat_id,
            "replySign": chat.reply_sign,
            "clientName": chat.buyer_name,
            "goodCard": _listing(chat),
        }
        last = chat.last_message
        if last is not None:
            item["lastMessage"] = {"text": last.text, "addTimestamp": last.created_ms}
        return item

    def events(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        raw_next = request.query_value("next")
        after = 0
        if raw_next is not None:
            try:
                after = int(raw_next)
            except ValueError:
                return self.chat_problem(request, 400, "Invalid number")
            if after <= 0:
                return self.chat_problem(request, 400, 'Invalid value for "next"')
        with self.world.lock:
            start = bisect.bisect_right(cabinet.event_times, after)
            page = cabinet.events[start : start + max(1, self.context.events_page_size)]
            chats = cabinet.chats
            events = [self._event_json(message, chats[message.chat_id]) for message in page]
            empty_next = after or cabinet.last_time_ms
        if events and self.context.faults.duplicate(WILDBERRIES):
            position = len(events) // 2
            events.insert(position + 1, dict(events[position]))
        result: dict[str, Any] = {
            "next": page[-1].created_ms if page else empty_next,
            "totalEvents": len(events),
        }
        if page:
            result["newestEventTime"] = iso_utc_seconds(page[-1].created_ms)
            result["oldestEventTime"] = iso_utc_seconds(page[0].created_ms)
        result["events"] = events
        return json_response(200, {"result": result, "errors": None})

    def _event_json(self, message: Message, chat: Chat) -> dict[str, Any]:
        event: dict[str, Any] = {
            "chatID": chat.chat_id,
            "eventID": message.message_id,
            "eventType": "message",
        }
        if message.opens_chat:
            event["isNewChat"] = True
        body: dict[str, Any] = {}
        attachments: dict[str, Any] = {}
        if message.opens_chat:
            attachments["goodCard"] = _listing(chat)
        files = [item for item in message.attachments if not item.is_image]
        images = [item for item in message.attachments if item.is_image]
        if files:
            attachments["files"] = [
                {
                    "contentType": item.content_type,
                    "date": iso_utc(message.created_ms),
                    "downloadID": item.attachment_id,
                    "name": item.name,
                    "url": self.context.file_url(item),
                    "size": len(item.content),
                }
                for item in files
            ]
        if images:
            attachments["images"] = [
                {
                    "date": iso_utc(message.created_ms),
                    "downloadID": item.attachment_id,
                    "url": self.context.file_url(item),
                }
                for item in images
            ]
        if attachments:
            body["attachments"] = attachments
        if message.text:
            body["text"] = message.text
        if body:
            event["message"] = body
        if message.source:
            event["source"] = message.source
        event["addTimestamp"] = message.created_ms
        event["addTime"] = iso_utc_seconds(message.created_ms)
        if message.opens_chat:
            event["replySign"] = chat.reply_sign
        event["sender"] = SENDER_BY_AUTHOR.get(message.author, "wb")
        if message.author == AUTHOR_BUYER:
            event["clientName"] = chat.buyer_name
        return event

    def message(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        claims = tokens.token_decode(cabinet.credentials["token"])
        if tokens.has_scope(claims.scopes, tokens.SCOPE_READ_ONLY):
            return self.gateway_problem(request, 401, "unauthorized", "read-only token scope not allowed")
        try:
            fields, files = request.multipart()
        except ValueError:
            return self.chat_problem(
                request, 400, "request Content-Type isn't multipart/form-data", problem=True
            )
        sign = fields.get("replySign", "")
        with self.world.lock:
            chat = (
                next((item for item in cabinet.chats.values() if item.reply_sign == sign), None)
                if sign
                else None
            )
        if chat is None:
            return self.chat_problem(request, 400, "Invalid signature", problem=True)
        text = fields.get("message", "")
        if len(text) > MESSAGE_MAX_LENGTH or (not text.strip() and not files):
            return self.chat_problem(request, 400, 'Invalid value for "message"', problem=True)
        attachments: list[Attachment] = []
        total = 0
        for upload in files:
            code = f"{abs(hash(upload.file_name)) % 16**11:011X}"
            actual_type = sniff_content_type(upload.content)
            if upload.field_name != "file" or actual_type not in ALLOWED_FILE_TYPES:
                detail = f'{code}: "{upload.file_name}" has unsupported mime type'
                return self.chat_problem(request, 400, detail, problem=True)
            total += len(upload.content)
            if len(upload.content) > FILE_MAX_BYTES or total > FILES_TOTAL_MAX_BYTES:
                return self.chat_problem(
                    request, 400, f"{code}: attachment too big. Max size: 5MiB", problem=True
                )
            attachments.append(
                Attachment(self.world.random_uuid(), upload.file_name, actual_type or "", upload.content)
            )
        sent = seller_message_add(self.world, cabinet, chat, text=text, attachments=attachments)
        result = {"addTime": sent.created_ms, "chatID": chat.chat_id, "sign": chat.reply_sign}
        return json_response(200, {"result": result, "errors": []})

    def download(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        attachment = self.world.attachments.get(request.path_params["id"])
        if attachment is None or attachment.owner != cabinet.key:
            return self.chat_problem(request, 400, "invalid fileID", title="invalid fileID")
        if attachment.moderation == MODERATION_PENDING:
            return json_response(202, {"moderationState": "pending", "retrySeconds": 30})
        if attachment.moderation == MODERATION_REJECTED:
            body = {
                "status": 451,
                "title": "Unavailable for Legal Reasons",
                "origin": CHAT_ORIGIN,
                "detail": "moderation error",
                "requestId": request.request_id,
            }
            return json_response(451, body, content_type=PROBLEM_CONTENT_TYPE)
        return Response(200, attachment.content, attachment.content_type)
