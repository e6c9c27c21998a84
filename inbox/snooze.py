"""When a snoozed chat comes back: the presets agents pick from, custom times, and whether a snooze holds.

Times are computed in the current time zone (Europe/Moscow unless a request activated another), so
"tomorrow 9:00" is the agent's morning, not UTC's. No database access here.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from inbox.models import Chat

PRESET_HOUR = "hour"
PRESET_TOMORROW = "tomorrow"
PRESET_MONDAY = "monday"
PRESET_CUSTOM = "custom"
PRESET_LABELS = {
    PRESET_HOUR: _("for 1 hour"),
    PRESET_TOMORROW: _("until tomorrow 9:00"),
    PRESET_MONDAY: _("until Monday 9:00"),
}
MORNING = time(9, 0)


@dataclass(frozen=True)
class SnoozePreset:
    value: str
    label: Promise
    until: datetime


def snooze_until_for_preset(*, preset: str, now: datetime | None = None) -> datetime:
    """The moment a preset stands for; ValueError for an unknown preset.

    "Monday" is the coming Monday: a week ahead when today is Monday (the preset puts a chat off,
    it never brings it back the same day).
    """
    now = now or timezone.now()
    if preset == PRESET_HOUR:
        return now + timedelta(hours=1)
    today = timezone.localtime(now).date()
    if preset == PRESET_TOMORROW:
        day = today + timedelta(days=1)
    elif preset == PRESET_MONDAY:
        day = today + timedelta(days=7 - today.weekday())  # weekday(): Monday is 0
    else:
        raise ValueError(f"unknown snooze preset {preset!r}")
    return timezone.make_aware(datetime.combine(day, MORNING), timezone.get_current_timezone())


def snooze_presets(*, now: datetime | None = None) -> list[SnoozePreset]:
    now = now or timezone.now()
    return [
        SnoozePreset(value=value, label=label, until=snooze_until_for_preset(preset=value, now=now))
        for value, label in PRESET_LABELS.items()
    ]


def snooze_until_parse(*, value: str) -> datetime | None:
    """A custom time from a form: "2026-12-01T09:30" (a datetime-local input, read in the current time
    zone) or ISO 8601 with an offset. None when empty or malformed."""
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def snooze_input_value(*, moment: datetime) -> str:
    """The value a datetime-local input shows for `moment` (local time, minutes)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def chat_snooze_active(*, chat: Chat, now: datetime | None = None) -> bool:
    """Snoozed and its time has not come. A passed snooze counts as open before the wake-up task runs."""
    if chat.status != Chat.Status.SNOOZED or chat.snoozed_until is None:
        return False
    return chat.snoozed_until > (now or timezone.now())


def snooze_passed_condition(*, now: datetime) -> Q:
    """Snoozed chats whose time has come (a snooze without a time never holds)."""
    return Q(status=Chat.Status.SNOOZED) & (Q(snoozed_until__lte=now) | Q(snoozed_until__isnull=True))


def chat_status_effective(*, chat: Chat, now: datetime | None = None) -> str:
    if chat.status == Chat.Status.SNOOZED and not chat_snooze_active(chat=chat, now=now):
        return Chat.Status.OPEN
    return chat.status
