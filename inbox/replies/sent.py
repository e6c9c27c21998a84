"""The one place a reply becomes `sent`: by the marketplace's receipt, or by its echo (reconcile).

In a chat that holds one answer (WB questions), the reply replaces the answer: the thread keeps one
answer row, which takes the new text, keeps the first answer's time (the buyer was answered then) and
is marked edited.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox.models import Chat, Message
from marketplaces.registry import MARKETPLACE_SPECS
from service.deadlines import chat_deadlines_refresh

# Seller messages that are the chat's answer: typed in the cabinet (no delivery state) or ours, confirmed.
ANSWER_STATUSES = (Message.DeliveryStatus.NONE, Message.DeliveryStatus.SENT)


def chat_holds_one_answer(*, chat: Chat) -> bool:
    spec = MARKETPLACE_SPECS.get(chat.account.marketplace)
    return spec is not None and chat.kind in spec.single_answer_kinds


def chat_answers(*, chat: Chat) -> list[Message]:
    """The seller messages that answer the chat now, oldest first."""
    return list(
        Message.objects.filter(
            chat=chat,
            direction=Message.Direction.OUT,
            author=Message.Author.SELLER,
            delivery_status__in=ANSWER_STATUSES,
        ).order_by("created_at", "id")
    )


def reply_mark_sent(
    *,
    message: Message,
    from_statuses: tuple[str, ...],
    sent_at: datetime,
    external_id: str = "",
    created_at: datetime | None = None,
    attachments: list[dict[str, Any]] | None = None,
    chat_extras: Mapping[str, Any] | None = None,
) -> bool:
    """Record that the marketplace took `message`; False when it had already left `from_statuses`.

    `created_at`/`attachments` come from a matched echo (the marketplace's time and file references);
    `chat_extras` from a receipt (e.g. a renewed WB replySign).
    """
    chat = message.chat
    now = timezone.now()
    with transaction.atomic():
        claimed = Message.objects.filter(pk=message.pk, delivery_status__in=from_statuses).update(
            delivery_status=Message.DeliveryStatus.SENT,
            sent_at=sent_at,
            last_error="",
            last_error_detail="",
            next_attempt_at=None,
        )
        if not claimed:
            return False
        values: dict[str, Any] = {}
        if created_at is not None:
            values["created_at"] = created_at
        if attachments is not None:
            values["attachments"] = attachments
        edited_external_id = ""
        if chat_holds_one_answer(chat=chat):
            previous = [answer for answer in chat_answers(chat=chat) if answer.pk != message.pk]
            if previous:
                first = previous[0]
                values.update(created_at=first.created_at, sent_at=first.sent_at or first.created_at)
                values["edited_at"] = sent_at
                external_id = external_id or next(
                    (answer.external_id for answer in previous if answer.external_id), ""
                )
                edited_external_id = external_id
                Message.objects.filter(pk__in=[answer.pk for answer in previous]).delete()
        if external_id and not (
            Message.objects.filter(chat=chat, external_id=external_id).exclude(pk=message.pk).exists()
        ):
            try:
                with transaction.atomic():
                    Message.objects.filter(pk=message.pk).update(external_id=external_id, **values)
                values = {}
            except IntegrityError:
                pass
        if values:
            Message.objects.filter(pk=message.pk).update(**values)
        if "edited_at" in values or edited_external_id:
            _answer_preview_refresh(chat=chat, message_id=message.pk)
        if chat_extras:
            locked = Chat.objects.select_for_update().get(pk=chat.pk)
            merged = {**locked.extras, **chat_extras}
            if merged != locked.extras:
                locked.extras = merged
                locked.save(update_fields=["extras", "updated_at"])
                chat.extras = merged
        # Our reply answers everything the buyer wrote before it.
        Chat.objects.filter(pk=chat.pk, awaiting_reply_since__lte=message.created_at).update(
            awaiting_reply_since=None, updated_at=now
        )
        # The reply ends the buyer's turn: response times, the next deadline and the SLA state move now.
        chat_deadlines_refresh(chat_ids=[chat.pk])
    return True


def _answer_preview_refresh(*, chat: Chat, message_id: int) -> None:
    """The chat list shows the answer it ends with: after an edit, its new text."""
    from inbox.services.aggregates import message_preview

    answer = Message.objects.filter(pk=message_id).values("external_id", "text", "attachments").first()
    if answer is None or not answer["external_id"]:
        return
    Chat.objects.filter(pk=chat.pk, last_message_external_id=answer["external_id"]).update(
        last_message_preview=message_preview(text=answer["text"], attachments=answer["attachments"])
    )
