"""`TurnDay`: the response turns added up per day and group, kept as the turns change (DESIGN.md §13).

A stored turn contributes to the row of its (Moscow day, account, marketplace, agent, first?): counts,
sums and its response time inserted into the row's sorted array. Rewriting a chat's turns removes the
old ones and adds the new ones here, in the same transaction.
"""

import sys
from array import array
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from django.db import transaction

from service.models import ResponseTurn, TurnDay

DAY_SECONDS = 86_400
NO_AGENT = 0
PROGRESS_EVERY = 10_000
Key = tuple[date, int, str, int, bool]


class TurnFact(NamedTuple):
    """What one turn adds to its row."""

    start_day: date
    account_id: int
    marketplace: str
    agent_id: int | None
    first: bool
    response_seconds: int | None
    sla_met: bool | None

    @property
    def key(self) -> Key:
        return (self.start_day, self.account_id, self.marketplace, self.agent_id or NO_AGENT, self.first)


@dataclass
class _Delta:
    turns: int = 0
    answered: int = 0
    total_seconds: int = 0
    within_day: int = 0
    sla_met: int = 0
    sla_missed: int = 0
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def count(self, *, fact: TurnFact, sign: int) -> None:
        self.turns += sign
        if fact.sla_met is not None:
            if fact.sla_met:
                self.sla_met += sign
            else:
                self.sla_missed += sign
        seconds = fact.response_seconds
        if seconds is None:
            return
        self.answered += sign
        self.total_seconds += sign * seconds
        if seconds <= DAY_SECONDS:
            self.within_day += sign
        (self.added if sign > 0 else self.removed).append(seconds)


def times_decode(value: bytes | memoryview) -> array:
    times = array("I")
    times.frombytes(bytes(value))
    if sys.byteorder == "big":
        times.byteswap()
    return times


def times_encode(times: array) -> bytes:
    if sys.byteorder == "big":
        times = array("I", times)
        times.byteswap()
    return times.tobytes()


def _deltas(*, removed: Iterable[TurnFact], added: Iterable[TurnFact]) -> dict[Key, _Delta]:
    deltas: dict[Key, _Delta] = {}
    for sign, facts in ((-1, removed), (1, added)):
        for fact in facts:
            key = fact.key
            delta = deltas.get(key)
            if delta is None:
                # Not setdefault: that would build a _Delta for every turn, used or not.
                delta = deltas[key] = _Delta()
            delta.count(fact=fact, sign=sign)
    # A turn rewritten unchanged (another turn of its chat moved) cancels out: no write for it.
    for delta in deltas.values():
        if delta.added and delta.removed:
            added, removed = Counter(delta.added), Counter(delta.removed)
            common = added & removed
            delta.added = list((added - common).elements())
            delta.removed = list((removed - common).elements())
    return {
        key: delta
        for key, delta in deltas.items()
        if delta.added or delta.removed or any((delta.turns, delta.sla_met, delta.sla_missed))
    }


def _rows_locked(*, keys: set[Key]) -> dict[Key, TurnDay]:
    rows = (
        TurnDay.objects.filter(
            start_day__in={key[0] for key in keys}, account_id__in={key[1] for key in keys}
        )
        .order_by("pk")
        .select_for_update()
    )
    return {
        key: row
        for row in rows
        for key in [(row.start_day, row.account_id, row.marketplace, row.agent_id, row.first)]
        if key in keys
    }


UPDATED_FIELDS = (
    "turns",
    "answered",
    "total_seconds",
    "within_day",
    "sla_met",
    "sla_missed",
    "response_times",
)


def turn_days_apply(*, removed: Iterable[TurnFact], added: Iterable[TurnFact]) -> None:
    """Move the rollup from the `removed` turns to the `added` ones (the caller's transaction)."""
    deltas = _deltas(removed=removed, added=added)
    if not deltas:
        return
    _deltas_apply(deltas=deltas)


