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
