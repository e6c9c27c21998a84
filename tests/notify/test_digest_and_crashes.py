from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from inbox.models import Message
from notify.models import Notification, NotificationSettings, TelegramLink
from notify.services.delivery import STALE_CLAIM, notifications_deliver
from notify.services.digest import daily_digests_send
from service.deadlines import chat_deadlines_refresh

pytestmark = pytest.mark.django_db


def test_daily_digest_once_per_day_and_only_own_chats(agent, other_agent, make_account, make_chat, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent.email = "agent@example.com"
    agent.save()
    NotificationSettings.objects.create(user=agent, email_daily_digest=True)
    mine = make_chat(make_account("ozon", members=[agent]))
    foreign = make_chat(make_account("wildberries", members=[other_agent]))
    now = timezone.now()
    for chat in (mine, foreign):
        Message.objects.create(
            chat=chat,
            external_id="b",
            direction="in",
            author="buyer",
            text="?",
            created_at=now - timedelta(days=1),
        )
        chat.awaiting_reply_since = now - timedelta(days=1)
        chat.save()
        chat_deadlines_refresh(chat_ids=[chat.pk], now=now)
    assert daily_digests_send(now=now) == 1
    assert daily_digests_send(now=now) == 0  # the same day never twice
    [message] = mail.outbox
    assert message.to == ["agent@example.com"]
    assert "Ждут ответа сейчас: 1" in message.body  # the foreign cabinet's chat is not counted
    assert "Просрочено: 1" in message.body


def test_a_send_cut_short_by_a_dying_worker_is_never_repeated(telegram, agent, make_account, make_chat):
    TelegramLink.objects.create(user=agent, telegram_chat_id=5550001)
    chat = make_chat(make_account("ozon", members=[agent]))
    now = timezone.now()
    # A worker claimed the row (pending -> sending) and died before it could record the outcome.
    Notification.objects.create(
        event_key="message:1",
        event="new_message",
        recipient=agent,
        channel="telegram",
        chat=chat,
        status="sending",
        next_attempt_at=now - STALE_CLAIM - timedelta(seconds=1),
    )
    notifications_deliver(now=now)
    row = Notification.objects.get()
    assert row.status == "failed" and "not repeated" in row.last_error
    assert "sendMessage" not in telegram.calls


def test_a_redelivered_event_is_one_row(agent, make_account, make_chat):
    from notify.services.events import reply_failed_notifications_create

    TelegramLink.objects.create(user=agent, telegram_chat_id=5550001)
    chat = make_chat(make_account("ozon", members=[agent]))
    reply = Message.objects.create(
        chat=chat,
        direction="out",
        author="seller",
        text="Ответ",
        created_at=timezone.now(),
        sent_by=agent,
        delivery_status="failed",
        attempts=1,
    )
    reply_failed_notifications_create(message=reply)
    reply_failed_notifications_create(message=reply)
    assert Notification.objects.count() == 1