def _deltas_apply(*, deltas: dict[Key, _Delta]) -> None:
    # Imported here: inbox.services imports the turns (the ingest hook), which import this module.
    from inbox.services.bulk import rows_insert_ignoring_conflicts, rows_update_by_pk

    with transaction.atomic(savepoint=False):
        rows = _rows_locked(keys=set(deltas))
        missing = set(deltas) - set(rows)
        if missing:
            # Created empty first, then locked and counted like the others: two writers creating the
            # same row meet at the unique key instead of one overwriting the other.
            rows_insert_ignoring_conflicts(
                model=TurnDay,
                rows=[
                    {
                        "start_day": day,
                        "account_id": account,
                        "marketplace": marketplace,
                        "agent_id": agent,
                        "first": first,
                    }
                    for day, account, marketplace, agent, first in sorted(missing)
                ],
                now=None,
            )
            rows.update(_rows_locked(keys=missing))
        for key, delta in deltas.items():
            row = rows[key]
            row.turns += delta.turns
            row.answered += delta.answered
            row.total_seconds += delta.total_seconds
            row.within_day += delta.within_day
            row.sla_met += delta.sla_met
            row.sla_missed += delta.sla_missed
            if delta.added or delta.removed:
                times = times_decode(row.response_times)
                for seconds in delta.removed:
                    index = bisect_left(times, seconds)
                    if index < len(times) and times[index] == seconds:
                        del times[index]
                for seconds in delta.added:
                    insort(times, seconds)
                row.response_times = times_encode(times)
        rows_update_by_pk(
            model=TurnDay,
            field_names=UPDATED_FIELDS,
            rows=(
                (row.pk, [getattr(row, name) for name in UPDATED_FIELDS])
                for key in deltas
                for row in [rows[key]]
            ),
        )


def turn_fact(values: Mapping[str, Any]) -> TurnFact:
    """What a turn adds to the rollup, from its columns (FACT_COLUMNS): a stored row's or a new one's."""
    return TurnFact(
        start_day=values["start_day"],
        account_id=values["account_id"],
        marketplace=values["marketplace"],
        agent_id=values["answered_by_id"],
        first=values["sequence"] == 0,
        response_seconds=values["response_seconds"],
        sla_met=values["sla_met"],
    )


FACT_COLUMNS = (
    "start_day",
    "account_id",
    "marketplace",
    "answered_by_id",
    "sequence",
    "response_seconds",
    "sla_met",
)


def chat_turns_forget(*, chat_ids: Iterable[int]) -> int:
    """Take the turns of chats about to be deleted out of the rollup and delete them; returns how many.

    Run in the transaction that deletes the chats (a deleted chat's turns go with it, the rollup would
    keep counting them)."""
    chat_ids = sorted(set(chat_ids))
    with transaction.atomic(savepoint=False):
        turns = ResponseTurn.objects.filter(chat_id__in=chat_ids)
        facts = [turn_fact(row) for row in turns.order_by().values(*FACT_COLUMNS)]
        turn_days_apply(removed=facts, added=())
        turns.delete()
    return len(facts)


@dataclass(frozen=True)
class RebuildScope:
    """Which rows a rebuild recounts: all, or those of one account and/or a range of days (inclusive)."""

    account_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def filters(self) -> dict[str, object]:
        filters: dict[str, object] = {}
        if self.account_id is not None:
            filters["account_id"] = self.account_id
        if self.date_from is not None:
            filters["start_day__gte"] = self.date_from
        if self.date_to is not None:
            filters["start_day__lte"] = self.date_to
        return filters


def turn_days_rebuild(
    *, scope: RebuildScope | None = None, progress: Callable[[int], None] | None = None
) -> int:
    """Recount the rows of `scope` (all by default) from the stored turns (after turns were changed
    outside `chat_turns_refresh`, e.g. a chat or a user deleted); returns the number of rows.

    Idempotent: the rows of the scope are replaced by a recount, in one transaction. `progress` is told
    how many turns were read so far, every 10,000."""
    filters = (scope or RebuildScope()).filters()
    stored = (
        ResponseTurn.objects.filter(**filters)
        .order_by()
        .values(*FACT_COLUMNS)
        .iterator(chunk_size=PROGRESS_EVERY)
    )

    def facts() -> Iterator[TurnFact]:
        for count, row in enumerate(stored, start=1):
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
            yield turn_fact(row)

    with transaction.atomic():
        deltas = _deltas(removed=(), added=facts())
        TurnDay.objects.filter(**filters).delete()
        rows = []
        for (day, account, marketplace, agent, first), delta in deltas.items():
            rows.append(
                TurnDay(
                    start_day=day,
                    account_id=account,
                    marketplace=marketplace,
                    agent_id=agent,
                    first=first,
                    turns=delta.turns,
                    answered=delta.answered,
                    total_seconds=delta.total_seconds,
                    within_day=delta.within_day,
                    sla_met=delta.sla_met,
                    sla_missed=delta.sla_missed,
                    response_times=times_encode(array("I", sorted(delta.added))),
                )
            )
        TurnDay.objects.bulk_create(rows, batch_size=500)
    return len(rows)
