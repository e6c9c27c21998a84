"""Replies to buyers: an outgoing Message row in `pending`, delivered by a background task."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from inbox.models import Chat, Message


def message_send(*, chat: Chat, user: AbstractBaseUser | None, text: str) -> Message:
    """Queue a reply. The delivery task is enqueued only when the surrounding transaction commits."""
    message = Message.objects.create(
        chat=chat,
        direction=Message.Direction.OUT,
        author=Message.Author.SELLER,
        sent_by=user,
        text=text,
        created_at=timezone.now(),
        is_read=True,
        delivery_status=Message.DeliveryStatus.PENDING,
    )
    transaction.on_commit(lambda: message_delivery_enqueue(message_id=message.pk))
    return message


def message_delivery_enqueue(*, message_id: int) -> None:
    from django_q.tasks import async_task

    async_task("inbox.tasks.deliver_message", message_id, task_name=f"deliver-{message_id}")


def message_retry(*, message: Message, user: AbstractBaseUser | None) -> Message:
    """Put a failed reply back in the queue (an agent pressed "retry")."""
    updated = Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.FAILED).update(
        delivery_status=Message.DeliveryStatus.PENDING, last_error="", next_attempt_at=None
    )
    if updated:
        transaction.on_commit(lambda: message_delivery_enqueue(message_id=message.pk))
    message.refresh_from_db()
    return message


def chat_remote_read_enqueue(*, chat: Chat) -> None:
    """Tell the marketplace (where its API can) that the agent has read the chat up to its last message."""
    from django_q.tasks import async_task

    chat_id = chat.pk
    transaction.on_commit(
        lambda: async_task("inbox.tasks.mark_chat_read_remote", chat_id, task_name=f"read-{chat_id}")
    )
