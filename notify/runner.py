"""The notification loops of the long-running background process: the tick and Telegram long polling.

A tick every second keeps a buyer message's alert within the 3-second target; long polling holds an
HTTP request open for up to 25 s, so it gets a thread of its own instead of a django-q worker.
"""

import logging
import threading

from django.db import close_old_connections

from marketplaces import errors
from notify.tasks import notifications_tick, telegram_poll_once, telegram_webhook_ensure
from notify.telegram import telegram_configured

logger = logging.getLogger("notify.runner")

TICK_SECONDS = 1.0
POLL_ERROR_PAUSE = 5.0


class NotifyLoop:
    def __init__(self, *, tick_seconds: float = TICK_SECONDS) -> None:
        self.tick_seconds = tick_seconds
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> "NotifyLoop":
        self._threads = [threading.Thread(target=self._tick_loop, name="notify-tick", daemon=True)]
        if telegram_configured():
            self._threads.append(threading.Thread(target=self._poll_loop, name="telegram-poll", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=timeout)

    def _tick_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                close_old_connections()
                notifications_tick()
            except Exception:
                logger.exception("notification tick failed")
            self._stopping.wait(self.tick_seconds)
        close_old_connections()

    def _poll_loop(self) -> None:
        try:
            close_old_connections()
            telegram_webhook_ensure()
        except errors.MarketplaceError as exc:
            logger.warning("Telegram webhook not registered: %s", exc.message)
        while not self._stopping.is_set():
            try:
                close_old_connections()
                telegram_poll_once(timeout=5 if self._stopping.is_set() else 20)
            except errors.MarketplaceError as exc:
                logger.warning("Telegram polling: %s", exc.message)
                self._stopping.wait(POLL_ERROR_PAUSE)
            except Exception:
                logger.exception("Telegram polling failed")
                self._stopping.wait(POLL_ERROR_PAUSE)
        close_old_connections()
