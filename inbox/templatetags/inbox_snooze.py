"""Template filters for snoozed chats: whether a snooze still holds and how to say until when."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from inbox.models import Chat
from inbox.snooze import chat_snooze_active, chat_status_effective

register = template.Library()


@register.filter
def snooze_active(chat: Chat) -> bool:
    return chat_snooze_active(chat=chat)


@register.filter
def status_effective(chat: Chat) -> str:
    """The status to show: "open" once a snooze has passed, even before the wake-up task stores it."""
    return chat_status_effective(chat=chat)


@register.filter
def status_label(chat: Chat) -> str:
    return str(Chat.Status(chat_status_effective(chat=chat)).label)


@register.filter
def snooze_moment(moment: datetime | None) -> str:
    """ "15:40", "tomorrow 09:00", "Mon, 15 December 09:00": short for the days an agent thinks in."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    clock = date_format(local, "H:i")
    if local.date() == today:
        return clock
    if local.date() == today + timedelta(days=1):
        return _("tomorrow %(time)s") % {"time": clock}
    if local.year == today.year:
        return date_format(local, "D, j E H:i")
    return date_format(local, "D, j E Y H:i")
