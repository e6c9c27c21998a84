"""The background thread that long-polls Telegram or, in webhook mode, keeps the webhook registered."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from notify.models import NotifyState, TelegramLink
from notify.runner import NotifyLoop
from notify.services.linking import telegram_link_token_create
from notify.tasks import telegram_webhook_ensure

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = 5550001
SECRET = "s3cret-webhook_value-1"
WEBHOOK_URL = "https://chat.example.com/hooks/telegram/"


class _StopRecorder:
    """Stands in for the loop's stop event: ends the loop after `rounds` checks, keeps every pause."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.checks = 0
        self.pauses: list[float] = []

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks > self.rounds

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(timeout or 0.0)
        return False


def _run_thread(*, rounds: int) -> list[float]:
    """Run the Telegram thread's loop for `rounds` rounds; returns the pauses it made between them."""
    loop = NotifyLoop()
    stop = _StopRecorder(rounds)
    loop._stopping = stop
    loop._poll_loop()
    return stop.pauses


def test_webhook_mode_never_long_polls_and_waits_between_checks(telegram, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    pauses = _run_thread(rounds=3)
    assert "getUpdates" not in telegram.calls
    assert telegram.calls.count("setWebhook") == 1
    assert telegram.webhook_url == WEBHOOK_URL and telegram.webhook_secret == SECRET
    assert len(pauses) == 3 and min(pauses) >= 30


def test_a_poll_held_by_another_process_is_waited_for(telegram):
    NotifyState.objects.create(pk=1, telegram_poller_until=timezone.now() + timedelta(seconds=30))
    pauses = _run_thread(rounds=3)
    assert "getUpdates" not in telegram.calls
    assert len(pauses) == 3 and min(pauses) >= 1


def test_another_bot_instance_polling_is_waited_for(telegram):
    telegram.fail_next(
        "getUpdates",
        error_code=409,
        description="Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
        times=3,
    )
    pauses = _run_thread(rounds=3)
    assert telegram.calls.count("getUpdates") == 3
    assert len(pauses) == 3 and min(pauses) >= 1


def test_a_long_poll_that_got_updates_is_followed_by_the_next_at_once(telegram, agent):
    invitation = telegram_link_token_create(user=agent)
    telegram.user_says(chat_id=PHONE, text=f"/start {invitation.token}")
    assert _run_thread(rounds=1) == []
    assert TelegramLink.objects.filter(user=agent, telegram_chat_id=PHONE).exists()


def test_a_rate_limited_poll_waits_retry_after(telegram):
    telegram.fail_next(
        "getUpdates", error_code=429, description="Too Many Requests: retry after 7", retry_after=7
    )
    assert _run_thread(rounds=1) == [7]


def test_webhook_registration_is_tried_again_after_a_failure(telegram, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    telegram.fail_next(
        "setWebhook",
        error_code=400,
        description="Bad Request: bad webhook: Failed to resolve host: Name or service not known",
    )
    pauses = _run_thread(rounds=2)
    assert telegram.calls.count("setWebhook") == 2
    assert telegram.webhook_url == WEBHOOK_URL and telegram.webhook_secret == SECRET
    assert len(pauses) == 2 and min(pauses) >= 5


def test_a_changed_secret_is_registered_again(telegram, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    assert telegram_webhook_ensure() is True
    assert telegram_webhook_ensure() is False  # nothing changed: no call
    settings.TELEGRAM_WEBHOOK_SECRET = "a-new-secret_2"
    assert telegram_webhook_ensure() is True
    assert telegram.webhook_secret == "a-new-secret_2"
    assert telegram.calls.count("setWebhook") == 2
    # What we remember of it is a keyed hash, never the secret.
    stored = " ".join(str(value) for value in NotifyState.objects.values().get().values())
    assert SECRET not in stored and "a-new-secret_2" not in stored


@pytest.mark.parametrize("secret", ["has spaces", "ключ", "x" * 257, "semi;colon"])
def test_a_secret_telegram_would_refuse_is_reported_clearly(telegram, settings, secret):
    settings.TELEGRAM_WEBHOOK_SECRET = secret
    with pytest.raises(ImproperlyConfigured, match="1-256 characters") as refused:
        telegram_webhook_ensure()
    assert secret not in str(refused.value)
    assert "setWebhook" not in telegram.calls
