"""Background entry points: the notification tick, Telegram long polling, webhook registration."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from notify.models import NotifyState
from notify.services.delivery import notifications_deliver
from notify.services.events import new_messages_scan, reply_failures_scan, sync_failures_scan
from notify.services.updates import reply_outcomes_scan, telegram_update_process
from notify.telegram import (
    LONG_POLL_SECONDS,
    TelegramBot,
    TelegramConflictError,
    telegram_configured,
    telegram_webhook_mode,
)

POLL_CLAIM_MARGIN_SECONDS = 15
# setWebhook's secret_token: "1-256 characters. Only characters A-Z, a-z, 0-9, _ and - are allowed"
# (https://core.telegram.org/bots/api#setwebhook).
WEBHOOK_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_SECRET_SALT = "notify.telegram-webhook-secret"  # noqa: S105 - a key salt, not a secret


def telegram_poll_quick() -> int:
    """django-q2 safety net without the dispatcher: one non-blocking getUpdates (no worker held)."""
    return telegram_poll_once(timeout=0)


def notifications_tick() -> int:
    """Find new events and deliver what is due; cheap enough to run every second."""
    now = timezone.now()
    new_messages_scan(now=now)
    reply_outcomes_scan(now=now)
    sync_failures_scan(now=now)
    reply_failures_scan(now=now)
    return notifications_deliver(now=now)


def telegram_webhook_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("notify:telegram-webhook")


def telegram_webhook_ensure(*, bot: TelegramBot | None = None) -> bool:
    """In webhook mode, give Telegram our URL and secret unless it has these already; returns whether
    it called setWebhook. Raises ImproperlyConfigured for a secret Telegram would refuse."""
    if not telegram_webhook_mode():
        return False
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    if not WEBHOOK_SECRET_FORMAT.fullmatch(secret):
        raise ImproperlyConfigured(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters, only A-Z, a-z, 0-9, _ and - "
            "(Telegram's rule for setWebhook's secret_token); the webhook is not registered"
        )
    url = telegram_webhook_url()
    secret_hash = salted_hmac(WEBHOOK_SECRET_SALT, secret, algorithm="sha256").hexdigest()
    state, _created = NotifyState.objects.get_or_create(pk=1)
    if state.telegram_webhook_url == url and state.telegram_webhook_secret_hash == secret_hash:
        return False
    (bot or TelegramBot()).set_webhook(url=url, secret_token=secret)
    NotifyState.objects.filter(pk=1).update(
        telegram_webhook_url=url, telegram_webhook_secret_hash=secret_hash
    )
    return True


def telegram_poll_once(*, bot: TelegramBot | None = None, timeout: int = LONG_POLL_SECONDS) -> int:
    """One long-poll of getUpdates (polling mode only); returns how many updates were handled."""
    return telegram_poll(bot=bot, timeout=timeout) or 0


def telegram_poll(*, bot: TelegramBot | None = None, timeout: int = LONG_POLL_SECONDS) -> int | None:
    """As telegram_poll_once, but None when no long poll took place (webhook mode, another process holds
    the poll, or Telegram answered 409): a caller in a loop then waits before it asks again."""
    if not telegram_configured() or telegram_webhook_mode():
        return None
    bot = bot or TelegramBot()
    NotifyState.objects.get_or_create(pk=1)
    now = timezone.now()
    claimed = (
        NotifyState.objects.filter(pk=1)
        .filter(Q(telegram_poller_until__isnull=True) | Q(telegram_poller_until__lt=now))
        .update(telegram_poller_until=now + timedelta(seconds=timeout + POLL_CLAIM_MARGIN_SECONDS))
    )
    if not claimed:
        return None
    try:
        return _poll(bot=bot, timeout=timeout)
    finally:
        NotifyState.objects.filter(pk=1).update(telegram_poller_until=None)


def _poll(*, bot: TelegramBot, timeout: int) -> int | None:
    state = NotifyState.objects.get(pk=1)
    try:
        updates = bot.get_updates(offset=state.telegram_update_offset, timeout=timeout)
    except TelegramConflictError as conflict:
        if "webhook" in conflict.message.lower():
            # A webhook is still registered (e.g. the mode was switched): polling needs it gone.
            bot.delete_webhook()
            NotifyState.objects.filter(pk=1).update(telegram_webhook_url="", telegram_webhook_secret_hash="")
        # Otherwise another bot instance polls with our token ("terminated by other getUpdates request").
        return None
    handled = 0
    for update in sorted(updates, key=lambda item: int(item.get("update_id") or 0)):
        update_id = int(update.get("update_id") or 0)
        telegram_update_process(update=update, bot=bot)
        NotifyState.objects.filter(pk=1).update(telegram_update_offset=update_id + 1)
        handled += 1
    return handled


def daily_digests() -> int:
    """django-q2 daily schedule: the e-mail digest for users who asked for it."""
    from notify.services.digest import daily_digests_send

    return daily_digests_send()
