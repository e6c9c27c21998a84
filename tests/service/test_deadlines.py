"""Reply windows, reply deadlines and SLA states (DESIGN.md §13), and the hooks that keep them."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import transaction

from inbox.models import Chat, Message
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.types import Author, RemoteChat, RemoteMessage, UpdatesPage
from service.deadlines import chat_deadlines_refresh, chat_sla_states_advance, sla_policy_changed
from service.models import WEEKDAYS, SlaPolicy
from tests.service.conftest import moscow

BUYER, SELLER = Message.Author.BUYER, Message.Author.SELLER
T0 = moscow(2026, 11, 25, 10, 0)  # a Wednesday


def state(chat: Chat) -> tuple:
    chat.refresh_from_db()
    return (
        chat.reply_deadline,
        chat.reply_deadline_source,
        chat.reply_window_closes_at,
        chat.can_reply,
        chat.sla_state,
    )


def test_the_default_policy_exists_around_the_clock_sixty_minutes(db):
    policy = SlaPolicy.objects.get(account=None)
    assert (policy.first_response_minutes, policy.next_response_minutes, policy.time_zone) == (
        60,
        60,
        "Europe/Moscow",
    )
    assert all(policy.hours_for(weekday=day) == (time(0), time(0)) for day in range(7))


def test_ozon_window_is_48_hours_after_the_buyers_last_message(make_account, make_chat, add_message):
    chat = make_chat(make_account("ozon"))
    add_message(chat, BUYER, T0)
    add_message(chat, BUYER, T0 + timedelta(hours=5))
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0 + timedelta(hours=5, minutes=1))
    window = T0 + timedelta(hours=53)
    # The SLA target (60 min from the turn's start) is the earliest limit; it has already passed.
    assert state(chat) == (T0 + timedelta(minutes=60), "sla", window, True, "breached")

    chat_deadlines_refresh(chat_ids=[chat.pk], now=window)
    assert state(chat) == (T0 + timedelta(minutes=60), "sla", window, False, "closed")


def test_ozon_window_open_and_then_closed_by_the_periodic_task(make_account, make_chat, add_message):
    chat = make_chat(make_account("ozon"))
    add_message(chat, BUYER, T0)
    add_message(chat, SELLER, T0 + timedelta(minutes=10))
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0 + timedelta(minutes=11))
    assert state(chat) == (None, "", T0 + timedelta(hours=48), True, "none")
    assert chat_sla_states_advance(now=T0 + timedelta(hours=47)) == 0
    assert chat_sla_states_advance(now=T0 + timedelta(hours=48)) == 1
    assert state(chat) == (None, "", T0 + timedelta(hours=48), False, "none")


def test_yandex_market_finished_chat_cannot_be_answered(make_account, make_chat, add_message):
    chat = make_chat(make_account("yandex_market"), marketplace_status="FINISHED")
    add_message(chat, BUYER, T0)
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0 + timedelta(minutes=1))
    assert state(chat) == (T0 + timedelta(minutes=60), "sla", None, False, "closed")

    Chat.objects.filter(pk=chat.pk).update(marketplace_status="ARBITRAGE")
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0 + timedelta(minutes=1))
    assert state(chat) == (T0 + timedelta(minutes=60), "sla", None, True, "ok")


def test_wildberries_ten_days_beat_a_slow_policy(make_account, make_chat, add_message):
    account = make_account("wildberries")
    hours = {f"{day}_{edge}": time(0) for day in WEEKDAYS for edge in ("opens", "closes")}
    SlaPolicy.objects.create(
        name="slow", account=account, first_response_minutes=20 * 24 * 60, next_response_minutes=60, **hours
    )
    chat = make_chat(account, kind="question")
    add_message(chat, BUYER, T0)
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0)
    assert state(chat) == (T0 + timedelta(days=10), "marketplace", None, True, "ok")


def test_states_move_ok_at_risk_breached_as_time_passes(make_account, make_chat, add_message):
    chat = make_chat(make_account("yandex_market"))
    add_message(chat, BUYER, T0)
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0)
    deadline = T0 + timedelta(minutes=60)
    assert state(chat)[-1] == "ok"
    # 20 % of 60 min = 12 min: at 48 min exactly 12 remain (not less), one second later at risk.
    assert chat_sla_states_advance(now=T0 + timedelta(minutes=48)) == 0
    assert chat_sla_states_advance(now=T0 + timedelta(minutes=48, seconds=1)) == 1
    assert state(chat) == (deadline, "sla", None, True, "at_risk")
    assert chat_sla_states_advance(now=deadline) == 0
    assert chat_sla_states_advance(now=deadline + timedelta(seconds=1)) == 1
    assert state(chat) == (deadline, "sla", None, True, "breached")


def test_next_response_target_applies_after_the_first_turn(make_account, make_chat, add_message):
    account = make_account("yandex_market")
    hours = {f"{day}_{edge}": time(0) for day in WEEKDAYS for edge in ("opens", "closes")}
    SlaPolicy.objects.create(
        name="team", account=account, first_response_minutes=15, next_response_minutes=120, **hours
    )
    chat = make_chat(account)
    add_message(chat, BUYER, T0)
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0)
    assert state(chat)[0] == T0 + timedelta(minutes=15)
    add_message(chat, SELLER, T0 + timedelta(minutes=5))
    add_message(chat, BUYER, T0 + timedelta(minutes=30))
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0 + timedelta(minutes=30))
    assert state(chat)[0] == T0 + timedelta(minutes=150)


def test_a_policy_change_recomputes_open_chats(make_account, make_chat, add_message):
    account = make_account("yandex_market")
    chat = make_chat(account, awaiting_reply_since=T0)
    add_message(chat, BUYER, T0)
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0)
    assert state(chat)[0] == T0 + timedelta(minutes=60)
    policy = SlaPolicy.objects.get(account=None)
    policy.first_response_minutes = 30
    policy.save()
    sla_policy_changed(policy=policy)
    assert state(chat)[0] == T0 + timedelta(minutes=30)


def test_office_hours_policy_over_a_weekend(make_account, make_chat, add_message):
    account = make_account("yandex_market")
    hours = {}
    for index, day in enumerate(WEEKDAYS):
        hours[f"{day}_opens"] = time(9) if index < 5 else None
        hours[f"{day}_closes"] = time(18) if index < 5 else None
    SlaPolicy.objects.create(name="office", account=account, observe_production_calendar=True, **hours)
    chat = make_chat(account)
    add_message(chat, BUYER, moscow(2026, 11, 27, 17, 30))  # Friday
    chat_deadlines_refresh(chat_ids=[chat.pk], now=moscow(2026, 11, 27, 17, 31))
    assert state(chat)[:2] == (moscow(2026, 11, 30, 9, 30), "sla")


def test_ingesting_a_page_stores_turns_and_deadlines(make_account):
    account = make_account("ozon")
    now = datetime.now(tz=UTC).replace(microsecond=0)
    page = UpdatesPage(
        chats=(RemoteChat(external_id="c1"),),
        messages=(
            RemoteMessage(
                chat_external_id="c1",
                external_id="1",
                author=Author.BUYER,
                text="Где заказ?",
                created_at=now - timedelta(minutes=30),
            ),
            RemoteMessage(
                chat_external_id="c1",
                external_id="2",
                author=Author.SELLER,
                text="Едет",
                created_at=now - timedelta(minutes=20),
            ),
            RemoteMessage(
                chat_external_id="c1",
                external_id="3",
                author=Author.BUYER,
                text="Спасибо",
                created_at=now - timedelta(minutes=10),
            ),
        ),
    )
    with transaction.atomic():
        page_apply(account=account, page=page, mode=IngestMode.INCREMENTAL)
    chat = Chat.objects.get(account=account, external_id="c1")
    assert list(chat.turns.order_by("sequence").values_list("sequence", "response_seconds")) == [
        (0, 600),
        (1, None),
    ]
    assert state(chat) == (
        now + timedelta(minutes=50),
        "sla",
        now + timedelta(hours=47, minutes=50),
        True,
        "ok",
    )


def test_a_reply_accepted_by_the_marketplace_closes_the_turn(make_account, make_chat, add_message, agent):
    from inbox.replies.sent import reply_mark_sent

    chat = make_chat(make_account("yandex_market"))
    add_message(chat, BUYER, T0)
    reply = add_message(
        chat, SELLER, T0 + timedelta(minutes=1), sent_by=agent, delivery_status="sending", external_id=None
    )
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0 + timedelta(minutes=1))
    assert state(chat)[-1] in {"ok", "breached"}
    reply.chat = chat
    reply_mark_sent(
        message=reply, from_statuses=("sending",), sent_at=T0 + timedelta(minutes=7), external_id="r1"
    )
    assert list(chat.turns.values_list("response_seconds", "answered_by_id")) == [(420, agent.pk)]
    assert state(chat) == (None, "", None, True, "none")


def test_refresh_deadlines_command_builds_turns_of_existing_chats(make_account, make_chat, add_message):
    from io import StringIO

    from django.core.management import call_command

    chat = make_chat(make_account("ozon"))
    add_message(chat, BUYER, T0)
    add_message(chat, SELLER, T0 + timedelta(minutes=4))
    assert not chat.turns.exists()
    output = StringIO()
    call_command("refresh_deadlines", stdout=output)
    assert list(chat.turns.values_list("response_seconds", flat=True)) == [240]
    assert "Done: 1 chats" in output.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_refresh_outside_any_transaction_stores_the_turns(make_account, make_chat, add_message):
    # The periodic task, the admin and the command call it in autocommit mode; on PostgreSQL the bulk
    # insert's staging rows vanished at each statement's commit and no turn was stored.
    chat = make_chat(make_account("ozon"))
    add_message(chat, BUYER, T0)
    add_message(chat, SELLER, T0 + timedelta(minutes=2))
    chat_deadlines_refresh(chat_ids=[chat.pk], now=T0 + timedelta(minutes=3))
    assert list(chat.turns.values_list("response_seconds", flat=True)) == [120]
