"""Business-time deadlines on the Russian production calendar (holidays, RU)."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from service.business_time import business_deadline, working_day_kind
from service.models import WEEKDAYS, SlaPolicy

MOSCOW = ZoneInfo("Europe/Moscow")


def office_policy(*, calendar: bool = True) -> SlaPolicy:
    """Monday to Friday 09:00–18:00 Moscow, weekends off."""
    hours = {}
    for index, day in enumerate(WEEKDAYS):
        hours[f"{day}_opens"] = time(9) if index < 5 else None
        hours[f"{day}_closes"] = time(18) if index < 5 else None
    return SlaPolicy(name="office", observe_production_calendar=calendar, **hours)


def moscow(*args: int) -> datetime:
    return datetime(*args, tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # Inside the day.
        (moscow(2026, 11, 25, 10, 0), 60, moscow(2026, 11, 25, 11, 0)),
        # Crossing the night: 30 min on Wednesday, 30 on Thursday.
        (moscow(2026, 11, 25, 17, 30), 60, moscow(2026, 11, 26, 9, 30)),
        # Across a weekend: Friday 17:30 + 60 min -> Monday 09:30.
        (moscow(2026, 11, 27, 17, 30), 60, moscow(2026, 11, 30, 9, 30)),
        # Written on Saturday: counting starts on Monday at 09:00.
        (moscow(2026, 11, 28, 12, 0), 60, moscow(2026, 11, 30, 10, 0)),
        # 4 November 2026 (Wednesday) is Unity Day: Tuesday 17:00 + 2 h -> Thursday 10:00.
        (moscow(2026, 11, 3, 17, 0), 120, moscow(2026, 11, 5, 10, 0)),
        # New Year holidays 2026: 31 Dec 2025 (moved from 5 Jan), 1–8 Jan, 9 Jan (moved from 3 Jan),
        # then the weekend: Tuesday 30 Dec 17:00 + 2 h -> Monday 12 Jan 10:00.
        (moscow(2025, 12, 30, 17, 0), 120, moscow(2026, 1, 12, 10, 0)),
        # A transferred working day: Saturday 1 November 2025 works (Monday's hours); Monday 3 Nov and
        # Tuesday 4 Nov are off. Friday 31 Oct 17:00 + 2 h -> Saturday 1 Nov 10:00.
        (moscow(2025, 10, 31, 17, 0), 120, moscow(2025, 11, 1, 10, 0)),
        # And from that Saturday evening: + 2 h -> Wednesday 5 Nov 10:00.
        (moscow(2025, 11, 1, 17, 0), 120, moscow(2025, 11, 5, 10, 0)),
    ],
)
def test_business_deadline_skips_nights_weekends_and_holidays(start, minutes, expected):
    assert business_deadline(start=start, seconds=minutes * 60, policy=office_policy()) == expected


def test_without_the_calendar_a_holiday_is_an_ordinary_weekday():
    start = moscow(2026, 11, 3, 17, 0)
    assert business_deadline(start=start, seconds=7200, policy=office_policy(calendar=False)) == moscow(
        2026, 11, 4, 10, 0
    )


def test_the_calendar_knows_holidays_moved_days_off_and_transferred_working_days():
    assert working_day_kind(day=datetime(2026, 11, 4).date()) == "holiday"
    assert working_day_kind(day=datetime(2025, 11, 3).date()) == "holiday"  # moved from Saturday 1 Nov
    assert working_day_kind(day=datetime(2025, 11, 1).date()) == "transferred"
    assert working_day_kind(day=datetime(2024, 12, 28).date()) == "transferred"
    assert working_day_kind(day=datetime(2026, 11, 28).date()) == "weekend"
    assert working_day_kind(day=datetime(2026, 11, 27).date()) == "working"


def test_around_the_clock_is_plain_addition():
    hours = {f"{day}_{edge}": time(0) for day in WEEKDAYS for edge in ("opens", "closes")}
    policy = SlaPolicy(name="24/7", **hours)
    start = datetime(2026, 11, 4, 23, 30, tzinfo=UTC)
    assert business_deadline(start=start, seconds=3600, policy=policy) == datetime(
        2026, 11, 5, 0, 30, tzinfo=UTC
    )


def test_a_policy_without_hours_is_refused():
    with pytest.raises(ValueError, match="no business hours"):
        business_deadline(start=moscow(2026, 11, 25, 10, 0), seconds=60, policy=SlaPolicy(name="none"))
