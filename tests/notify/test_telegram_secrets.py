"""The bot token never leaves the process: not in error texts, logs, stored errors or tracebacks."""

import pytest
from django.utils import timezone

from inbox.models import Message
from marketplaces import errors
from notify.models import Notification, TelegramLink
from notify.tasks import notifications_tick, telegram_poll_once

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = 5550001


def _echoing_the_url(telegram, method: str) -> None:
    # Telegram's own words may quote the request line, and with it the token in the path.
    telegram.fail_next(
        method,
        error_code=400,
        description=f"Bad Request: wrong request POST /bot{telegram.token}/{method} (unsupported parameter)",
    )


def test_a_token_echoed_in_an_error_is_masked_in_the_exception(telegram, bot):
    _echoing_the_url(telegram, "sendMessage")
    with pytest.raises(errors.RequestRejectedError) as caught:
        bot.send_message(chat_id=PHONE, text="Проверка")
    assert telegram.token not in caught.value.message
    assert telegram.token not in str(caught.value)
    assert "/bot***/sendMessage" in caught.value.message


def test_a_token_echoed_in_an_error_is_masked_in_the_stored_error(telegram, agent, make_account, make_chat):
    TelegramLink.objects.create(user=agent, telegram_chat_id=PHONE)
    chat = make_chat(make_account("ozon", members=[agent]))
    Message.objects.create(
        chat=chat, external_id="b1", direction="in", author="buyer", text="?", created_at=timezone.now()
    )
    _echoing_the_url(telegram, "sendMessage")
    notifications_tick()
    alert = Notification.objects.get()
    assert alert.status == "failed"
    assert "/bot***/sendMessage" in alert.last_error
    assert telegram.token not in alert.last_error


def test_a_token_echoed_in_an_error_is_masked_in_the_log(telegram, agent, caplog):
    TelegramLink.objects.create(user=agent, telegram_chat_id=PHONE)
    telegram.user_says(chat_id=PHONE, text="/stop")
    _echoing_the_url(telegram, "sendMessage")
    with caplog.at_level("DEBUG"):
        assert telegram_poll_once(timeout=0) == 1
    assert "/bot***/sendMessage" in caplog.text
    assert telegram.token not in caplog.text


def test_the_client_repr_shows_no_token(telegram, bot):
    client = bot._client(account_key="telegram")
    assert telegram.token not in repr(client)


def _alert_refused(bot) -> None:
    bot.send_message(chat_id=PHONE, text="Проверка")


def test_the_debug_page_shows_no_token(telegram, bot):
    """Django's debug page (and an HTML error e-mail) shows every frame's local variables."""
    import sys

    from django.views.debug import ExceptionReporter

    telegram.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    try:
        _alert_refused(bot)
    except errors.MarketplaceError:
        kind, value, traceback = sys.exc_info()
        # From the helper down: this test's own frame holds the fake, whose repr has the token.
        report = ExceptionReporter(None, kind, value, traceback.tb_next).get_traceback_html()
    assert "HttpClient(" in report and "sendMessage" in report
    assert telegram.token not in report
