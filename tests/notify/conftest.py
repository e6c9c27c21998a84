import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.test import override_settings

from notify.telegram import TelegramBot
from sandbox.server import _Handler
from sandbox.telegram import BOT_ID, FakeTelegram

TOKEN = f"{BOT_ID}:AAH-test-token-for-chat-center"


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture
def telegram(settings) -> Iterator[FakeTelegram]:
    """The fake Bot API over real HTTP on a free loopback port; settings point the product at it."""
    fake = FakeTelegram(token=TOKEN)

    def respond(request):
        return fake.handle(request)

    server = _Server(("127.0.0.1", 0), _Handler)
    server.sandbox = SimpleNamespace(respond=respond, log_request=lambda *args: None)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with override_settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=url,
        TELEGRAM_WEBHOOK_SECRET="",
        PUBLIC_BASE_URL="https://chat.example.com",
    ):
        fake.url = url
        yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def bot(telegram) -> TelegramBot:
    return TelegramBot()
