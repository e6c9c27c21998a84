import base64
import json
from pathlib import Path

import pytest
from django.utils import translation

from marketplaces.ratelimit import RateLimiter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

WILDBERRIES_CHAT_URL = "https://buyer-chat-api.wildberries.ru"
WILDBERRIES_FEEDBACKS_URL = "https://feedbacks-api.wildberries.ru"
OZON_URL = "https://api-seller.ozon.ru"
YANDEX_MARKET_URL = "https://api.partner.market.yandex.ru"

OZON_CLIENT_ID = "123456"
OZON_API_KEY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
YANDEX_MARKET_API_KEY = "ACMA:testkeytestkeytestkey:0123abcd"
YANDEX_MARKET_BUSINESS_ID = "7654321"
WILDBERRIES_SELLER_ID = "a1b2c3d4-0000-4000-8000-000000000001"
# 2026-11-24 12:00:00 UTC
NOW = 1_795_521_600.0


def fixture_text(marketplace: str, name: str) -> str:
    """Raw fixture text: handed to `responses` as is, so 64-bit integers reach the parser untouched."""
    return (FIXTURES / marketplace / name).read_text(encoding="utf-8")


def fixture_json(marketplace: str, name: str):
    return json.loads(fixture_text(marketplace, name))


def wildberries_token(
    *, kind: int = 3, scopes: tuple[int, ...] = (7, 9), expires: int = 1_956_528_000
) -> str:
    """A JWT shaped like a WB token: scope position N is the bit 1 << N."""

    def segment(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    mask = 0
    for position in scopes:
        mask |= 1 << position
    payload = {
        "acc": kind,
        "exp": expires,
        "id": "0192b3a0-0000-7000-8000-000000000001",
        "s": mask,
        "sid": WILDBERRIES_SELLER_ID,
        "t": kind == 2,
    }
    if kind == 3:
        payload["for"] = "self"
    return f"{segment({'alg': 'ES256', 'kid': 'test'})}.{segment(payload)}.c2lnbmF0dXJlLXNlY3JldC1wYXJ0"


class FakeClock:
    """Time that only moves when a test (or an injected sleep) moves it."""

    def __init__(self, start: float = NOW) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def russian():
    """Messages are asserted in the product's default language, whatever an earlier test activated."""
    with translation.override("ru"):
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(db, clock: FakeClock) -> RateLimiter:
    return RateLimiter(clock=clock, sleep=clock.sleep)


def no_jitter(low: float, high: float) -> float:
    return high
