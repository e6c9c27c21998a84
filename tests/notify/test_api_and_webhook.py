import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from notify.models import NotificationSettings, TelegramLink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


def test_telegram_link_endpoint(telegram, api):
    response = api.post("/api/chat/me/telegram-link")
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"https://t.me/chatcenter_sandbox_bot?start={body['token']}"
    assert body["expires_at"]


def test_telegram_link_without_bot_is_503(api, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    assert api.post("/api/chat/me/telegram-link").status_code == 503


def test_notification_settings_defaults_and_patch(api, agent):
    body = api.get("/api/chat/me/notifications").json()
    assert body["telegram"]["linked"] is False
    assert body["telegram"]["new_messages"] == "mine" and body["telegram"]["sla"] is True
    assert body["quiet_hours"] == {"start": None, "end": None, "timezone": "Europe/Moscow"}
    changed = api.patch(
        "/api/chat/me/notifications",
        {"telegram": {"new_messages": "all"}, "quiet_hours": {"start": "22:00", "end": "08:00"}},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["quiet_hours"]["start"] == "22:00"
    bad = api.patch("/api/chat/me/notifications", {"telegram": {"new_messages": "sometimes"}}, format="json")
    assert bad.status_code == 400 and "telegram.new_messages" in bad.json()
    assert (
        api.patch("/api/chat/me/notifications", {"telegram": {"linked": True}}, format="json").status_code
        == 400
    )


@override_settings(TELEGRAM_WEBHOOK_SECRET="s3cret-webhook-value", TELEGRAM_BOT_TOKEN="1:abc")
def test_webhook_checks_the_secret(client):
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "text": "/stop"},
    }
    assert (
        client.post("/hooks/telegram/", json.dumps(update), content_type="application/json").status_code
        == 403
    )
    wrong = client.post(
        "/hooks/telegram/",
        json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
    )
    assert wrong.status_code == 403


def _stop_pushed(client, settings, *, chat_id: int):
    """Telegram pushes the update of a user who typed /stop."""
    settings.TELEGRAM_WEBHOOK_SECRET = "s3cret-webhook-value"
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "chat": {"id": chat_id, "type": "private"}, "text": "/stop"},
    }
    return client.post(
        "/hooks/telegram/",
        json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook-value"},
    )


def test_webhook_handles_update(telegram, client, agent, settings):
    TelegramLink.objects.create(user=agent, telegram_chat_id=77)
    assert _stop_pushed(client, settings, chat_id=77).status_code == 200
    assert not TelegramLink.objects.exists()


def test_profile_page_shows_link_state(telegram, client, agent):
    client.force_login(agent)
    page = client.get("/profile/")
    assert page.status_code == 200
    assert "Привязать Telegram" in page.content.decode()
    TelegramLink.objects.create(
        user=agent, telegram_chat_id=77, telegram_name="Оля", blocked_at="2026-01-01T00:00Z"
    )
    assert "заблокировали бота" in client.get("/profile/").content.decode()
    linked = client.post("/profile/telegram/link/")
    assert "https://t.me/chatcenter_sandbox_bot?start=" in linked.content.decode()


def test_profile_page_tells_a_user_without_email_whom_to_ask(client, agent):
    client.force_login(agent)
    hint = "Попросите администратора указать адрес в вашей учётной записи."
    assert hint in client.get("/profile/").content.decode()
    agent.email = "agent@example.com"
    agent.save(update_fields=["email"])
    assert hint not in client.get("/profile/").content.decode()


def test_token_never_logged(telegram, caplog, agent):
    from notify.services.linking import telegram_link_token_create

    with caplog.at_level("DEBUG"):
        telegram_link_token_create(user=agent)
    assert telegram.token not in caplog.text
    assert "AAH-test-token" not in caplog.text


def test_webhook_confirms_an_update_that_breaks_its_handler(telegram, client, agent, settings, monkeypatch):
    """A 500 makes Telegram send the update again and again, with every later update queued behind it."""
    from django.db import OperationalError

    from notify.services import updates

    def database_locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(updates, "telegram_unlink", database_locked)
    TelegramLink.objects.create(user=agent, telegram_chat_id=77)
    assert _stop_pushed(client, settings, chat_id=77).status_code == 200


def test_profile_refuses_an_unknown_time_zone(client, agent):
    """Saved, it would break every later alert of the user's quiet hours (ZoneInfo raises)."""
    client.force_login(agent)
    form = client.get("/profile/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(timezone="Mars/Olympus_Mons", quiet_hours_start="22:00", quiet_hours_end="08:00")
    data = {name: value for name, value in data.items() if value is not False}
    page = client.post("/profile/", data)
    assert page.status_code == 200
    assert "Неизвестный часовой пояс." in page.content.decode()
    assert not NotificationSettings.objects.filter(user=agent).exclude(timezone="Europe/Moscow").exists()
