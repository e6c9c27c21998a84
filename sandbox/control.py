"""The sandbox's own JSON control API under /_control (test equipment; no auth, bound to localhost)."""

from typing import TYPE_CHECKING, Any

from sandbox.activity import buyer_message_add, question_add
from sandbox.web import Request, Response, Router, json_response
from sandbox.world import (
    MARKETPLACES,
    OZON,
    WILDBERRIES,
    YANDEX_MARKET,
    Cabinet,
    Chat,
    Message,
    Question,
    attachment_summary,
    iso_utc,
)

if TYPE_CHECKING:
    from sandbox.server import SandboxServer


def message_state(message: Message) -> dict[str, Any]:
    return {
        "external_id": message.message_id,
        "author": message.author,
        "text": message.text,
        "created_at": iso_utc(message.created_ms),
        "created_ms": message.created_ms,
        "attachments": [attachment_summary(item) for item in message.attachments],
        "via_api": message.via_api,
        "is_read": message.is_read,
    }


def chat_state(chat: Chat) -> dict[str, Any]:
    return {
        "external_id": chat.chat_id,
        "kind": "chat",
        "buyer_name": chat.buyer_name,
        "buyer_id": chat.buyer_id,
        "order_number": chat.order_number,
        "sku": chat.product.sku,
        "product_title": chat.product.title,
        "status": chat.status,
        "chat_type": chat.chat_type,
        "context_type": chat.context_type,
        "created_at": iso_utc(chat.created_ms),
        "messages": [message_state(message) for message in chat.messages],
    }


def question_state(question: Question) -> dict[str, Any]:
    return {
        "external_id": question.question_id,
        "kind": "question",
        "text": question.text,
        "state": question.state,
        "answer": question.answer_text,
        "created_at": iso_utc(question.created_ms),
        "sku": question.product.sku,
        "was_viewed": question.was_viewed,
    }


def cabinet_summary(cabinet: Cabinet) -> dict[str, Any]:
    return {
        "marketplace": cabinet.marketplace,
        "name": cabinet.name,
        "external_id": cabinet.external_id,
        "credentials": cabinet.credentials,
        "premium": cabinet.premium,
        "token_type": cabinet.token_type if cabinet.marketplace == WILDBERRIES else None,
        "push_url": cabinet.push_url,
        "chats": len(cabinet.chats),
        "messages": sum(len(chat.messages) for chat in cabinet.chats.values()),
        "questions": len(cabinet.questions),
    }


