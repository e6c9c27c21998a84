"""The periodic jobs, created idempotently by name (run it any number of times: one row per job)."""

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

# name: (task, every how many minutes)
SCHEDULES = {
    "dispatch-sync": ("inbox.tasks.dispatch_sync", 1),
    "outbox-sweep": ("inbox.tasks.outbox_sweep", 1),
    "snooze-wake": ("inbox.tasks.wake_snoozed_chats", 1),
    "database-statistics": ("inbox.tasks.refresh_database_statistics", 60),
    "classify-messages": ("assist.classify.tasks.classify_messages", 1),
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


def schedule_generation(*, name: str = "dispatch-sync") -> str | None:
    """The id of the task the scheduler last started for `name`; it changes each time the job fires."""
    from django_q.models import Schedule

    return Schedule.objects.filter(name=name).values_list("task", flat=True).first()
