"""Response-time reports (DESIGN.md §13), read from the `TurnDay` rollup, never from messages.

One row per (day, account, marketplace, agent, first turn or not) in the range; groups add the rows up
and merge their sorted response times for exact nearest-rank percentiles (⌈p·n⌉). Only the count of
unanswered turns past their target depends on the time of the report: read from the turns through a
partial index.
"""

from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.utils import timezone

from accounts.selectors import account_list_for_user, user_sees_all_accounts
from service.models import ResponseTurn, TurnDay
from service.rollup import NO_AGENT, times_decode

GROUP_KEYS = {
    "day": "start_day",
    "marketplace": "marketplace",
    "account": "account_id",
    "agent": "answered_by_id",
}
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class ReportQuery:
    date_from: date
    date_to: date
    group_by: str
    marketplace: str = ""
    account_id: int | None = None
    agent_id: int | None = None


def _where(*, query: ReportQuery, user: AbstractBaseUser | AnonymousUser) -> tuple[str, list[Any]] | None:
    """The WHERE clause for the turns the user may see; None when nothing can match."""
    clauses = ["start_day >= %s", "start_day <= %s"]
    params: list[Any] = [query.date_from, query.date_to]
    if not user_sees_all_accounts(user=user):
        account_ids = sorted(account_list_for_user(user=user).values_list("pk", flat=True))
        if not account_ids:
            return None
        clauses.append(f"account_id IN ({', '.join(['%s'] * len(account_ids))})")
        params.extend(account_ids)
    if query.marketplace:
        clauses.append("marketplace = %s")
        params.append(query.marketplace)
    if query.account_id is not None:
        clauses.append("account_id = %s")
        params.append(query.account_id)
    if query.agent_id is not None:
        clauses.append("answered_by_id = %s")
        params.append(query.agent_id)
    return " AND ".join(clauses), params


def _rank(count: int, percent: int) -> int:
    """Nearest rank: ⌈p·n⌉ in integers."""
    return (percent * count + 99) // 100


def _nth_smallest(*, runs: list[array], rank: int) -> int:
    """The value at 1-based `rank` of the merged sorted runs, without merging them: the smallest value
    with at least `rank` values at or below it (binary search over values, each step a bisect per run)."""
    low = min(run[0] for run in runs if run)
    high = max(run[-1] for run in runs if run)
    while low < high:
        middle = (low + high) // 2
        if sum(bisect_right(run, middle) for run in runs) >= rank:
            high = middle
        else:
            low = middle + 1
    return low


def _percentiles(*, runs: list[array]) -> tuple[int | None, int | None]:
    """Median and p90 (nearest rank) of the values of sorted runs."""
    count = sum(len(run) for run in runs)
    if not count:
        return None, None
    if len(runs) == 1:
        return runs[0][_rank(count, 50) - 1], runs[0][_rank(count, 90) - 1]
    return (
        _nth_smallest(runs=runs, rank=_rank(count, 50)),
        _nth_smallest(runs=runs, rank=_rank(count, 90)),
    )


@dataclass
class _Figures:
    """What one group adds up to."""

    turns: int = 0
    answered: int = 0
    total_seconds: int = 0
    within_day: int = 0
    first_answered: int = 0
    met: int = 0
    missed: int = 0
    runs: list[array] = field(default_factory=list)
    first_runs: list[array] = field(default_factory=list)


# Positions in a rollup row (see `_rollup_rows`) of each group's key.
KEY_POSITIONS = {"day": 0, "account": 1, "marketplace": 2, "agent": 3}


