"""Fake Yandex Market Partner API chat methods (https://api.partner.market.yandex.ru).

Source of truth: specs/ym-partner-api-openapi-bundled-2026-07.yaml — paths
/v2/businesses/{businessId}/chats, /chat, /chats/history, /chats/message (GET, POST), /chats/file/send,
/chats/new; schemas GetChatsResponse, GetChatResponse, GetChatHistoryResponse, GetChatMessageResponse,
EmptyApiResponse, CreateChatResponse, ApiErrorResponse; per-operation `x-resource-limit-config`.
"""

import base64
import binascii
from email.utils import formatdate
from typing import Any

from sandbox.activity import chat_open, seller_message_add
from sandbox.assets import sniff_content_type
from sandbox.base import MarketplaceApp
from sandbox.web import Request, Response, Route, json_response
from sandbox.world import (
    AUTHOR_BUYER,
    AUTHOR_MARKETPLACE,
    AUTHOR_SELLER,
    AUTHOR_SUPPORT,
    YANDEX_MARKET,
    Attachment,
    Cabinet,
    Chat,
    Message,
    iso_moscow,
)

BUSINESS_PREFIX = "/v2/businesses/{businessId}"
CHATS_LIMIT_MAX = 20
HISTORY_LIMIT_MAX = 100
MESSAGE_MAX_LENGTH = 4096
FILE_MAX_BYTES = 5 * 1024 * 1024
SENDER_BY_AUTHOR = {
    AUTHOR_BUYER: "CUSTOMER",
    AUTHOR_SELLER: "PARTNER",
    AUTHOR_MARKETPLACE: "MARKET",
    AUTHOR_SUPPORT: "SUPPORT",
}
CHAT_STATUSES = (
    "NEW",
    "WAITING_FOR_CUSTOMER",
    "WAITING_FOR_PARTNER",
    "WAITING_FOR_ARBITER",
    "WAITING_FOR_MARKET",
    "FINISHED",
)
FILTER_ENUMS = {
    "statuses": CHAT_STATUSES,
    "types": ("CHAT", "ARBITRAGE"),
    "contextTypes": ("ORDER", "RETURN", "DIRECT"),
}


