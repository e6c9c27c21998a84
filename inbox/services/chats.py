"""Agent actions on chats: read state, status, snooze, assignment. Replies live in inbox/replies/."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from inbox.models import Chat, Message
from inbox.replies.create import reply_create, reply_text_validate  # noqa: F401  (old import path)
from inbox.services.remote_read import chat_remote_read_enqueue
from inbox.snooze import snooze_passed_condition

AGENT_STATUSES = (Chat.Status.OPEN, Chat.Status.RESOLVED)
# A snooze further out is almost certainly a typo in the year.
MAXIMUM_SNOOZE = timedelta(days=366)


def chat_mark_read(*, chat: Chat, user: AbstractBaseUser | None) -> Chat:
    """Reset the unread counter, mark incoming messages read and tell the marketplace where it can."""
    if chat.unread_count == 0:
        return chat
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(chat=chat, direction=Message.Direction.IN, is_read=False).update(is_read=True)
        Chat.objects.filter(pk=chat.pk).update(unread_count=0, updated_at=now)
        chat_remote_read_enqueue(chat=chat)
    chat.unread_count = 0
    chat.updated_at = now
    return chat


def chat_mark_unread(*, chat: Chat, user: AbstractBaseUser | None) -> Chat:
    """Flag the chat for later: it shows as unread until someone opens it again (local only)."""
    if chat.unread_count > 0:
        return chat
    now = timezone.now()
    Chat.objects.filter(pk=chat.pk).update(unread_count=1, updated_at=now)
    chat.unread_count = 1
    chat.updated_at = now
    return chat


def chat_set_status(
    *, chat: Chat, user: AbstractBaseUser | None, status: str, snoozed_until: datetime | None = None
) -> Chat:
    """Resolve, reopen or snooze a chat (a snooze needs `snoozed_until`, see chat_snooze)."""
    if status == Chat.Status.SNOOZED:
        return chat_snooze(chat=chat, user=user, until=snoozed_until)
    if status not in AGENT_STATUSES:
        raise ValidationError({"status": _("Choose “open”, “resolved” or “snoozed”.")})
    now = timezone.now()
    Chat.objects.filter(pk=chat.pk).update(status=status, snoozed_until=None, updated_at=now)
    chat.status = status
    chat.snoozed_until = None
    chat.updated_at = now
    return chat


def chat_snooze(
    *, chat: Chat, user: AbstractBaseUser | None, until: datetime | None, now: datetime | None = None
) -> Chat:
    """Take the chat out of the open list until `until`; it comes back then, or when the buyer writes.

    Raises ValidationError keyed "snoozed_until" when the time is missing, not in the future or over a
    year away.
    """
    now = now or timezone.now()
    if until is None:
        raise ValidationError({"snoozed_until": _("Choose when the chat should come back.")})
    if timezone.is_naive(until):
        until = timezone.make_aware(until, timezone.get_current_timezone())
    if until <= now:
        raise ValidationError({"snoozed_until": _("Choose a time in the future.")})
    if until - now > MAXIMUM_SNOOZE:
        raise ValidationError({"snoozed_until": _("A chat can be snoozed for at most a year.")})
    Chat.objects.filter(pk=chat.pk).update(status=Chat.Status.SNOOZED, snoozed_until=until, updated_at=now)
    chat.status = Chat.Status.SNOOZED
    chat.snoozed_until = until
    chat.updated_at = now
    return chat


def chat_snoozes_wake(*, now: datetime | None = None) -> int:
    """Reopen the chats whose snooze has passed; returns how many.

    Reads already count them as open (see selectors), so this only has to run now and then; it keeps
    the stored status honest for the API, the admin and the other filters.
    """
    now = now or timezone.now()
    return Chat.objects.filter(snooze_passed_condition(now=now)).update(
        status=Chat.Status.OPEN, snoozed_until=None, updated_at=now
    )


def chat_assign(*, chat: Chat, user: AbstractBaseUser | None, assignee: AbstractBaseUser | None) -> Chat:
    """Give the chat to a member of its account, or to nobody."""
    if assignee is not None and not (
        assignee.is_active and chat.account.members.filter(pk=assignee.pk).exists()
    ):
        raise ValidationError({"assignee": _("The assignee must be a member of this chat’s account.")})
    now = timezone.now()
    Chat.objects.filter(pk=chat.pk).update(assignee=assignee, updated_at=now)
    if chat.assignee_id != (assignee.pk if assignee is not None else None):
        audit_record(
            actor=user,
            action=AuditEvent.Action.CHAT_ASSIGNED,
            target=chat,
            details={"assignee": assignee.get_username() if assignee is not None else None},
        )
    chat.assignee = assignee
    chat.updated_at = now
    return chat


# The reply entry point under its old name (views, API and tests import it from inbox.services).
message_send_once = reply_create
