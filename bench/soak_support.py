"""Small helpers of the soak run that need Django: reads that survive the database restart, waiting
for the web server, telling a send from a sync read among the sandbox's in-flight requests."""

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connection

from marketplaces.ozon.connector import SEND_FILE_PATH as OZON_SEND_FILE
from marketplaces.ozon.connector import SEND_MESSAGE_PATH as OZON_SEND_MESSAGE
from marketplaces.wildberries.connector import MESSAGE_PATH as WILDBERRIES_SEND
from marketplaces.yandex_market.connector import SEND_FILE_PATH as YANDEX_MARKET_SEND_FILE
from marketplaces.yandex_market.connector import SEND_MESSAGE_PATH as YANDEX_MARKET_SEND_MESSAGE

SEND_SUFFIXES = tuple(
    path.rsplit("}", 1)[-1]
    for path in (
        OZON_SEND_FILE,
        OZON_SEND_MESSAGE,
        WILDBERRIES_SEND,
        YANDEX_MARKET_SEND_FILE,
        YANDEX_MARKET_SEND_MESSAGE,
    )
)
Result = TypeVar("Result")


def is_send(request: dict[str, Any]) -> bool:
    return request["method"] == "POST" and request["path"].endswith(SEND_SUFFIXES)


def database(read: Callable[[], Result], *, patience: float = 120) -> Result:
    """A read of the orchestrator's own that survives the PostgreSQL restart."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return read()
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(1)


def web_wait(url: str, *, timeout: float = 120) -> None:
    """Until the web server answers at all (any HTTP status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
