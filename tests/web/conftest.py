from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Chat, Message


@pytest.fixture
def make_message(db):
    def factory(chat: Chat, text: str = "Здравствуйте", **fields) -> Message:
        fields.setdefault("direction", Message.Direction.IN)
        fields.setdefault("author", Message.Author.BUYER)
        fields.setdefault("created_at", timezone.now())
        return Message.objects.create(chat=chat, text=text, **fields)

    return factory


@pytest.fixture
def make_active_chat(make_chat, make_message):
    """A chat with one buyer message and the aggregates the sync would set."""

    def factory(account, *, text: str = "Где мой заказ?", minutes_ago: int = 5, **fields) -> Chat:
        moment = timezone.now() - timedelta(minutes=minutes_ago)
        fields.setdefault("last_message_at", moment)
        fields.setdefault("last_message_preview", text[:300])
        fields.setdefault("awaiting_reply_since", moment)
        fields.setdefault("unread_count", 1)
        chat = make_chat(account, **fields)
        make_message(chat, text=text, created_at=moment)
        return chat

    return factory
