from datetime import time, timedelta

import pytest
from django.utils import timezone

from inbox.models import Message
from marketplaces.models import RateLimitBucket
from notify.models import Notification, NotificationSettings, NotifyState, TelegramLink
from notify.services.delivery import notifications_deliver
from notify.services.events import (
    new_messages_scan,
    reply_failed_notifications_create,
    sla_notifications_create,
)
from notify.tasks import notifications_tick

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = 5550001


def _buyer_message(chat, *, text="Где мой заказ?", minutes_ago=0, is_read=False, external_id=None):
    created = timezone.now() - timedelta(minutes=minutes_ago)
    return Message.objects.create(
        chat=chat,
        external_id=external_id or f"m-{Message.objects.count() + 1}",
        direction=Message.Direction.IN,
        author=Message.Author.BUYER,
        text=text,
        created_at=created,
        is_read=is_read,
    )


def _bot_messages(telegram, chat_id=PHONE):
    return [m for m in telegram.chats.get(chat_id, []) if m["from"].get("is_bot")]


@pytest.fixture
def linked(agent):
    TelegramLink.objects.create(user=agent, telegram_chat_id=PHONE, telegram_name="Агент")
    return agent


def test_new_buyer_message_alert_with_buttons(telegram, linked, make_account, make_chat):
    account = make_account("ozon", name="Ozon основной", members=[linked])
    chat = make_chat(account, buyer_name="Анна", order_number="12345678-0001-1", product_title="Чайник")
    _buyer_message(chat, text="Здравствуйте! Чайник пришёл с трещиной.")
    assert notifications_tick() == 1
    [alert] = _bot_messages(telegram)
    assert "Ozon · Ozon основной" in alert["text"]
    assert "Анна" in alert["text"] and "12345678-0001-1" in alert["text"] and "Чайник" in alert["text"]
    assert "«Здравствуйте! Чайник пришёл с трещиной.»" in alert["text"]
    [[open_button, take_button]] = alert["reply_markup"]["inline_keyboard"]
    assert open_button["url"] == f"https://chat.example.com/inbox/chats/{chat.pk}/"
    assert take_button["callback_data"] == f"take:{chat.pk}"
    # Scanning again never repeats it.
    assert notifications_tick() == 0
    assert len(_bot_messages(telegram)) == 1


def test_only_members_hear_about_a_chat(telegram, linked, other_agent, make_account, make_chat):
    TelegramLink.objects.create(user=other_agent, telegram_chat_id=PHONE + 1)
    mine = make_account("ozon", members=[linked])
    foreign = make_account("wildberries", members=[other_agent])
    _buyer_message(make_chat(foreign))
    _buyer_message(make_chat(mine))
    notifications_tick()
    assert len(_bot_messages(telegram, PHONE)) == 1
    assert len(_bot_messages(telegram, PHONE + 1)) == 1
    assert Notification.objects.filter(recipient=linked).count() == 1


def test_history_never_notifies(telegram, linked, make_account, make_chat):
    chat = make_chat(make_account("ozon", members=[linked]))
    _buyer_message(chat, is_read=True)  # backfill stores history read
    _buyer_message(chat, minutes_ago=24 * 60)  # initial sync of old history
    notifications_tick()
    assert _bot_messages(telegram) == []
    assert Notification.objects.count() == 0


def test_assigned_to_someone_else_is_not_mine(telegram, linked, other_agent, make_account, make_chat):
    account = make_account("ozon", members=[linked, other_agent])
    _buyer_message(make_chat(account, assignee=other_agent))
    notifications_tick()
    assert _bot_messages(telegram) == []
    NotificationSettings.objects.create(user=linked, telegram_new_messages="all")
    NotifyState.objects.update(last_message_id=0)
    notifications_tick()
    assert len(_bot_messages(telegram)) == 1


