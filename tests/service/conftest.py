from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inbox.models import Chat, Message

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
