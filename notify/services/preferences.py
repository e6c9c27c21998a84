"""A user's notification choices, with DESIGN.md §15's defaults for users who never changed them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from notify.models import NotificationSettings

EDITABLE_FIELDS = (
    "telegram_new_messages",
    "telegram_sla",
    "telegram_reply_failed",
    "telegram_sync_failing",
    "email_new_messages",
    "email_sla",
    "email_reply_failed",
    "email_sync_failing",
    "email_daily_digest",
    "browser_enabled",
    "browser_sound",
    "quiet_hours_start",
    "quiet_hours_end",
    "timezone",
)


def notification_settings_get(*, user: AbstractBaseUser) -> NotificationSettings:
    found = NotificationSettings.objects.filter(user=user).first()
    return found if found is not None else NotificationSettings(user=user)


def notification_settings_update(
    *, user: AbstractBaseUser, changes: dict[str, object]
) -> NotificationSettings:
    """Apply validated changes; raises ValidationError keyed by field."""
    current = notification_settings_get(user=user)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: _("Unknown setting.") for name in unknown})
    for name, value in changes.items():
        setattr(current, name, value)
    try:
        ZoneInfo(current.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": _("Unknown time zone.")}) from None
    current.full_clean(exclude=["user"])
    current.save()
    return current


def quiet_hours_end(*, settings: NotificationSettings, now: datetime) -> datetime | None:
    """When the user's quiet hours end, if `now` falls inside them; None otherwise."""
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(ZoneInfo(settings.timezone))
    clock = local.time()
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=local.tzinfo)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=local.tzinfo)
    return ends
