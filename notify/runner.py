"""The notification loops of the long-running background process: the tick and Telegram long polling.

A tick every second keeps a buyer message's alert within the 3-second target; long polling holds an
HTTP request open for up to 25 s, so it gets a thread of its own instead of a django-q worker.
"""

import logging
import threading

from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections

from marketplaces import errors
from notify.tasks import notifications_tick, telegram_poll, telegram_webhook_ensure
from notify.telegram import telegram_configured, telegram_webhook_mode

logger = logging.getLogger("notify.runner")

TICK_SECONDS = 1.0
POLL_TIMEOUT_SECONDS = 20
POLL_ERROR_PAUSE = 5.0
# A round that made no long poll (another process polls, or Telegram answered 409) waits this long.
POLL_IDLE_PAUSE = 5.0
# In webhook mode the thread only checks that Telegram has our URL and secret, and tries again this
# long after setWebhook failed.
WEBHOOK_CHECK_SECONDS = 60.0
WEBHOOK_RETRY_SECONDS = 30.0


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
        while not self._stopping.is_set():
            pause = self._telegram_round()
            if pause > 0:
                self._stopping.wait(pause)
        close_old_connections()

    def _telegram_round(self) -> float:
        """One long poll, or in webhook mode one check of the registration; returns the pause before
        the next round (none after a long poll: it did its waiting at Telegram)."""
        webhook = telegram_webhook_mode()
        try:
            close_old_connections()
            if webhook:
                telegram_webhook_ensure()
                return WEBHOOK_CHECK_SECONDS
            return 0.0 if telegram_poll(timeout=POLL_TIMEOUT_SECONDS) is not None else POLL_IDLE_PAUSE
        except errors.RateLimitedError as exc:
            logger.warning("Telegram: %s", exc.message)
            return max(exc.retry_after, 1.0)
        except (errors.MarketplaceError, ImproperlyConfigured) as exc:
            logger.warning("Telegram %s: %s", "webhook not registered" if webhook else "polling", exc)
        except Exception:
            logger.exception("Telegram %s failed", "webhook registration" if webhook else "polling")
        return WEBHOOK_RETRY_SECONDS if webhook else POLL_ERROR_PAUSE
