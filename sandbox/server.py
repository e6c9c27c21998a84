"""One threaded HTTP server for all fake marketplaces, each under its own base-URL prefix."""

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from sandbox.activity import SimulatedBuyers
from sandbox.base import MarketplaceApp, SandboxContext
from sandbox.control import ControlApp
from sandbox.faults import FaultBoard
from sandbox.generator import WorldOptions, world_create
from sandbox.llm import FakeLlm
from sandbox.ozon import OzonApp
from sandbox.push import PushSender
from sandbox.telegram import BOT_ID, FakeTelegram
from sandbox.web import JSON_CONTENT_TYPE, Request, Response, json_response, parse_query
from sandbox.wildberries import WildberriesChatApp
from sandbox.wildberries_questions import WildberriesFeedbacksApp
from sandbox.world import MODERATION_READY, OZON, WILDBERRIES, YANDEX_MARKET, World
from sandbox.yandex_market import YandexMarketApp

logger = logging.getLogger("sandbox")

MAX_BODY_BYTES = 40 * 1024 * 1024
# Base-URL prefix → (environment variable the product reads, marketplace).
PREFIXES = {
    "/wildberries-chat": ("WILDBERRIES_CHAT_API_URL", WILDBERRIES),
    "/wildberries-feedbacks": ("WILDBERRIES_FEEDBACKS_API_URL", WILDBERRIES),
    "/ozon": ("OZON_API_URL", OZON),
    "/yandex-market": ("YANDEX_MARKET_API_URL", YANDEX_MARKET),
}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: "SandboxServer"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each response waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: _HTTPServer
    server_version = "MarketplaceSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        # Request bodies and headers are never logged; request lines only with --log-requests.
        return

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._write(json_response(411, {"error": "chunked request bodies are not supported"}))
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._write(json_response(413, {"error": "request body too large"}))
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            query=parse_query(parts.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            client=(str(self.client_address[0]), int(self.client_address[1])),
        )
        response = self.server.sandbox.respond(request)
        if response is None:
            self.close_connection = True
            return
        self._write(response)
        self.server.sandbox.log_request(request, response.status, time.monotonic() - started)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class SandboxServer:
    """The fake marketplaces in a background thread.

    >>> with SandboxServer(options=WorldOptions(seed=7)) as sandbox:
    ...     sandbox.urls["OZON_API_URL"]
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        options: WorldOptions | None = None,
        buyers_interval: float = 0.0,
        events_page_size: int = 50,
        log_requests: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options or WorldOptions()
        self.world: World = world_create(self.options, world=World(seed=self.options.seed, clock=clock))
        self.faults = FaultBoard(self.options.seed)
        self.context = SandboxContext(world=self.world, faults=self.faults, events_page_size=events_page_size)
        self.pushes = PushSender(self.world)
        self.buyers = SimulatedBuyers(self.world, interval=buyers_interval, seed=self.options.seed)
        self.log_requests = log_requests
        # "METHOD /prefix/path" → marketplace API calls; benchmarks count what a sync cycle really made.
        self.request_counts: Counter[str] = Counter()
        self.request_counts_lock = threading.Lock()
        # Requests being answered now, with the client's address: the soak benchmark finds the worker
        # process in the middle of a send or a sync by its socket.
        self.in_flight: dict[int, dict[str, Any]] = {}
        self._in_flight_next = 0
        self.in_flight_lock = threading.Lock()
        self._stopping = threading.Event()
        self._http = _HTTPServer((host, port), _Handler)
        self._http.sandbox = self
        self.host, self.port = self._http.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self.context.base_url = self.base_url
        self.apps: dict[str, MarketplaceApp] = {
            "/wildberries-chat": WildberriesChatApp(self.context),
            "/wildberries-feedbacks": WildberriesFeedbacksApp(self.context),
            "/ozon": OzonApp(self.context),
            "/yandex-market": YandexMarketApp(self.context),
        }
        self.control = ControlApp(self)
        self.llm = FakeLlm()
        self.telegram = FakeTelegram(
            token=f"{BOT_ID}:AAH-sandbox-{self.options.seed}-chat-center-token", clock=clock
        )
        self._thread: threading.Thread | None = None

    # Lifecycle ---------------------------------------------------------------------------------

    @property
    def urls(self) -> dict[str, str]:
        """Environment variable → base URL, exactly what the product reads from settings."""
        urls = {variable: f"{self.base_url}{prefix}" for prefix, (variable, _) in PREFIXES.items()}
        urls["TELEGRAM_API_URL"] = f"{self.base_url}/telegram"
        urls["LLM_API_URL"] = f"{self.base_url}/llm/v1"
        return urls

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_control"

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        self.pushes.start()
        self.buyers.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.llm.stop()
        self.buyers.stop()
        self.pushes.stop()
        self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_buyers_interval(self, interval: float) -> None:
        self.buyers.stop()
        self.buyers.interval = interval
        if interval > 0:
            self.buyers.start()

    def cabinet_lines(self) -> list[str]:
        return [
            f"CABINET {cabinet.marketplace} {json.dumps(cabinet.credentials, ensure_ascii=False)}"
            for cabinet in self.world.cabinets
        ]

    # Requests ----------------------------------------------------------------------------------

    def respond(self, request: Request) -> Response | None:
        """The answer to a request, or None to drop the connection without one (a timeout fault)."""
        token = self.in_flight_enter(request)
        try:
            return self._respond(request)
        finally:
            self.in_flight_leave(token)

    def _respond(self, request: Request) -> Response | None:
        prefix = "/" + request.path.split("/", 2)[1] if request.path.startswith("/") else ""
        if prefix == "/_control":
            request.path = request.path[len(prefix) :] or "/"
            return self.control.handle(request)
        if prefix == "/_files":
            return self._file(request)
        if prefix in ("/telegram", "/llm"):
            request.path = request.path[len(prefix) :] or "/"
            return (self.telegram if prefix == "/telegram" else self.llm).handle(request)
        app = self.apps.get(prefix)
        if app is None:
            return json_response(404, {"error": f"unknown sandbox prefix {prefix!r}", "urls": self.urls})
        with self.request_counts_lock:
            self.request_counts[f"{request.method} {request.path}"] += 1
        request.path = request.path[len(prefix) :] or "/"
        draw = self.faults.draw(app.marketplace)
        settings = self.faults.settings[app.marketplace]
        if draw.timeout and settings.timeout_phase == "before":
            self._stopping.wait(settings.timeout_seconds)
            return None
        if draw.error:
            response = app.server_error(request)
        elif draw.rate_limit:
            response = app.rate_limit_storm(request)
        else:
            response = app.handle(request)
        if draw.timeout:
            self._stopping.wait(settings.timeout_seconds)
            return None
        if draw.truncate and response.content_type.startswith(
            ("application/json", "application/problem+json")
        ):
            response.body = response.body[: max(1, len(response.body) // 2)]
        return response

    def _file(self, request: Request) -> Response:
        """Attachment bytes behind the `url` fields, like the marketplaces' CDNs (no auth).

        A file still in moderation (or rejected) is not on the CDN: only WB's download method explains
        why (202/451), as on the real marketplace.
        """
        if request.method not in ("GET", "HEAD"):
            return Response(405, b"method not allowed", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"})
        parts = request.path.split("/")
        attachment = self.world.attachments.get(parts[2]) if len(parts) > 2 else None
        if attachment is None or attachment.moderation != MODERATION_READY:
            return Response(404, b"not found", "text/plain; charset=utf-8")
        # Files never change under their id, so a CDN lets clients keep them.
        headers = {
            "Cache-Control": "public, max-age=31536000, immutable",
            "ETag": f'"{attachment.attachment_id}"',
        }
        return Response(200, attachment.content, attachment.content_type or JSON_CONTENT_TYPE, headers)

    def in_flight_enter(self, request: Request) -> int:
        with self.in_flight_lock:
            self._in_flight_next += 1
            token = self._in_flight_next
            self.in_flight[token] = {
                "method": request.method,
                "path": request.path,
                "client_host": request.client[0],
                "client_port": request.client[1],
                "started": time.time(),
            }
        return token

    def in_flight_leave(self, token: int) -> None:
        with self.in_flight_lock:
            self.in_flight.pop(token, None)

    def in_flight_list(self) -> list[dict[str, Any]]:
        """Marketplace API requests being answered now (the control API's own are left out)."""
        with self.in_flight_lock:
            return [
                dict(item)
                for item in self.in_flight.values()
                if item["path"].split("/", 2)[1:2] != ["_control"]
            ]

    def log_request(self, request: Request, status: int, seconds: float) -> None:
        if self.log_requests:
            logger.info("%s %s → %s in %.0f ms", request.method, request.path, status, seconds * 1000)
