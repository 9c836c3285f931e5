"""The report's clock (docs/reports.md, "Days and time zones"): the day of a figure, days of 23 and 25 hours, and
opening-hours seconds across nights, weekends, holidays and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.callbacks.slots import Holiday, SlotRange, SlotSettings, WeeklyRange
from chalicelib.domain.reports.periods import (
    Measure,
    business_seconds,
    day_bounds,
    day_seconds,
    measure,
    report_day,
    today,
)

PARIS, AUCKLAND = ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Auckland")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


DAY_CASES = [
    ("Paris, one second before local midnight", "2026-12-06T22:59:59", PARIS, date(2026, 12, 6)),
    ("Paris, local midnight: already the next day in Paris, still the 6th in UTC", "2026-12-06T23:00:00", PARIS,
     date(2026, 12, 7)),
    ("Paris in summer (UTC+2)", "2026-07-14T21:59:59", PARIS, date(2026, 7, 14)),
    ("Paris in summer, midnight", "2026-07-14T22:00:00", PARIS, date(2026, 7, 15)),
    ("Auckland (UTC+13 in December), one second before midnight", "2026-12-06T10:59:59", AUCKLAND,
     date(2026, 12, 6)),
    ("Auckland, midnight: the 7th there while UTC's day is the 6th", "2026-12-06T11:00:00", AUCKLAND,
     date(2026, 12, 7)),
    ("Auckland, UTC noon is tomorrow's 1 am", "2026-12-06T12:00:00", AUCKLAND, date(2026, 12, 7)),
    ("Auckland in winter (UTC+12)", "2026-07-14T11:59:59", AUCKLAND, date(2026, 7, 14)),
]


@pytest.mark.parametrize(("stop", "zone", "day"), [(s, z, d) for _, s, z, d in DAY_CASES],
                         ids=[name for name, *_ in DAY_CASES])
def test_the_day_is_the_stop_events_date_on_the_tenants_clock(stop: str, zone: ZoneInfo, day: date) -> None:
    assert report_day(utc(stop), zone) == day
    assert today(utc(stop), zone) == day


LENGTH_CASES = [
    ("Paris, an ordinary day", date(2026, 12, 7), PARIS, 86_400),
    ("Paris, spring forward", date(2026, 3, 29), PARIS, 82_800),
    ("Paris, fall back", date(2026, 10, 25), PARIS, 90_000),
    ("Auckland, summer time ends", date(2026, 4, 5), AUCKLAND, 90_000),
    ("Auckland, summer time starts", date(2026, 9, 27), AUCKLAND, 82_800),
]


@pytest.mark.parametrize(("day", "zone", "seconds"), [(d, z, s) for _, d, z, s in LENGTH_CASES],
                         ids=[name for name, *_ in LENGTH_CASES])
def test_a_day_lasts_23_or_25_hours_when_daylight_saving_changes(day: date, zone: ZoneInfo, seconds: int) -> None:
    assert day_seconds(day, zone) == seconds


def test_day_bounds_are_local_midnights_in_utc() -> None:
    assert day_bounds(date(2026, 3, 29), PARIS) == (utc("2026-03-28T23:00:00"), utc("2026-03-29T22:00:00"))
    assert day_bounds(date(2026, 12, 7), AUCKLAND) == (utc("2026-12-06T11:00:00"), utc("2026-12-07T11:00:00"))


def _weekdays(start: time, end: time) -> tuple[WeeklyRange, ...]:
    return tuple(WeeklyRange(d, SlotRange(start, end, 1)) for d in range(5))


CHRISTMAS_EVE = Holiday(date(2026, 12, 24), (SlotRange(time(9), time(12), 1),))  # the morning only
OFFICE = SlotSettings(weekly=_weekdays(time(9), time(17)), time_zone="Europe/Paris",
                      holidays=(Holiday(date(2026, 12, 25)), CHRISTMAS_EVE))
NIGHTS = SlotSettings(weekly=tuple(WeeklyRange(d, SlotRange(time(0), time(6), 1)) for d in range(7)),
                      time_zone="Europe/Paris")
ACROSS_GAP = SlotSettings(weekly=(WeeklyRange(6, SlotRange(time(1, 30), time(3, 30), 1)),), time_zone="Europe/Paris")
INSIDE_GAP = SlotSettings(weekly=(WeeklyRange(6, SlotRange(time(2, 30), time(4), 1)),), time_zone="Europe/Paris")

BUSINESS_CASES = [
    ("inside one opening range", OFFICE, "2026-12-07T09:00:00", "2026-12-07T09:10:00", 600),  # Mon 10:00-10:10 Paris
    ("before opening: only the open part counts", OFFICE, "2026-12-07T07:30:00", "2026-12-07T08:30:00", 1800),
    ("overnight: closing to opening is nothing", OFFICE, "2026-12-07T16:00:00", "2026-12-08T08:00:00", 0),
    ("Friday 16:00 to Monday 10:00 Paris: one hour each side of the weekend", OFFICE, "2026-12-11T15:00:00",
     "2026-12-14T09:00:00", 7200),
    ("a holiday with its own morning, then a closed holiday", OFFICE, "2026-12-24T07:00:00", "2026-12-26T07:00:00",
     3 * 3600),
    ("a range from midnight to 06:00 on the 23-hour day lasts 5 hours", NIGHTS, "2026-03-28T22:00:00",
     "2026-03-29T22:00:00", 5 * 3600),
    ("the same range on the 25-hour day lasts 7 hours", NIGHTS, "2026-10-24T22:00:00", "2026-10-25T23:00:00",
     7 * 3600),
    ("01:30 to 03:30 across the spring gap is one real hour", ACROSS_GAP, "2026-03-28T23:00:00",
     "2026-03-29T22:00:00", 3600),
    ("a range starting in the skipped hour starts at its summer-time reading (02:30 is 03:30)", INSIDE_GAP,
     "2026-03-28T23:00:00", "2026-03-29T22:00:00", 1800),
    ("a span that stops before it starts is nothing", OFFICE, "2026-12-07T10:00:00", "2026-12-07T09:00:00", 0),
]


@pytest.mark.parametrize(("hours", "start", "stop", "seconds"), [(h, a, b, s) for _, h, a, b, s in BUSINESS_CASES],
                         ids=[name for name, *_ in BUSINESS_CASES])
def test_business_seconds(hours: SlotSettings, start: str, stop: str, seconds: int) -> None:
    assert business_seconds(utc(start), utc(stop), hours) == seconds


def test_business_seconds_across_the_spring_change_while_the_calendar_says_a_full_day() -> None:
    start, stop = utc("2026-03-28T23:00:00"), utc("2026-03-29T22:00:00")  # Paris's whole 23-hour day
    assert (stop - start).total_seconds() == 82_800
    assert business_seconds(start, stop, NIGHTS) == 18_000


def test_a_measure_keeps_the_stop_day_and_both_durations() -> None:
    # Friday 16:30 Paris to Monday 00:30 Paris: 56 calendar hours, 30 open minutes, Monday's figure.
    start, stop = utc("2026-12-11T15:30:00"), utc("2026-12-13T23:30:00")
    assert measure(start, stop, PARIS, OFFICE) == Measure(date(2026, 12, 14), 201_600.0, 1800.0)
    assert measure(start, stop, AUCKLAND, None) == Measure(date(2026, 12, 14), 201_600.0, None)
    with pytest.raises(ValueError):
        measure(stop, start, PARIS, OFFICE)


def test_times_must_carry_a_zone() -> None:
    with pytest.raises(ValueError):
        report_day(datetime(2026, 12, 7, 9), PARIS)
    with pytest.raises(ValueError):
        business_seconds(datetime(2026, 12, 7, 9), utc("2026-12-07T10:00:00"), OFFICE)