def _rollup_rows(*, query: ReportQuery, user: AbstractBaseUser | AnonymousUser) -> list[tuple] | None:
    days = TurnDay.objects.filter(start_day__gte=query.date_from, start_day__lte=query.date_to)
    if not user_sees_all_accounts(user=user):
        account_ids = sorted(account_list_for_user(user=user).values_list("pk", flat=True))
        if not account_ids:
            return None
        days = days.filter(account_id__in=account_ids)
    if query.marketplace:
        days = days.filter(marketplace=query.marketplace)
    if query.account_id is not None:
        days = days.filter(account_id=query.account_id)
    if query.agent_id is not None:
        days = days.filter(agent_id=query.agent_id)
    # The times decoded once here: the page groups the same rows three ways.
    rows = [
        (*row[:-1], times_decode(row[-1]))
        for row in days.order_by().values_list(
            "start_day",
            "account_id",
            "marketplace",
            "agent_id",
            "first",
            "turns",
            "answered",
            "total_seconds",
            "within_day",
            "sla_met",
            "sla_missed",
            "response_times",
        )
    ]
    return _deleted_agents_as_none(rows=rows, agent_filter=query.agent_id)


def _deleted_agents_as_none(*, rows: list[tuple], agent_filter: int | None) -> list[tuple]:
    """A deleted user's turns have no agent any more (`answered_by` is set null): the rollup rows that
    still carry the id count as "no agent" until `rebuild_response_rollup` merges them."""
    agents = {row[3] for row in rows} - {NO_AGENT}
    if not agents:
        return rows
    gone = agents - set(get_user_model().objects.filter(pk__in=agents).values_list("pk", flat=True))
    if not gone:
        return rows
    if agent_filter is not None:
        return [row for row in rows if row[3] not in gone]
    return [(*row[:3], NO_AGENT, *row[4:]) if row[3] in gone else row for row in rows]


