"""Response-time reports over `ResponseTurn` (DESIGN.md §13), never over messages.

One scan of the turns per report: on PostgreSQL one GROUP BY with percentile_disc (nearest rank,
⌈p·n⌉); on SQLite a GROUP BY into a histogram of response times per group, walked in Python.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.utils import timezone

from accounts.selectors import account_list_for_user, user_sees_all_accounts
from service.models import ResponseTurn

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


def _key_value(*, group_by: str, value: Any) -> Any:
    if value is None:
        return None
    if group_by == "day":
        return value.isoformat() if isinstance(value, date) else str(value)
    if group_by in ("account", "agent"):
        return int(value)
    return value


def _rank(count: int, percent: int) -> int:
    """Nearest rank: ⌈p·n⌉ in integers."""
    return (percent * count + 99) // 100


def _percentiles_from_histogram(histogram: list[tuple[int, int]]) -> tuple[int | None, int | None]:
    """Median and p90 from (value, count) pairs in ascending value order."""
    total = sum(count for _value, count in histogram)
    if not total:
        return None, None
    wanted = {50: _rank(total, 50), 90: _rank(total, 90)}
    found: dict[int, int] = {}
    seen = 0
    for value, count in histogram:
        seen += count
        for percent, rank in wanted.items():
            if percent not in found and seen >= rank:
                found[percent] = value
        if len(found) == len(wanted):
            break
    return found[50], found[90]


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
    median: int | None = None
    p90: int | None = None
    first_median: int | None = None
    first_p90: int | None = None


def _figures_postgresql(*, cursor: Any, key: str, table: str, clause: str, params: list[Any]) -> dict:
    # percentile_disc is the nearest-rank method (the first value whose cumulative share reaches p).
    cursor.execute(
        f"""
        SELECT {key}, COUNT(*), COUNT(response_seconds), SUM(response_seconds),
               COUNT(*) FILTER (WHERE response_seconds <= {DAY_SECONDS}),
               COUNT(response_seconds) FILTER (WHERE sequence = 0),
               COUNT(*) FILTER (WHERE sla_met), COUNT(*) FILTER (WHERE NOT sla_met),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds),
               percentile_disc(0.9) WITHIN GROUP (ORDER BY response_seconds),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds) FILTER (WHERE sequence = 0),
               percentile_disc(0.9) WITHIN GROUP (ORDER BY response_seconds) FILTER (WHERE sequence = 0)
        FROM {table} WHERE {clause} GROUP BY {key}
        """,  # noqa: S608 - the key and table come from constants; values are parameters
        params,
    )
    return {
        row[0]: _Figures(*[int(value or 0) for value in row[1:8]], *row[8:12]) for row in cursor.fetchall()
    }


def _figures_sqlite(*, cursor: Any, key: str, table: str, clause: str, params: list[Any]) -> dict:
    """One scan of the covering index: a count per distinct (group, first?, response time, SLA met), from
    which the totals and the nearest ranks are walked here (fewer rows than turns)."""
    cursor.execute(
        f"""
        SELECT {key}, sequence = 0, response_seconds, sla_met, COUNT(*)
        FROM {table} WHERE {clause}
        GROUP BY {key}, sequence = 0, response_seconds, sla_met
        ORDER BY {key}, response_seconds
        """,  # noqa: S608
        params,
    )
    figures: dict[Any, _Figures] = {}
    every: dict[Any, dict[int, int]] = {}
    first: dict[Any, dict[int, int]] = {}
    for group_key, is_first, seconds, sla_met, count in cursor.fetchall():
        group = figures.setdefault(group_key, _Figures())
        group.turns += count
        if sla_met is not None:
            if sla_met:
                group.met += count
            else:
                group.missed += count
        if seconds is None:
            continue
        group.answered += count
        group.total_seconds += seconds * count
        if seconds <= DAY_SECONDS:
            group.within_day += count
        histogram = every.setdefault(group_key, {})
        histogram[seconds] = histogram.get(seconds, 0) + count
        if is_first:
            group.first_answered += count
            first_histogram = first.setdefault(group_key, {})
            first_histogram[seconds] = first_histogram.get(seconds, 0) + count
    for group_key, group in figures.items():
        group.median, group.p90 = _percentiles_from_histogram(list(every.get(group_key, {}).items()))
        group.first_median, group.first_p90 = _percentiles_from_histogram(
            list(first.get(group_key, {}).items())
        )
    return figures


def response_time_report(*, user: AbstractBaseUser | AnonymousUser, query: ReportQuery) -> dict[str, Any]:
    """The JSON of `GET /api/chat/reports/response-times` (DESIGN.md §13)."""
    report: dict[str, Any] = {
        "from": query.date_from.isoformat(),
        "to": query.date_to.isoformat(),
        "timezone": "Europe/Moscow",
        "group_by": query.group_by,
        "groups": [],
    }
    where = _where(query=query, user=user)
    if where is None:
        return report
    clause, params = where
    key = GROUP_KEYS[query.group_by]
    table = ResponseTurn._meta.db_table
    now = timezone.now()
    # Unanswered turns past their target: few (open turns only), read through a partial index.
    overdue_sql = f"""
        SELECT {key}, COUNT(*) FROM {table}
        WHERE {clause} AND answered_at IS NULL AND sla_deadline < %s GROUP BY {key}
    """  # noqa: S608 - the key and table come from constants; values are parameters
    figures_of = _figures_postgresql if connection.vendor == "postgresql" else _figures_sqlite
    with connection.cursor() as cursor:
        figures = figures_of(cursor=cursor, key=key, table=table, clause=clause, params=params)
        cursor.execute(overdue_sql, [*params, now])
        overdue = dict(cursor.fetchall())
    groups = []
    for group_key, group in figures.items():
        missed = group.missed + overdue.get(group_key, 0)
        groups.append(
            {
                "key": _key_value(group_by=query.group_by, value=group_key),
                "turns": group.turns,
                "answered": group.answered,
                "unanswered": group.turns - group.answered,
                "first_response": {
                    "count": group.first_answered,
                    "median_seconds": group.first_median,
                    "p90_seconds": group.first_p90,
                },
                "response": {
                    "count": group.answered,
                    "median_seconds": group.median,
                    "p90_seconds": group.p90,
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
    if query.group_by in ("account", "agent"):
        groups.sort(key=lambda group: (group["key"] is None, group["key"] or 0))
    report["groups"] = groups
    return report


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
