"""The only place that talks to django-q2: enqueue now, or once at a later time.

Callers wrap these in `transaction.on_commit` so a rolled-back write never leaves a task behind.
"""

from datetime import datetime


def task_enqueue(*, func: str, args: tuple[int | str, ...], name: str) -> None:
    from django_q import tasks

    tasks.async_task(func, *args, task_name=name)


def task_enqueue_at(*, func: str, args: tuple[int, ...], name: str, run_at: datetime) -> None:
    """A one-off schedule; re-scheduling under the same name moves it instead of adding another."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": func,
            "args": repr(args),
            "kwargs": None,
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": run_at,
        },
    )