def _overdue(*, query: ReportQuery, user: AbstractBaseUser | AnonymousUser) -> list[tuple]:
    """(day, account, marketplace, agent, count) of unanswered turns past their target as of now: few
    (open turns only), read through a partial index."""
    where = _where(query=query, user=user)
    if where is None or query.agent_id is not None:
        # An unanswered turn has no agent: none matches an agent filter.
        return []
    clause, params = where
    table = ResponseTurn._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT start_day, account_id, marketplace, COUNT(*) FROM {table}
            WHERE {clause} AND answered_at IS NULL AND sla_deadline < %s
            GROUP BY start_day, account_id, marketplace
            """,  # noqa: S608 - the table comes from the model; values are parameters
            [*params, timezone.now()],
        )
        return [
            (_as_date(day), account, marketplace, NO_AGENT, count)
            for day, account, marketplace, count in cursor
        ]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _group_figures(*, rows: list[tuple], group_by: str) -> dict[Any, _Figures]:
    position = KEY_POSITIONS[group_by]
    figures: dict[Any, _Figures] = {}
    for row in rows:
        first, turns, answered, total_seconds, within_day, met, missed, times = row[4:]
        group = figures.setdefault(row[position], _Figures())
        group.turns += turns
        group.answered += answered
        group.total_seconds += total_seconds
        group.within_day += within_day
        group.met += met
        group.missed += missed
        if answered:
            group.runs.append(times)
            if first:
                group.first_answered += answered
                group.first_runs.append(times)
    return figures


def _key_value(*, group_by: str, value: Any) -> Any:
    if group_by == "day":
        return _as_date(value).isoformat()
    if group_by == "agent":
        return None if value == NO_AGENT else int(value)
    if group_by == "account":
        return int(value)
    return value


def _report(*, query: ReportQuery, group_by: str, rows: list[tuple], overdue_rows: list[tuple]) -> dict:
    position = KEY_POSITIONS[group_by]
    overdue: dict[Any, int] = {}
    for row in overdue_rows:
        overdue[row[position]] = overdue.get(row[position], 0) + row[4]
    groups = []
    for group_key, group in _group_figures(rows=rows, group_by=group_by).items():
        if not group.turns:
            continue
        missed = group.missed + overdue.get(group_key, 0)
        median, p90 = _percentiles(runs=group.runs)
        first_median, first_p90 = _percentiles(runs=group.first_runs)
        groups.append(
            {
                "key": _key_value(group_by=group_by, value=group_key),
                "turns": group.turns,
                "answered": group.answered,
                "unanswered": group.turns - group.answered,
                "first_response": {
                    "count": group.first_answered,
                    "median_seconds": first_median,
                    "p90_seconds": first_p90,
                },
                "response": {
                    "count": group.answered,
                    "median_seconds": median,
                    "p90_seconds": p90,
                    "mean_seconds": group.total_seconds / group.answered if group.answered else None,
                },
                "answered_within_24h_ratio": group.within_day / group.turns if group.turns else None,
                # Beyond §13 (the page's "SLA met" chart): turns answered by the team's target, out of
                # those whose outcome is known (answered, or unanswered past the target).
                "sla_met_ratio": group.met / (group.met + missed) if group.met + missed else None,
            }
        )
    groups.sort(
        key=lambda group: (group["key"] is None, str(group["key"]) if group["key"] is not None else "")
    )
    if group_by in ("account", "agent"):
        groups.sort(key=lambda group: (group["key"] is None, group["key"] or 0))
    return {
        "from": query.date_from.isoformat(),
        "to": query.date_to.isoformat(),
        "timezone": "Europe/Moscow",
        "group_by": group_by,
        "groups": groups,
    }


@dataclass(frozen=True)
class PageFigures:
    """What /reports/ shows, from one read of the rollup: a report per group and the daily volume of
    buyer turns per marketplace."""

    reports: dict[str, dict[str, Any]]
    volume: dict[str, dict[str, int]]


def response_time_reports(
    *, user: AbstractBaseUser | AnonymousUser, query: ReportQuery, group_bys: tuple[str, ...]
) -> PageFigures:
    """The reports of `query` grouped each of `group_bys` ways (its own `group_by` is ignored), read from
    the `TurnDay` rollup once."""
    rows = _rollup_rows(query=query, user=user)
    if rows is None:
        rows, overdue_rows = [], []
    else:
        overdue_rows = _overdue(query=query, user=user)
    volume: dict[str, dict[str, int]] = {}
    for row in rows:
        if row[5]:
            days = volume.setdefault(row[2], {})
            day = _as_date(row[0]).isoformat()
            days[day] = days.get(day, 0) + row[5]
    return PageFigures(
        reports={
            group_by: _report(query=query, group_by=group_by, rows=rows, overdue_rows=overdue_rows)
            for group_by in group_bys
        },
        volume=volume,
    )


def response_time_report(*, user: AbstractBaseUser | AnonymousUser, query: ReportQuery) -> dict[str, Any]:
    """The JSON of `GET /api/chat/reports/response-times` (DESIGN.md §13)."""
    return response_time_reports(user=user, query=query, group_bys=(query.group_by,)).reports[query.group_by]


def turn_rows_for_user(
    *, user: AbstractBaseUser | AnonymousUser, query: ReportQuery
) -> Iterator[tuple[Any, ...]]:
    """Per-turn rows for the CSV export, oldest first, read in chunks."""
    where = _where(query=query, user=user)
    if where is None:
        return iter(())
    turns = ResponseTurn.objects.filter(start_day__gte=query.date_from, start_day__lte=query.date_to)
    if not user_sees_all_accounts(user=user):
        turns = turns.filter(account_id__in=account_list_for_user(user=user).values("pk"))
    if query.marketplace:
        turns = turns.filter(marketplace=query.marketplace)
    if query.account_id is not None:
        turns = turns.filter(account_id=query.account_id)
    if query.agent_id is not None:
        turns = turns.filter(answered_by_id=query.agent_id)
    return (
        turns.order_by("started_at", "id")
        .values_list(
            "chat_id",
            "account_id",
            "marketplace",
            "sequence",
            "started_at",
            "start_day",
            "answered_at",
            "response_seconds",
            "answered_by_id",
            "sla_deadline",
        )
        .iterator(chunk_size=2000)
    )
