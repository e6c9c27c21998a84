"""Response-time reports over `ResponseTurn` (DESIGN.md §13), never over messages.

Counts per group come from one GROUP BY; nearest-rank percentiles (rank ⌈p·n⌉) from PostgreSQL's
percentile_disc, or on SQLite from a histogram of response times per group.
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


def _percentiles(*, cursor: Any, key: str, table: str, clause: str, params: list[Any]) -> dict[Any, tuple]:
    """(median, p90, first median, first p90) per group key.

    PostgreSQL's percentile_disc is the nearest-rank method; elsewhere the database counts each distinct
    response time per group (a histogram, far fewer rows than turns) and the ranks are walked here.
    """
    if connection.vendor == "postgresql":
        cursor.execute(
            f"""
            SELECT {key},
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds),
                   percentile_disc(0.9) WITHIN GROUP (ORDER BY response_seconds),
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds) FILTER (WHERE sequence = 0),
                   percentile_disc(0.9) WITHIN GROUP (ORDER BY response_seconds) FILTER (WHERE sequence = 0)
            FROM {table} WHERE {clause} AND response_seconds IS NOT NULL GROUP BY {key}
            """,  # noqa: S608 - the key and table come from constants; values are parameters
            params,
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}
    cursor.execute(
        f"""
        SELECT {key}, sequence = 0, response_seconds, COUNT(*)
        FROM {table} WHERE {clause} AND response_seconds IS NOT NULL
        GROUP BY {key}, sequence = 0, response_seconds
        ORDER BY {key}, response_seconds
        """,  # noqa: S608
        params,
    )
    every: dict[Any, list[tuple[int, int]]] = {}
    first: dict[Any, list[tuple[int, int]]] = {}
    merged: dict[Any, dict[int, int]] = {}
    for group_key, is_first, seconds, count in cursor.fetchall():
        merged.setdefault(group_key, {})
        merged[group_key][seconds] = merged[group_key].get(seconds, 0) + count
        if is_first:
            first.setdefault(group_key, []).append((seconds, count))
    for group_key, histogram in merged.items():
        every[group_key] = list(histogram.items())
    return {
        group_key: (
            *_percentiles_from_histogram(histogram),
            *_percentiles_from_histogram(first.get(group_key, [])),
        )
        for group_key, histogram in every.items()
    }


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
    counts_sql = f"""
        SELECT {key} AS group_key,
               COUNT(*),
               COUNT(response_seconds),
               SUM(response_seconds),
               SUM(CASE WHEN response_seconds <= {DAY_SECONDS} THEN 1 ELSE 0 END),
               SUM(CASE WHEN sequence = 0 AND response_seconds IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN sla_met THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT sla_met THEN 1 ELSE 0 END)
        FROM {table} WHERE {clause} GROUP BY {key}
    """  # noqa: S608 - the key and table come from constants; values are parameters
    # Unanswered turns past their target: few (open turns only), read through a partial index.
    overdue_sql = f"""
        SELECT {key}, COUNT(*) FROM {table}
        WHERE {clause} AND answered_at IS NULL AND sla_deadline < %s GROUP BY {key}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(counts_sql, params)
        counts = cursor.fetchall()
        cursor.execute(overdue_sql, [*params, now])
        overdue = dict(cursor.fetchall())
        ranks = _percentiles(cursor=cursor, key=key, table=table, clause=clause, params=params)
    groups = []
    for group_key, turns, answered, total_seconds, within_day, first_answered, met, missed in counts:
        missed = int(missed or 0) + overdue.get(group_key, 0)
        median, p90, first_median, first_p90 = ranks.get(group_key, (None, None, None, None))
        groups.append(
            {
                "key": _key_value(group_by=query.group_by, value=group_key),
                "turns": turns,
                "answered": answered,
                "unanswered": turns - answered,
                "first_response": {
                    "count": int(first_answered or 0),
                    "median_seconds": first_median,
                    "p90_seconds": first_p90,
                },
                "response": {
                    "count": answered,
                    "median_seconds": median,
                    "p90_seconds": p90,
                    "mean_seconds": (float(total_seconds) / answered) if answered else None,
                },
                "answered_within_24h_ratio": (int(within_day or 0) / turns) if turns else None,
                # Beyond §13 (the page's "SLA met" chart): turns answered by the team's target, out of
                # those whose outcome is known (answered, or unanswered past the target).
                "sla_met_ratio": (int(met or 0) / (int(met or 0) + int(missed or 0)))
                if (met or missed)
                else None,
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
