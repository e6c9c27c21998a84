from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inbox.models import Chat, Message
from service.deadlines import chat_deadlines_refresh

MOSCOW = ZoneInfo("Europe/Moscow")


def moscow(*args: int) -> datetime:
    return datetime(*args, tzinfo=MOSCOW)


@pytest.fixture
def add_message(db):
    counter = {"value": 0}

    def factory(chat: Chat, author: str, at: datetime, **fields) -> Message:
        counter["value"] += 1
        seller = author == Message.Author.SELLER
        fields.setdefault("external_id", f"m{counter['value']}")
        return Message.objects.create(
            chat=chat,
            author=author,
            direction=Message.Direction.OUT if seller else Message.Direction.IN,
            text=fields.pop("text", "текст"),
            created_at=at,
            idempotency_key=None,
            **fields,
        )

    return factory


@pytest.fixture
def add_answer(add_message):
    """The agent's reply to a buyer who wrote on 5 November 2026 at 12:00 Moscow, accepted `minutes` later."""

    def factory(chat: Chat, agent, *, minutes: int = 6) -> Message:
        return add_message(
            chat,
            Message.Author.SELLER,
            moscow(2026, 11, 5, 12, minutes - 1),
            sent_by=agent,
            delivery_status="sent",
            sent_at=moscow(2026, 11, 5, 12, minutes),
            external_id=None,
        )

    return factory


@pytest.fixture
def answered_turn(make_account, make_chat, add_message, add_answer, agent):
    """An Ozon account of `agent` named `name` with one turn the agent answered in 6 minutes; its chat."""

    def factory(*, name: str):
        account = make_account("ozon", name=name, members=[agent])
        chat = make_chat(account)
        add_message(chat, Message.Author.BUYER, moscow(2026, 11, 5, 12, 0))
        add_answer(chat, agent)
        chat_deadlines_refresh(chat_ids=[chat.pk])
        return account, chat

    return factory
