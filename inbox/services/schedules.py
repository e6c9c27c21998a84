"""The periodic jobs, created idempotently by name (run it any number of times: one row per job)."""

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

# name: (task, every how many minutes). "dispatch-sync" is the safety net: `manage.py dispatcher`
# hands due accounts over within about a second; without it, accounts still sync every minute or so.
SCHEDULES = {
    "dispatch-sync": ("inbox.tasks.dispatch_sync", 1),
    "outbox-sweep": ("inbox.tasks.outbox_sweep", 1),
    "snooze-wake": ("inbox.tasks.wake_snoozed_chats", 1),
    "sla-advance": ("service.tasks.sla_states_advance", 1),
    "database-statistics": ("inbox.tasks.refresh_database_statistics", 60),
    # The dispatcher ticks notifications every second; this is the safety net without it.
    "notifications-tick": ("notify.tasks.notifications_tick", 1),
    "telegram-poll": ("notify.tasks.telegram_poll_quick", 1),
    "personal-data-retention": ("privacy.tasks.personal_data_purge_daily", 24 * 60),
    "daily-digest": ("notify.tasks.daily_digests", 24 * 60),
    "classify-messages": ("assist.classify.tasks.classify_messages", 1),
    "ozon-ratings": ("service.tasks.ozon_ratings_daily", 24 * 60),
}


def schedules_setup(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    from django_q.models import Schedule

    for name, (func, minutes) in SCHEDULES.items():
        existing = Schedule.objects.using(using).filter(name=name).order_by("pk")
        # An older install may hold duplicates (django-q has no unique name): keep the first.
        extra = list(existing.values_list("pk", flat=True)[1:])
        if extra:
            Schedule.objects.using(using).filter(pk__in=extra).delete()
        Schedule.objects.using(using).update_or_create(
            name=name,
            defaults={
                "func": func,
                "args": None,
                "kwargs": None,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
            create_defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )
    return list(SCHEDULES)