class ControlApp:
    def __init__(self, server: "SandboxServer") -> None:
        self.server = server
        self.world = server.world
        self.router = Router()
        routes = (
            ("GET", "/health", self.health),
            ("GET", "/cabinets", self.cabinets),
            ("GET", "/state", self.state),
            ("GET", "/replies", self.replies),
            ("GET", "/faults", self.faults_read),
            ("POST", "/faults", self.faults_update),
            ("DELETE", "/faults", self.faults_reset),
            ("GET", "/limits", self.limits_read),
            ("POST", "/limits", self.limits_update),
            ("POST", "/limits/reset", self.limits_reset),
            ("POST", "/buyer-message", self.buyer_message),
            ("POST", "/question", self.question),
            ("POST", "/chat-status", self.chat_status),
            ("GET", "/buyers", self.buyers_read),
            ("POST", "/buyers", self.buyers_update),
            ("POST", "/push", self.push_configure),
            ("GET", "/pushes", self.pushes),
            ("GET", "/in-flight", self.in_flight),
        )
        for method, path, handler in routes:
            self.router.add(method, path, handler)

    def handle(self, request: Request) -> Response:
        route, params, known = self.router.match(request.method, request.path)
        if route is None:
            return json_response(405 if known else 404, {"error": "unknown control endpoint"})
        request.path_params = params
        try:
            return route.handler(request)
        except ValueError as error:
            return json_response(400, {"error": str(error)})

    # Helpers -----------------------------------------------------------------------------------

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise ValueError("the body must be a JSON object") from None
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    def _cabinet(self, marketplace: Any, reference: Any) -> Cabinet:
        if marketplace not in MARKETPLACES:
            raise ValueError(f"marketplace must be one of {', '.join(MARKETPLACES)}")
        cabinet = self.world.cabinet_find(
            marketplace=marketplace, reference=0 if reference is None else reference
        )
        if cabinet is None:
            raise ValueError(f"no {marketplace} cabinet {reference!r}")
        return cabinet

    # Reading -----------------------------------------------------------------------------------

    def health(self, request: Request) -> Response:
        return json_response(200, {"status": "ok", "urls": self.server.urls})

    def cabinets(self, request: Request) -> Response:
        with self.world.lock:
            return json_response(200, {"cabinets": [cabinet_summary(item) for item in self.world.cabinets]})

    def state(self, request: Request) -> Response:
        marketplace = request.query_value("marketplace")
        reference = request.query_value("cabinet")
        with self.world.lock:
            cabinets = self.world.cabinets
            if marketplace:
                cabinets = [item for item in cabinets if item.marketplace == marketplace]
            if reference is not None:
                cabinets = [item for item in cabinets if reference in (item.name, item.external_id)]
            payload = [
                {
                    **cabinet_summary(cabinet),
                    "chats": [chat_state(chat) for chat in cabinet.chats.values()],
                    "questions": [question_state(question) for question in cabinet.questions],
                    "replies": list(cabinet.replies),
                }
                for cabinet in cabinets
            ]
        return json_response(200, {"cabinets": payload})

    def replies(self, request: Request) -> Response:
        marketplace = request.query_value("marketplace")
        with self.world.lock:
            replies = [
                reply
                for cabinet in self.world.cabinets
                if not marketplace or cabinet.marketplace == marketplace
                for reply in cabinet.replies
            ]
        return json_response(200, {"replies": replies})

    # Faults and limits -------------------------------------------------------------------------

    def faults_read(self, request: Request) -> Response:
        return json_response(200, self.server.faults.describe())

    def faults_update(self, request: Request) -> Response:
        """{"ozon": {"error_share": 0.5}} or {"marketplace": "ozon", "error_share": 0.5}; "seed" resets."""
        body = self._body(request)
        if "seed" in body:
            self.server.faults.reset(int(body.pop("seed")))
        if "marketplace" in body:
            marketplace = body.pop("marketplace")
            targets = list(MARKETPLACES) if marketplace == "all" else [marketplace]
            for name in targets:
                self.server.faults.configure(name, body)
        else:
            for name, values in body.items():
                if not isinstance(values, dict):
                    raise ValueError(f"{name}: expected an object of fault settings")
                self.server.faults.configure(name, values)
        return json_response(200, self.server.faults.describe())

    def faults_reset(self, request: Request) -> Response:
        self.server.faults.reset()
        return json_response(200, self.server.faults.describe())

    def limits_read(self, request: Request) -> Response:
        return json_response(200, self.server.context.limits.describe())

    def limits_update(self, request: Request) -> Response:
        self.server.context.limits.update(self._body(request))
        return json_response(200, self.server.context.limits.describe())

    def limits_reset(self, request: Request) -> Response:
        self.server.context.buckets.reset()
        self.server.context.quotas.reset()
        return json_response(200, self.server.context.limits.describe())

    # World changes -----------------------------------------------------------------------------

    def buyer_message(self, request: Request) -> Response:
        """{"marketplace", "cabinet"?: index|name|id, "chat_id"?: omit for a new chat, "text"?,
        "attachment"?: "image"|"file"}"""
        body = self._body(request)
        cabinet = self._cabinet(body.get("marketplace"), body.get("cabinet"))
        attachment = body.get("attachment")
        if attachment not in (None, "image", "file"):
            raise ValueError("attachment must be 'image' or 'file'")
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise ValueError("text must be a string")
        chat = None
        if body.get("chat_id") is not None:
            chat = cabinet.chats.get(str(body["chat_id"]))
            if chat is None:
                raise ValueError(f"no chat {body['chat_id']!r} in {cabinet.name}")
        chat, message = buyer_message_add(self.world, cabinet, chat=chat, text=text, attachment=attachment)
        return json_response(
            201, {"cabinet": cabinet.name, "chat": chat_state(chat), "message": message_state(message)}
        )

    def question(self, request: Request) -> Response:
        body = self._body(request)
        cabinet = self._cabinet(WILDBERRIES, body.get("cabinet"))
        question = question_add(self.world, cabinet, text=body.get("text"))
        return json_response(201, question_state(question))

    def chat_status(self, request: Request) -> Response:
        """{"marketplace", "cabinet"?, "chat_id", "status"}: e.g. close an Ozon chat or finish a YM chat."""
        body = self._body(request)
        cabinet = self._cabinet(body.get("marketplace"), body.get("cabinet"))
        chat = cabinet.chats.get(str(body.get("chat_id")))
        if chat is None:
            raise ValueError("unknown chat_id")
        allowed = {
            OZON: ("OPENED", "CLOSED"),
            YANDEX_MARKET: (
                "NEW",
                "WAITING_FOR_CUSTOMER",
                "WAITING_FOR_PARTNER",
                "WAITING_FOR_ARBITER",
                "WAITING_FOR_MARKET",
                "FINISHED",
            ),
        }
        status = body.get("status")
        if status not in allowed.get(cabinet.marketplace, ()):
            raise ValueError(f"status must be one of {', '.join(allowed.get(cabinet.marketplace, ()))}")
        with self.world.lock:
            chat.status = status
        if status == "CLOSED":
            self.server.pushes.chat_closed(cabinet, chat)
        return json_response(200, chat_state(chat))

    def buyers_read(self, request: Request) -> Response:
        buyers = self.server.buyers
        return json_response(200, {"running": buyers.running, "interval_seconds": buyers.interval})

    def buyers_update(self, request: Request) -> Response:
        """{"interval_seconds": N} — 0 stops the simulated buyers."""
        interval = float(self._body(request).get("interval_seconds", 0))
        self.server.set_buyers_interval(interval)
        return self.buyers_read(request)

    def push_configure(self, request: Request) -> Response:
        """{"marketplace": "ozon"|"yandex_market", "cabinet"?, "url": "..." | null}; sends a PING."""
        body = self._body(request)
        cabinet = self._cabinet(body.get("marketplace"), body.get("cabinet"))
        url = body.get("url")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise ValueError("url must be an http(s) URL or null")
        self.server.pushes.configure(cabinet, url)
        return json_response(200, cabinet_summary(cabinet))

    def pushes(self, request: Request) -> Response:
        return json_response(200, {"pushes": list(self.server.pushes.log)})

    def in_flight(self, request: Request) -> Response:
        """Marketplace API requests being answered right now: method, path, client address, start."""
        return json_response(200, {"requests": self.server.in_flight_list()})
