"""The bot-wide pause after a Telegram 429: the bot sends nothing before retry_after has passed."""

from datetime import datetime, timedelta

from django.db.models import Q

from notify.models import NotifyState


def telegram_paused(*, now: datetime) -> bool:
    until = NotifyState.objects.filter(pk=1).values_list("telegram_paused_until", flat=True).first()
    return until is not None and until > now


def telegram_pause(*, now: datetime, seconds: float) -> datetime:
    """Pause the bot for `seconds` from `now` (a longer pause already set stays); returns its end."""
    until = now + timedelta(seconds=seconds)
    NotifyState.objects.get_or_create(pk=1)
    NotifyState.objects.filter(pk=1).filter(
        Q(telegram_paused_until__isnull=True) | Q(telegram_paused_until__lt=until)
    ).update(telegram_paused_until=until)
    return until
