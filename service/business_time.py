"""Business-time arithmetic on the Russian production calendar (`holidays`, country RU).

`holidays` follows each year's government decree: public holidays, the days off they move to
("Выходной (перенесено с …)") and the Saturdays that become working days (`weekend_workdays`).
Hours are local to the policy's time zone; each day's interval is converted to UTC before any
arithmetic (aware datetimes of one zone subtract as wall-clock times).
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

# A deadline further than this is not a business deadline any more (a policy with no open hours).
SEARCH_DAYS = 3 * 366
MONDAY = 0


class BusinessHours(Protocol):
    time_zone: str
    observe_production_calendar: bool

    def hours_for(self, *, weekday: int) -> tuple[time, time] | None: ...


@lru_cache(maxsize=16)
def _russian_calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=[year])


def working_day_kind(*, day: date) -> str:
    """`holiday` (a public holiday or a day off moved by decree), `transferred` (a weekend day made a
    working day), `weekend` or `working`, per the Russian production calendar."""
    calendar = _russian_calendar(day.year)
    if day in calendar:
        return "holiday"
    if day.weekday() >= 5:
        return "transferred" if day in calendar.weekend_workdays else "weekend"
    return "working"


def _day_hours(*, policy: BusinessHours, day: date) -> tuple[time, time] | None:
    if not policy.observe_production_calendar:
        return policy.hours_for(weekday=day.weekday())
    kind = working_day_kind(day=day)
    if kind == "holiday":
        return None
    if kind == "transferred":
        # A Saturday made a working day works a normal weekday's hours.
        return policy.hours_for(weekday=MONDAY)
    return policy.hours_for(weekday=day.weekday())


def _open_intervals(*, policy: BusinessHours, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    zone = ZoneInfo(policy.time_zone)
    day = start.astimezone(zone).date()
    for _offset in range(SEARCH_DAYS):
        hours = _day_hours(policy=policy, day=day)
        if hours is not None:
            opens, closes = hours
            begin = datetime.combine(day, opens, tzinfo=zone)
            end = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                if closes == time(0)
                else datetime.combine(day, closes, tzinfo=zone)
            )
            begin, end = begin.astimezone(UTC), end.astimezone(UTC)
            if end > start:
                yield max(begin, start), end
        day += timedelta(days=1)


def is_around_the_clock(*, policy: BusinessHours) -> bool:
    # Cached on the policy object: a refresh asks once per turn.
    cached = getattr(policy, "_around_the_clock", None)
    if cached is None:
        cached = not policy.observe_production_calendar and all(
            policy.hours_for(weekday=weekday) == (time(0), time(0)) for weekday in range(7)
        )
        policy._around_the_clock = cached  # type: ignore[attr-defined]
    return cached


def business_deadline(*, start: datetime, seconds: int, policy: BusinessHours) -> datetime:
    """The moment `seconds` of the policy's business time have passed since `start`.

    Nights, days off and holidays do not count; a start outside business hours begins counting at the
    next opening. Raises ValueError when the policy has no business hours in the next three years.
    """
    if is_around_the_clock(policy=policy):
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    for begin, end in _open_intervals(policy=policy, start=start):
        if begin + remaining <= end:
            return begin + remaining
        remaining -= end - begin
    raise ValueError("The SLA policy has no business hours")