def test_burst_is_coalesced_into_one_alert(telegram, linked, make_account, make_chat):
    chat = make_chat(make_account("ozon", members=[linked]), buyer_name="Анна")
    for text in ("Добрый день", "Заказ не пришёл", "Ответьте, пожалуйста", "Срочно"):
        _buyer_message(chat, text=text)
    new_messages_scan()
    for _ in range(4):
        notifications_deliver(now=timezone.now())
    [alert] = _bot_messages(telegram)
    assert "«Добрый день»" in alert["text"]
    assert "ещё 3 сообщения от Анна" in alert["text"]
    assert alert.get("edit_date")
    statuses = sorted(Notification.objects.values_list("status", flat=True))
    assert statuses == ["coalesced", "coalesced", "coalesced", "sent"]


def test_rate_limit_pauses_the_bot_until_retry_after(telegram, linked, make_account, make_chat):
    chat = make_chat(make_account("ozon", members=[linked]))
    _buyer_message(chat)
    telegram.forced_rate_limits = 1
    telegram.forced_retry_after = 30
    now = timezone.now()
    new_messages_scan(now=now)
    notifications_deliver(now=now)
    assert _bot_messages(telegram) == []
    state = NotifyState.objects.get(pk=1)
    assert state.telegram_paused_until >= now + timedelta(seconds=29)
    calls_before = len(telegram.calls)
    notifications_deliver(now=now + timedelta(seconds=10))
    assert len(telegram.calls) == calls_before  # nothing sent before retry_after
    # Time passes for the shared rate limiter too (it keeps Telegram's block on the real clock).
    RateLimitBucket.objects.all().delete()
    notifications_deliver(now=now + timedelta(seconds=31))
    assert len(_bot_messages(telegram)) == 1


def test_blocked_bot_stops_messages(telegram, linked, make_account, make_chat):
    chat = make_chat(make_account("ozon", members=[linked]))
    telegram.blocked.add(PHONE)
    _buyer_message(chat)
    notifications_tick()
    link = TelegramLink.objects.get(user=linked)
    assert link.blocked_at is not None
    assert Notification.objects.get().status == "skipped"
    _buyer_message(chat, text="ещё")
    notifications_tick()
    assert Notification.objects.count() == 1  # a blocked link is not offered new alerts
    assert telegram.calls.count("sendMessage") == 1


def _quiet_hours_now(user, now) -> time:
    """Quiet hours from an hour before `now` to an hour after it; returns their start."""
    local = timezone.localtime(now)
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    NotificationSettings.objects.create(user=user, quiet_hours_start=start, quiet_hours_end=end)
    return start


def test_quiet_hours_postpone(telegram, linked, make_account, make_chat):
    now = timezone.now()
    start = _quiet_hours_now(linked, now)
    _buyer_message(make_chat(make_account("ozon", members=[linked])))
    new_messages_scan(now=now)
    notifications_deliver(now=now)
    assert _bot_messages(telegram) == []
    postponed = Notification.objects.get()
    assert postponed.status == "pending" and postponed.next_attempt_at > now + timedelta(minutes=50)
    notifications_deliver(now=postponed.next_attempt_at + timedelta(seconds=1))
    assert len(_bot_messages(telegram)) == 1
    assert isinstance(start, time)


def test_an_alert_held_by_quiet_hours_is_dropped_once_its_recipient_left_the_account(
    telegram, linked, make_account, make_chat
):
    now = timezone.now()
    _quiet_hours_now(linked, now)
    account = make_account("ozon", members=[linked])
    _buyer_message(make_chat(account, buyer_name="Анна"), text="Верните деньги за разбитый чайник")
    new_messages_scan(now=now)
    notifications_deliver(now=now)
    held = Notification.objects.get()
    # Removed from the cabinet while the alert waited: the buyer's name and words are no longer theirs.
    account.members.remove(linked)
    notifications_deliver(now=held.next_attempt_at + timedelta(seconds=1))
    assert _bot_messages(telegram) == []
    held.refresh_from_db()
    assert held.status == "skipped"


