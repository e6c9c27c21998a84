"""What every fake marketplace app shares: the world, limits, faults and routing."""

import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

from sandbox.faults import FaultBoard
from sandbox.ratelimit import BucketRegistry, HourlyQuota, ParallelGate
from sandbox.web import Request, Response, Route, Router
from sandbox.world import Attachment, World

# Hourly resource limits per operation, from `x-resource-limit-config` in
# specs/ym-partner-api-openapi-bundled-2026-07.yaml (tariffs `none` and `medium` are equal).
YANDEX_MARKET_HOURLY_LIMITS = {
    "getChats": 5000,
    "getChat": 1000,
    "getChatHistory": 10000,
    "getChatMessage": 1000,
    "sendMessageToChat": 1000,
    "sendFileToChat": 1000,
    "createChat": 1000,
}


@dataclass
class LimitSettings:
    """Normal (non-Base-token) budgets; tests shrink them through /_control/limits."""

    wildberries_chat_burst: int = 10
    wildberries_chat_interval: float = 1.0
    wildberries_questions_burst: int = 6
    wildberries_questions_interval: float = 1 / 3
    ozon_per_second: int = 50
    yandex_market_parallel: int = 4
    yandex_market_hourly: dict[str, int] = field(default_factory=lambda: dict(YANDEX_MARKET_HOURLY_LIMITS))

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "yandex_market_hourly":
                unknown = set(value) - set(YANDEX_MARKET_HOURLY_LIMITS)
                if unknown:
                    raise ValueError(f"unknown Yandex Market operation(s): {', '.join(sorted(unknown))}")
                self.yandex_market_hourly.update({key: int(amount) for key, amount in value.items()})
            elif name in {"wildberries_chat_interval", "wildberries_questions_interval"}:
                setattr(self, name, float(value))
            elif hasattr(self, name):
                setattr(self, name, int(value))
            else:
                raise ValueError(f"unknown limit {name!r}")

    def describe(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SandboxContext:
    world: World
    faults: FaultBoard
    limits: LimitSettings = field(default_factory=LimitSettings)
    buckets: BucketRegistry = field(default_factory=BucketRegistry)
    quotas: HourlyQuota = field(default_factory=HourlyQuota)
    gate: ParallelGate = field(default_factory=ParallelGate)
    base_url: str = ""
    events_page_size: int = 50

    def file_url(self, attachment: Attachment) -> str:
        return f"{self.base_url}/_files/{attachment.attachment_id}/{quote(attachment.name)}"


class MarketplaceApp:
    marketplace = ""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.world = context.world
        self.router = Router()
        self.register_routes()

    def register_routes(self) -> None:
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        route, params, path_known = self.router.match(request.method, request.path)
        if route is None:
            return self.not_found(request, method_not_allowed=path_known)
        request.path_params = params
        return self.dispatch(route, request)

    def dispatch(self, route: Route, request: Request) -> Response:
        return route.handler(request)

    def pause(self) -> None:
        """Fault latency, spent inside the app so it counts as time in flight (YM parallel limit)."""
        latency = self.context.faults.settings[self.marketplace].latency_ms
        if latency:
            time.sleep(latency / 1000)

    def not_found(self, request: Request, *, method_not_allowed: bool) -> Response:
        raise NotImplementedError

    def server_error(self, request: Request) -> Response:
        raise NotImplementedError

    def rate_limit_storm(self, request: Request) -> Response:
        raise NotImplementedError
