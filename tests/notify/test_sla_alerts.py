from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Message
from notify.models import Notification, TelegramLink
from service.deadlines import chat_deadlines_refresh, chat_sla_states_advance

pytestmark = pytest.mark.django_db


def test_a_chat_getting_late_alerts_its_assignee_once(
    agent, make_account, make_chat, django_capture_on_commit_callbacks
):
    TelegramLink.objects.create(user=agent, telegram_chat_id=5550001)
    chat = make_chat(make_account("ozon", members=[agent]), assignee=agent)
    now = timezone.now()
    Message.objects.create(
        chat=chat, external_id="b1", direction="in", author="buyer", text="Где заказ?", created_at=now
    )
    with django_capture_on_commit_callbacks(execute=True):
        chat_deadlines_refresh(chat_ids=[chat.pk], now=now)
    chat.refresh_from_db()
    assert chat.sla_state == "ok"
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        chat_sla_states_advance(now=now + timedelta(minutes=50))
    assert list(Notification.objects.values_list("event", flat=True)) == ["sla_at_risk"]
    with django_capture_on_commit_callbacks(execute=True):
        chat_sla_states_advance(now=now + timedelta(minutes=61))
        chat_sla_states_advance(now=now + timedelta(minutes=62))
    assert sorted(Notification.objects.values_list("event", flat=True)) == ["sla_at_risk", "sla_breached"]


def test_a_chat_imported_already_late_stays_quiet(
    agent, make_account, make_chat, django_capture_on_commit_callbacks
):
    TelegramLink.objects.create(user=agent, telegram_chat_id=5550001)
    chat = make_chat(make_account("ozon", members=[agent]), assignee=agent)
    now = timezone.now()
    Message.objects.create(
        chat=chat,
        external_id="b1",
        direction="in",
        author="buyer",
        text="Где заказ?",
        created_at=now - timedelta(hours=5),
    )
    with django_capture_on_commit_callbacks(execute=True):
        chat_deadlines_refresh(chat_ids=[chat.pk], now=now)
        chat_sla_states_advance(now=now + timedelta(minutes=5))
    chat.refresh_from_db()
    assert chat.sla_state == "breached"
    assert not Notification.objects.exists()


def test_an_alert_says_a_deadline_already_gone_has_passed(agent, make_account, make_chat):
    """A new message in a chat that has waited for days: its alert must not ask for an answer by a day
    long gone."""
    from notify.models import Event
    from notify.services.render import notification_render

    chat = make_chat(make_account("ozon", members=[agent]))
    now = timezone.now()
    for external_id, minutes_ago in (("b1", 3 * 24 * 60), ("b2", 1)):
        Message.objects.create(
            chat=chat,
            external_id=external_id,
            direction="in",
            author="buyer",
            text="Уже несколько дней жду ответа",
            created_at=now - timedelta(minutes=minutes_ago),
        )
    chat_deadlines_refresh(chat_ids=[chat.pk], now=now)
    chat.refresh_from_db()
    late = Notification(recipient=agent, chat=chat, event=Event.NEW_MESSAGE, message=chat.messages.last())
    moment = chat.reply_deadline.astimezone(timezone.get_default_timezone()).strftime("%d.%m %H:%M")
    assert f"Срок ответа прошёл {moment}" in notification_render(notification=late).text

    fresh = make_chat(make_account("ozon", members=[agent]))
    Message.objects.create(
        chat=fresh, external_id="b3", direction="in", author="buyer", text="Где заказ?", created_at=now
    )
    chat_deadlines_refresh(chat_ids=[fresh.pk], now=now)
    fresh.refresh_from_db()
    on_time = Notification(
        recipient=agent, chat=fresh, event=Event.NEW_MESSAGE, message=fresh.messages.last()
    )
    moment = fresh.reply_deadline.astimezone(timezone.get_default_timezone()).strftime("%d.%m %H:%M")
    assert f"Ответить до {moment}" in notification_render(notification=on_time).text
