"""Small display helpers for the inbox templates."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

register = template.Library()

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@register.filter
def compact_age(moment: datetime | None) -> str:
    """ "now", "5 min", "3 h", "2 d"; older than a week: the date. Agents scan a column of these."""
    if moment is None:
        return ""
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < MINUTE:
        return _("now")
    if seconds < HOUR:
        return _("%(count)d min") % {"count": seconds // MINUTE}
    if seconds < DAY:
        return _("%(count)d h") % {"count": seconds // HOUR}
    if seconds < 7 * DAY:
        return _("%(count)d d") % {"count": seconds // DAY}
    return date_format(timezone.localtime(moment), "j M")


@register.filter
def waiting_level(moment: datetime | None) -> str:
    """CSS level for how long a buyer has waited: calm under an hour, warm under four, hot after."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < HOUR:
        return "calm"
    if seconds < 4 * HOUR:
        return "warm"
    return "hot"


@register.filter
def day_label(moment: datetime) -> str:
    local = timezone.localtime(moment)
    today = timezone.localdate()
    if local.date() == today:
        return _("Today")
    if (today - local.date()).days == 1:
        return _("Yesterday")
    if local.year == today.year:
        return date_format(local, "j F")
    return date_format(local, "j F Y")


@register.filter
def attachment_items(attachments: object) -> list[tuple[int, dict]]:
    """(index, item) pairs of well-formed attachment dicts; the index addresses the download view."""
    if not isinstance(attachments, list):
        return []
    return [(index, item) for index, item in enumerate(attachments) if isinstance(item, dict)]
