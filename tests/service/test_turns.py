"""Turns and response times, one hand-made chat per rule of DESIGN.md §13."""

from datetime import date, timedelta

import pytest

from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from service.models import ResponseTurn
from tests.service.conftest import moscow

BUYER, SELLER = Message.Author.BUYER, Message.Author.SELLER
MARKETPLACE, SUPPORT = Message.Author.MARKETPLACE, Message.Author.SUPPORT
T0 = moscow(2026, 11, 20, 10, 0)


def minutes(value: int):
    return T0 + timedelta(minutes=value)


def turns_of(chat) -> list[tuple]:
    return list(
        ResponseTurn.objects.filter(chat=chat)
        .order_by("sequence")
        .values_list(
            "sequence", "started_at", "answered_at", "response_seconds", "answered_by_id", "start_day"
        )
    )


@pytest.fixture
def chat(make_account, make_chat):
    return make_chat(make_account("ozon"))


def test_a_marketplace_message_mid_turn_neither_ends_nor_starts_one(chat, add_message):
    add_message(chat, BUYER, minutes(0))
    add_message(chat, MARKETPLACE, minutes(5))
    add_message(chat, SUPPORT, minutes(6))
    add_message(chat, SELLER, minutes(12))
    add_message(chat, MARKETPLACE, minutes(20))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert turns_of(chat) == [(0, minutes(0), minutes(12), 720, None, date(2026, 11, 20))]


def test_a_cabinet_reply_ends_the_turn_with_no_agent(chat, add_message):
    add_message(chat, BUYER, minutes(0))
    add_message(chat, SELLER, minutes(3))  # typed in the marketplace cabinet: no delivery status
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert turns_of(chat) == [(0, minutes(0), minutes(3), 180, None, date(2026, 11, 20))]


def test_two_buyer_messages_before_one_reply_are_one_turn_from_the_first(chat, add_message, agent):
    add_message(chat, BUYER, minutes(0))
    add_message(chat, BUYER, minutes(4))
    add_message(
        chat,
        SELLER,
        minutes(9),
        sent_by=agent,
        delivery_status=Message.DeliveryStatus.SENT,
        sent_at=minutes(10),
    )
    add_message(chat, SELLER, minutes(11))  # a seller message with no open turn changes nothing
    add_message(chat, BUYER, minutes(30))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert turns_of(chat) == [
        # Our reply counts from when the marketplace accepted it.
        (0, minutes(0), minutes(10), 600, agent.pk, date(2026, 11, 20)),
        (1, minutes(30), None, None, None, date(2026, 11, 20)),
    ]


def test_pending_and_failed_replies_do_not_count(chat, add_message, agent):
    add_message(chat, BUYER, minutes(0))
    add_message(
        chat,
        SELLER,
        minutes(1),
        sent_by=agent,
        delivery_status=Message.DeliveryStatus.PENDING,
        external_id=None,
    )
    add_message(
        chat,
        SELLER,
        minutes(2),
        sent_by=agent,
        delivery_status=Message.DeliveryStatus.FAILED,
        external_id=None,
    )
    add_message(
        chat,
        SELLER,
        minutes(3),
        sent_by=agent,
        delivery_status=Message.DeliveryStatus.UNKNOWN,
        external_id=None,
    )
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert turns_of(chat) == [(0, minutes(0), None, None, None, date(2026, 11, 20))]


def test_a_wildberries_question_is_one_turn_to_its_answer(make_account, make_chat, add_message):
    question = make_chat(make_account("wildberries"), kind="question")
    add_message(question, BUYER, minutes(0))
    add_message(question, SELLER, minutes(0) + timedelta(days=2))
    chat_deadlines_refresh(chat_ids=[question.pk])
    assert turns_of(question) == [
        (0, minutes(0), minutes(0) + timedelta(days=2), 172800, None, date(2026, 11, 20))
    ]


def test_a_turn_crossing_moscow_midnight_belongs_to_the_day_it_started(chat, add_message):
    # 23:50 Moscow on 20 Nov is 20:50 UTC: the day is the Moscow one, not UTC's.
    add_message(chat, BUYER, moscow(2026, 11, 20, 23, 50))
    add_message(chat, SELLER, moscow(2026, 11, 21, 0, 20))
    # 01:00 Moscow on 22 Nov is still 21 Nov in UTC.
    add_message(chat, BUYER, moscow(2026, 11, 22, 1, 0))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert [(row[0], row[3], row[5]) for row in turns_of(chat)] == [
        (0, 1800, date(2026, 11, 20)),
        (1, None, date(2026, 11, 22)),
    ]


def test_an_unanswered_turn_stays_open_and_a_later_reply_closes_it_incrementally(chat, add_message):
    add_message(chat, BUYER, minutes(0))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert turns_of(chat) == [(0, minutes(0), None, None, None, date(2026, 11, 20))]
    add_message(chat, SELLER, minutes(45))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert turns_of(chat) == [(0, minutes(0), minutes(45), 2700, None, date(2026, 11, 20))]


def test_equal_timestamps_follow_the_message_ids(chat, add_message):
    add_message(chat, SELLER, minutes(0))
    add_message(chat, BUYER, minutes(0))  # later id: after the seller message, so it opens a turn
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert turns_of(chat) == [(0, minutes(0), None, None, None, date(2026, 11, 20))]
