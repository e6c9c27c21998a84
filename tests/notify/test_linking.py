from datetime import timedelta

import pytest
from django.utils import timezone

from notify.models import TelegramLink, TelegramLinkToken
from notify.services.linking import telegram_link_token_create
from notify.tasks import telegram_poll_once
from sandbox.telegram import BOT_USERNAME

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = 5550001


def _last_bot_text(telegram, chat_id=PHONE) -> str:
    return [m for m in telegram.chats[chat_id] if m["from"].get("is_bot")][-1]["text"]


def test_link_token_is_a_one_time_deep_link(telegram, agent):
    invitation = telegram_link_token_create(user=agent)
    assert invitation.url == f"https://t.me/{BOT_USERNAME}?start={invitation.token}"
    assert 16 <= len(invitation.token) <= 64
    assert invitation.expires_at - timezone.now() <= timedelta(minutes=15)
    agent.first_name = "Ольга"
    agent.save()
    telegram.user_says(chat_id=PHONE, text=f"/start {invitation.token}")
    assert telegram_poll_once(timeout=0) == 1
    link = TelegramLink.objects.get(user=agent)
    assert link.telegram_chat_id == PHONE
    assert "Ольга" in _last_bot_text(telegram)
    # The same token again links nobody and says so.
    telegram.user_says(chat_id=PHONE + 1, text=f"/start {invitation.token}")
    telegram_poll_once(timeout=0)
    assert not TelegramLink.objects.filter(telegram_chat_id=PHONE + 1).exists()
    assert "уже использована" in _last_bot_text(telegram, PHONE + 1)


def test_expired_and_unknown_tokens_link_nobody(telegram, agent):
    invitation = telegram_link_token_create(user=agent)
    TelegramLinkToken.objects.filter(token=invitation.token).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    telegram.user_says(chat_id=PHONE, text=f"/start {invitation.token}")
    telegram.user_says(chat_id=PHONE + 2, text="/start not-a-real-token-000000000")
    telegram.user_says(chat_id=PHONE + 3, text="/start <script>")
    telegram_poll_once(timeout=0)
    assert TelegramLink.objects.count() == 0
    assert "устарела" in _last_bot_text(telegram)
    assert "недействительна" in _last_bot_text(telegram, PHONE + 2)
    assert "недействительна" in _last_bot_text(telegram, PHONE + 3)


def test_new_link_replaces_old_and_stop_unlinks(telegram, agent):
    first = telegram_link_token_create(user=agent)
    telegram.user_says(chat_id=PHONE, text=f"/start {first.token}")
    telegram_poll_once(timeout=0)
    second = telegram_link_token_create(user=agent)
    telegram.user_says(chat_id=PHONE + 5, text=f"/start {second.token}")
    telegram_poll_once(timeout=0)
    assert list(TelegramLink.objects.values_list("telegram_chat_id", flat=True)) == [PHONE + 5]
    telegram.user_says(chat_id=PHONE + 5, text="/stop")
    telegram_poll_once(timeout=0)
    assert TelegramLink.objects.count() == 0
    assert "отключены" in _last_bot_text(telegram, PHONE + 5)


def test_polling_offset_confirms_updates_once(telegram, agent):
    invitation = telegram_link_token_create(user=agent)
    telegram.user_says(chat_id=PHONE, text=f"/start {invitation.token}")
    assert telegram_poll_once(timeout=0) == 1
    assert telegram_poll_once(timeout=0) == 0
    assert len([m for m in telegram.chats[PHONE] if m["from"].get("is_bot")]) == 1


def test_webhook_mode_conflict_is_cleared_by_polling(telegram, agent):
    telegram.webhook_url = "https://chat.example.com/hooks/telegram/"
    assert telegram_poll_once(timeout=0) == 0
    assert telegram.webhook_url == ""
    assert "deleteWebhook" in telegram.calls


def test_only_one_poller_at_a_time(telegram, agent):
    from datetime import timedelta

    from notify.models import NotifyState

    NotifyState.objects.update_or_create(
        pk=1, defaults={"telegram_poller_until": timezone.now() + timedelta(seconds=30)}
    )
    invitation = telegram_link_token_create(user=agent)
    telegram.user_says(chat_id=PHONE, text=f"/start {invitation.token}")
    assert telegram_poll_once(timeout=0) == 0  # another process holds the poll
    assert "getUpdates" not in telegram.calls
    NotifyState.objects.filter(pk=1).update(telegram_poller_until=timezone.now() - timedelta(seconds=1))
    assert telegram_poll_once(timeout=0) == 1
    assert NotifyState.objects.get(pk=1).telegram_poller_until is None