class YandexMarketApp(MarketplaceApp):
    marketplace = YANDEX_MARKET

    def register_routes(self) -> None:
        # POST …/chats (getChats) — query page_token, limit 1–20; body GetChatsRequest
        self.router.add("POST", f"{BUSINESS_PREFIX}/chats", self.chats, "getChats")
        # GET …/chat?chatId= (getChat)
        self.router.add("GET", f"{BUSINESS_PREFIX}/chat", self.chat, "getChat")
        # POST …/chats/history?chatId=&page_token=&limit= (getChatHistory); body {"messageIdFrom"}
        self.router.add("POST", f"{BUSINESS_PREFIX}/chats/history", self.history, "getChatHistory")
        # GET …/chats/message?chatId=&messageId= (getChatMessage)
        self.router.add("GET", f"{BUSINESS_PREFIX}/chats/message", self.message, "getChatMessage")
        # POST …/chats/message?chatId= (sendMessageToChat); body {"message"} 1–4096
        self.router.add("POST", f"{BUSINESS_PREFIX}/chats/message", self.send_message, "sendMessageToChat")
        # POST …/chats/file/send?chatId= (sendFileToChat); multipart `file` <= 5 MB
        self.router.add("POST", f"{BUSINESS_PREFIX}/chats/file/send", self.send_file, "sendFileToChat")
        # POST …/chats/new (createChat); body {"context": {"type", "id"}}
        self.router.add("POST", f"{BUSINESS_PREFIX}/chats/new", self.create_chat, "createChat")

    # Errors ------------------------------------------------------------------------------------

    def failure(self, status: int, code: str, message: str) -> Response:
        return json_response(status, {"status": "ERROR", "errors": [{"code": code, "message": message}]})

    def not_found(self, request: Request, *, method_not_allowed: bool) -> Response:
        if method_not_allowed:
            return self.failure(405, "METHOD_NOT_ALLOWED", "Request method is not supported")
        return self.failure(404, "NOT_FOUND", "Resource not found")

    def server_error(self, request: Request) -> Response:
        return self.failure(500, "INTERNAL_ERROR", "Internal server error")

    def rate_limit_storm(self, request: Request) -> Response:
        return self.failure(420, "LIMIT_EXCEEDED", "Hit rate limit of requests for resource (sandbox storm)")

    # Auth and limits ---------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Cabinet | Response:
        api_key = (request.header("api-key") or "").strip()
        if not api_key:
            return self.failure(401, "UNAUTHORIZED", "Credentials are not specified")
        if api_key.lower().startswith("bearer"):
            return self.failure(401, "UNAUTHORIZED", "Api-Key token prefix invalid")
        cabinet = next(
            (
                item
                for item in self.world.cabinets_of(YANDEX_MARKET)
                if item.credentials["api_key"] == api_key
            ),
            None,
        )
        if cabinet is None:
            return self.failure(401, "UNAUTHORIZED", "Api-Key token is invalid")
        business_id = request.path_params["businessId"]
        if not business_id.isdigit() or int(business_id) < 1:
            return self.failure(400, "BAD_REQUEST", "businessId must be a positive integer")
        if business_id != cabinet.external_id:
            return self.failure(403, "FORBIDDEN", f"Access denied to business {business_id}")
        return cabinet

    def dispatch(self, route: Route, request: Request) -> Response:
        limits = self.context.limits
        hourly = limits.yandex_market_hourly[route.operation]
        quota_key = f"{request.path_params['businessId']}:{route.operation}"
        outcome = self._authenticate(request)
        if isinstance(outcome, Response):
            return self._with_quota_headers(outcome, self.context.quotas.peek(quota_key, hourly))
        cabinet = outcome
        gate_key = f"business:{cabinet.external_id}"
        if not self.context.gate.enter(gate_key, limits.yandex_market_parallel):
            response = self.failure(
                420,
                "LIMIT_EXCEEDED",
                f"Hit rate limit of {limits.yandex_market_parallel} parallel requests for businessId "
                f"{cabinet.external_id}",
            )
            return self._with_quota_headers(response, self.context.quotas.peek(quota_key, hourly))
        try:
            quota = self.context.quotas.take(quota_key, hourly)
            if not quota.allowed:
                response = self.failure(
                    420,
                    "LIMIT_EXCEEDED",
                    f"Hit rate limit of {hourly} points per 1 hour for resource {route.operation}",
                )
                return self._with_quota_headers(response, quota)
            request.cabinet = cabinet
            self.pause()
            return self._with_quota_headers(route.handler(request), quota)
        finally:
            self.context.gate.leave(gate_key)

    def _with_quota_headers(self, response: Response, quota: Any) -> Response:
        response.headers["X-RateLimit-Resource-Limit"] = str(quota.limit)
        response.headers["X-RateLimit-Resource-Remaining"] = str(quota.remaining)
        response.headers["X-RateLimit-Resource-Until"] = formatdate(quota.until_epoch, usegmt=True)
        return response

    # Parameters --------------------------------------------------------------------------------

    def _int_query(
        self,
        request: Request,
        name: str,
        *,
        default: int | None = None,
        low: int = 1,
        high: int | None = None,
    ) -> int | Response:
        raw = request.query_value(name)
        if raw is None or raw == "":
            if default is None:
                return self.failure(400, "BAD_REQUEST", f"Parameter {name} is required")
            return default
        if not raw.lstrip("-").isdigit() or int(raw) < low or (high is not None and int(raw) > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            return self.failure(400, "BAD_REQUEST", f"Parameter {name} must be an integer {bounds}")
        return int(raw)

    def _chat_of(self, request: Request) -> Chat | Response:
        chat_id = self._int_query(request, "chatId")
        if isinstance(chat_id, Response):
            return chat_id
        chat = request.cabinet.chats.get(str(chat_id))
        if chat is None:
            return self.failure(404, "NOT_FOUND", f"Chat {chat_id} not found")
        return chat

    def _json_body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = request.json()
        except ValueError:
            return self.failure(400, "BAD_REQUEST", "Request body must be a JSON object")
        if not isinstance(body, dict):
            return self.failure(400, "BAD_REQUEST", "Request body must be a JSON object")
        return body

    # Rendering ---------------------------------------------------------------------------------

    def _context_json(self, chat: Chat) -> dict[str, Any]:
        context: dict[str, Any] = {
            "type": chat.context_type,
            "customer": {"name": chat.buyer_name, "publicId": chat.buyer_id},
        }
        if chat.context_type in ("ORDER", "RETURN"):
            context["campaignId"] = chat.extras["campaign_id"]
            context["orderId"] = int(chat.order_number)
        if chat.context_type == "RETURN":
            context["returnId"] = chat.extras["return_id"]
        return context

    def _chat_json(self, chat: Chat) -> dict[str, Any]:
        last = chat.last_message
        item: dict[str, Any] = {
            "chatId": int(chat.chat_id),
            "context": self._context_json(chat),
            "type": chat.chat_type,
            "status": chat.status,
            "createdAt": iso_moscow(chat.created_ms),
            "updatedAt": iso_moscow(last.created_ms if last else chat.created_ms),
        }
        if chat.context_type in ("ORDER", "RETURN"):
            item["orderId"] = int(chat.order_number)
        return item

    def _message_json(self, message: Message) -> dict[str, Any]:
        item: dict[str, Any] = {
            "messageId": int(message.message_id),
            "createdAt": iso_moscow(message.created_ms),
            "sender": SENDER_BY_AUTHOR[message.author],
        }
        if message.text:
            item["message"] = message.text
        if message.attachments:
            item["payload"] = [
                {"name": item.name, "url": self.context.file_url(item), "size": len(item.content)}
                for item in message.attachments
            ]
        return item

    # Handlers ----------------------------------------------------------------------------------

    def chats(self, request: Request) -> Response:
        cabinet: Cabinet = request.cabinet
        limit = self._int_query(request, "limit", default=10, high=CHATS_LIMIT_MAX)
        if isinstance(limit, Response):
            return limit
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        filters: dict[str, set[Any]] = {}
        for name in ("statuses", "types", "contextTypes", "orderIds", "contexts"):
            values = body.get(name)
            if values is None:
                continue
            if not isinstance(values, list) or not values:
                return self.failure(400, "BAD_REQUEST", f"{name} must be a non-empty array")
            keys = [repr(sorted(item.items())) if isinstance(item, dict) else item for item in values]
            if len(set(map(str, keys))) != len(keys):
                return self.failure(400, "BAD_REQUEST", f"{name} must contain unique items")
            allowed = FILTER_ENUMS.get(name)
            if allowed and any(item not in allowed for item in values):
                return self.failure(400, "BAD_REQUEST", f"{name} contains an unknown value")
            if name == "contexts":
                try:
                    filters[name] = {(str(item["type"]), str(int(item["id"]))) for item in values}
                except (KeyError, TypeError, ValueError):
                    return self.failure(400, "BAD_REQUEST", "contexts items need type and id")
            elif name == "orderIds":
                filters[name] = {str(item) for item in values}
            else:
                filters[name] = set(values)
        after = None
        token = request.query_value("page_token", "pageToken")
        if token:
            try:
                raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
                created, chat_id = raw.split(":", 1)
                after = (int(created), int(chat_id))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return self.failure(400, "BAD_REQUEST", "Invalid page_token")
        with self.world.lock:
            chats = [chat for chat in cabinet.chats.values() if self._matches(chat, filters)]
            chats.sort(key=lambda chat: (chat.created_ms, int(chat.chat_id)), reverse=True)
            if after is not None:
                chats = [chat for chat in chats if (chat.created_ms, int(chat.chat_id)) < after]
            page = chats[:limit]
            result: dict[str, Any] = {"chats": [self._chat_json(chat) for chat in page], "paging": {}}
        if len(chats) > limit:
            last = page[-1]
            result["paging"]["nextPageToken"] = (
                base64.urlsafe_b64encode(f"{last.created_ms}:{last.chat_id}".encode()).decode().rstrip("=")
            )
        return json_response(200, {"status": "OK", "result": result})

    def _matches(self, chat: Chat, filters: dict[str, set[Any]]) -> bool:
        if "statuses" in filters and chat.status not in filters["statuses"]:
            return False
        if "types" in filters and chat.chat_type not in filters["types"]:
            return False
        if "contextTypes" in filters and chat.context_type not in filters["contextTypes"]:
            return False
        if "orderIds" in filters and (
            chat.context_type == "DIRECT" or chat.order_number not in filters["orderIds"]
        ):
            return False
        if "contexts" in filters:
            context_id = (
                chat.order_number if chat.context_type == "ORDER" else str(chat.extras.get("return_id"))
            )
            if (chat.context_type, context_id) not in filters["contexts"]:
                return False
        return True

    def chat(self, request: Request) -> Response:
        chat = self._chat_of(request)
        if isinstance(chat, Response):
            return chat
        with self.world.lock:
            return json_response(200, {"status": "OK", "result": self._chat_json(chat)})

    def history(self, request: Request) -> Response:
        chat = self._chat_of(request)
        if isinstance(chat, Response):
            return chat
        limit = self._int_query(request, "limit", default=50, high=HISTORY_LIMIT_MAX)
        if isinstance(limit, Response):
            return limit
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        message_from = body.get("messageIdFrom")
        if message_from is not None and (
            isinstance(message_from, bool) or not isinstance(message_from, int) or message_from < 1
        ):
            return self.failure(400, "BAD_REQUEST", "messageIdFrom must be a positive integer")
        after = message_from or 0
        token = request.query_value("page_token", "pageToken")
        if token:
            try:
                after = max(after, int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return self.failure(400, "BAD_REQUEST", "Invalid page_token")
        with self.world.lock:
            selected = [item for item in chat.messages if int(item.message_id) > after]
            page = selected[:limit]
            messages = [self._message_json(item) for item in page]
            result: dict[str, Any] = {"context": self._context_json(chat), "messages": messages, "paging": {}}
            if chat.context_type in ("ORDER", "RETURN"):
                result["orderId"] = int(chat.order_number)
        if len(selected) > limit:
            result["paging"]["nextPageToken"] = base64.urlsafe_b64encode(
                page[-1].message_id.encode()
            ).decode()
        if messages and self.context.faults.duplicate(YANDEX_MARKET):
            messages.insert(1, dict(messages[0]))
        return json_response(200, {"status": "OK", "result": result})

    def message(self, request: Request) -> Response:
        chat = self._chat_of(request)
        if isinstance(chat, Response):
            return chat
        message_id = self._int_query(request, "messageId")
        if isinstance(message_id, Response):
            return message_id
        with self.world.lock:
            found = next((item for item in chat.messages if item.message_id == str(message_id)), None)
            if found is None:
                return self.failure(404, "NOT_FOUND", f"Message {message_id} not found")
            return json_response(200, {"status": "OK", "result": self._message_json(found)})

    def send_message(self, request: Request) -> Response:
        chat = self._chat_of(request)
        if isinstance(chat, Response):
            return chat
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        text = body.get("message")
        if not isinstance(text, str) or not 1 <= len(text) <= MESSAGE_MAX_LENGTH:
            return self.failure(
                400, "BAD_REQUEST", f"message length must be between 1 and {MESSAGE_MAX_LENGTH}"
            )
        if chat.status == "FINISHED":
            return self.failure(400, "BAD_REQUEST", "Chat is finished")
        seller_message_add(self.world, request.cabinet, chat, text=text)
        return json_response(200, {"status": "OK"})

    def send_file(self, request: Request) -> Response:
        chat = self._chat_of(request)
        if isinstance(chat, Response):
            return chat
        try:
            _, files = request.multipart()
        except ValueError:
            return self.failure(400, "BAD_REQUEST", "Request must be multipart/form-data with a file part")
        upload = next((item for item in files if item.field_name == "file"), None)
        if upload is None or not upload.content:
            return self.failure(400, "BAD_REQUEST", "Part file is required")
        if len(upload.content) > FILE_MAX_BYTES:
            return self.failure(400, "BAD_REQUEST", "File is too large: maximum size is 5 MB")
        if chat.status == "FINISHED":
            return self.failure(400, "BAD_REQUEST", "Chat is finished")
        content_type = sniff_content_type(upload.content) or upload.content_type
        attachment = Attachment(self.world.random_uuid(), upload.file_name, content_type, upload.content)
        seller_message_add(self.world, request.cabinet, chat, text="", attachments=[attachment])
        return json_response(200, {"status": "OK"})

    def create_chat(self, request: Request) -> Response:
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        context = body.get("context")
        if isinstance(context, dict):
            context_type, context_id = context.get("type"), context.get("id")
        elif "orderId" in body:
            context_type, context_id = "ORDER", body.get("orderId")
        else:
            return self.failure(400, "BAD_REQUEST", "context is required")
        if (
            context_type not in ("ORDER", "RETURN")
            or isinstance(context_id, bool)
            or not isinstance(context_id, int)
            or context_id < 1
        ):
            return self.failure(
                400, "BAD_REQUEST", "context.type must be ORDER or RETURN and context.id positive"
            )
        cabinet: Cabinet = request.cabinet
        with self.world.lock:
            for chat in cabinet.chats.values():
                existing_id = (
                    chat.order_number if context_type == "ORDER" else str(chat.extras.get("return_id"))
                )
                if chat.context_type == context_type and existing_id == str(context_id):
                    return json_response(200, {"status": "OK", "result": {"chatId": int(chat.chat_id)}})
            chat = chat_open(self.world, cabinet, context_type=context_type, order_id=context_id)
        return json_response(200, {"status": "OK", "result": {"chatId": int(chat.chat_id)}})