def test_a_failed_reply_alert_reaches_only_people_who_still_see_the_chat(
    telegram, linked, make_account, make_chat
):
    account = make_account("ozon", members=[linked])
    chat = make_chat(account)
    reply = Message.objects.create(
        chat=chat,
        direction="out",
        author="seller",
        text="Ответ",
        created_at=timezone.now(),
        delivery_status="failed",
        last_error="marketplace refused",
        sent_by=linked,
    )
    account.members.remove(linked)
    reply_failed_notifications_create(message=reply)
    notifications_deliver()
    assert _bot_messages(telegram) == []


def test_sla_and_reply_failed_go_to_the_right_people(telegram, linked, other_agent, make_account, make_chat):
    from django.contrib.auth.models import User

    boss = User.objects.create_superuser("boss", password="boss-password-123")
    TelegramLink.objects.create(user=boss, telegram_chat_id=PHONE + 9)
    account = make_account("ozon", members=[linked, other_agent])
    assigned = make_chat(account, assignee=linked, reply_deadline=timezone.now() + timedelta(minutes=5))
    unassigned = make_chat(account)
    assert sla_notifications_create(chat=assigned, sla_state="at_risk") == 1
    assert sla_notifications_create(chat=unassigned, sla_state="at_risk") == 0
    assert sla_notifications_create(chat=unassigned, sla_state="breached") == 1
    assert (
        sla_notifications_create(chat=unassigned, sla_state="breached") == 1
    )  # offered, ignored as duplicate
    reply = Message.objects.create(
        chat=assigned,
        direction="out",
        author="seller",
        text="Ответ",
        created_at=timezone.now(),
        sent_by=linked,
        delivery_status="failed",
        last_error="Чат закрыт",
    )
    reply_failed_notifications_create(message=reply)
    assert notifications_deliver(now=timezone.now()) == 2  # one per person per pass
    assert notifications_deliver(now=timezone.now()) == 1
    texts = [m["text"] for m in _bot_messages(telegram)]
    assert any("Срок ответа скоро истекает" in text for text in texts)
    assert any("Ответ не доставлен" in text and "Чат закрыт" in text for text in texts)
    assert len(_bot_messages(telegram, PHONE + 9)) == 1
    assert Notification.objects.filter(recipient=boss).count() == 1


def test_chat_not_found_stops_messages_like_a_block(telegram, linked, make_account, make_chat):
    # What Telegram answers once the user's account is gone, or for a chat the bot never had.
    chat = make_chat(make_account("ozon", members=[linked]))
    telegram.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    _buyer_message(chat)
    notifications_tick()
    assert TelegramLink.objects.get(user=linked).blocked_at is not None
    alert = Notification.objects.get()
    assert alert.status == "skipped" and "chat not found" in alert.last_error
    _buyer_message(chat, text="ещё")
    notifications_tick()
    assert Notification.objects.count() == 1
    assert telegram.calls.count("sendMessage") == 1


def test_a_deleted_alert_is_followed_by_a_new_one(telegram, linked, make_account, make_chat):
    chat = make_chat(make_account("ozon", members=[linked]), buyer_name="Анна")
    _buyer_message(chat, text="Добрый день")
    notifications_tick()
    [first] = _bot_messages(telegram)
    telegram.user_deletes(chat_id=PHONE, message_id=first["message_id"])
    _buyer_message(chat, text="Заказ не пришёл")
    notifications_tick()
    assert "editMessageText" in telegram.calls  # Telegram: "Bad Request: message to edit not found"
    [second] = _bot_messages(telegram)
    assert "«Заказ не пришёл»" in second["text"] and not second.get("edit_date")
    assert sorted(Notification.objects.values_list("status", flat=True)) == ["sent", "sent"]
    # The next message of the burst is coalesced into the new alert.
    _buyer_message(chat, text="Ответьте")
    notifications_tick()
    [edited] = _bot_messages(telegram)
    assert edited["message_id"] == second["message_id"] and "ещё 1 сообщение от Анна" in edited["text"]
