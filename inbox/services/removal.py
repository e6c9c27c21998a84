"""Deleting chats and messages (admin): what was derived from them goes too.

A chat's response turns cascade with it, but the reports' rollup (service.rollup.TurnDay) holds their
sums; deleting messages changes the turns, unread counts and deadlines of their chats.
"""

from collections.abc import Iterable

from django.db import transaction

from inbox.models import Chat, Message
from inbox.services.aggregates import chat_aggregates_refresh
from service.deadlines import chat_deadlines_refresh
from service.rollup import chat_turns_forget


def chats_delete(*, chat_ids: Iterable[int]) -> int:
    """Delete the chats (their messages cascade) and take their turns out of the reports; returns how
    many chats were deleted."""
    chat_ids = sorted(set(chat_ids))
    with transaction.atomic():
        chat_turns_forget(chat_ids=chat_ids)
        _count, deleted = Chat.objects.filter(pk__in=chat_ids).delete()
    return deleted.get(Chat._meta.label, 0)


def messages_delete(*, message_ids: Iterable[int]) -> int:
    """Delete the messages and recount their chats (figures, turns, rollup, deadlines); returns how many
    messages were deleted."""
    message_ids = sorted(set(message_ids))
    with transaction.atomic():
        chat_ids = set(Message.objects.filter(pk__in=message_ids).values_list("chat_id", flat=True))
        _count, deleted = Message.objects.filter(pk__in=message_ids).delete()
        chat_aggregates_refresh(chats=Chat.objects.filter(pk__in=chat_ids))
        chat_deadlines_refresh(chat_ids=chat_ids)
    return deleted.get(Message._meta.label, 0)
