"""Opening hours (issue 16): parsing with per-field errors, is_open and next_opening on the tenant's wall clock,
periods past midnight, holidays, overrides and daylight saving; property tests against a naive minute-by-minute
evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.opening_hours import (
    DAYS,
    OpeningHours,
    hours_from_json,
    hours_to_json,
    is_open,
    next_opening,
    open_on,
    periods_on,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def hours(**given: object) -> OpeningHours:
    return hours_from_json({"enabled": True, **given})


def test_disabled_hours_are_always_open_and_the_default() -> None:
    default = OpeningHours()
    assert default.enabled is False
    assert is_open(default, paris(2026, 12, 6, 3, 0))  # a Sunday night
    assert next_opening(default, paris(2026, 12, 6, 3, 0)) == paris(2026, 12, 6, 3, 0)
    assert hours_to_json(default)["weekly"]["mon"] == [["09:00", "18:00"]]
    assert hours_to_json(default)["weekly"]["sat"] == []


def test_several_periods_a_day_open_at_start_and_close_at_end() -> None:
    h = hours(weekly={"mon": [["14:00", "18:00"], ["09:00", "12:00"]]})
    monday = (2026, 12, 7)
    assert [is_open(h, paris(*monday, hh, mm)) for hh, mm in
            [(8, 59), (9, 0), (11, 59), (12, 0), (13, 59), (14, 0), (17, 59), (18, 0)]] == \
        [False, True, True, False, False, True, True, False]
    assert hours_to_json(h)["weekly"]["mon"] == [["09:00", "12:00"], ["14:00", "18:00"]]  # kept by start
    assert next_opening(h, paris(*monday, 12, 30)) == paris(*monday, 14, 0).astimezone(UTC)
    assert next_opening(h, paris(*monday, 18, 0)) == paris(2026, 12, 14, 9, 0).astimezone(UTC)  # next Monday


def test_a_period_past_midnight_counts_on_the_next_day_until_its_end() -> None:
    h = hours(weekly={"fri": [["22:00", "02:00"]]})
    assert not is_open(h, paris(2026, 12, 11, 21, 59))
    assert is_open(h, paris(2026, 12, 11, 22, 0))
    assert is_open(h, paris(2026, 12, 12, 1, 59))  # Saturday, from Friday's period
    assert not is_open(h, paris(2026, 12, 12, 2, 0))
    assert not is_open(h, paris(2026, 12, 12, 22, 30))  # Saturday has no period of its own
    whole = hours(weekly={"sun": [["00:00", "00:00"]]})
    assert is_open(whole, paris(2026, 12, 13, 0, 0)) and is_open(whole, paris(2026, 12, 13, 23, 59))
    assert not is_open(whole, paris(2026, 12, 14, 0, 0))


def test_holidays_close_all_day_and_overrides_replace_a_dates_periods() -> None:
    h = hours(weekly={day: [["20:00", "02:00"]] for day in DAYS}, holidays=["2026-12-25"],
              overrides=[{"date": "2026-12-24", "periods": [["09:00", "12:00"]]},
                         {"date": "2026-12-31", "periods": []}])
    assert not is_open(h, paris(2026, 12, 25, 1, 0))  # the 24th's override has no evening; the 25th is a holiday
    assert not is_open(h, paris(2026, 12, 25, 21, 0))
    assert is_open(h, paris(2026, 12, 24, 10, 0)) and not is_open(h, paris(2026, 12, 24, 21, 0))
    assert is_open(h, paris(2026, 12, 24, 1, 0))  # the 23rd's tail runs into the override's date
    assert not is_open(h, paris(2026, 12, 31, 21, 0))
    assert is_open(h, paris(2026, 12, 31, 1, 0))  # the 30th's tail
    assert [open_on(h, date(2026, 12, d)) for d in (24, 25, 26, 31)] == [True, False, True, False]
    assert periods_on(h, date(2026, 12, 31)) == ()
    assert next_opening(h, paris(2026, 12, 24, 12, 0)) == paris(2026, 12, 26, 20, 0).astimezone(UTC)


def test_a_holiday_cuts_the_evening_befores_tail_at_midnight() -> None:
    h = hours(weekly={"thu": [["22:00", "03:00"]]}, holidays=["2026-12-25"])  # the 24th is a Thursday
    assert is_open(h, paris(2026, 12, 24, 23, 59))
    assert not is_open(h, paris(2026, 12, 25, 0, 30))


def test_periods_stay_on_the_wall_clock_across_daylight_saving() -> None:
    h = hours(weekly={day: [["09:00", "18:00"]] for day in DAYS})
    assert is_open(h, datetime(2026, 3, 28, 8, 0, tzinfo=UTC))  # 09:00 winter time
    assert not is_open(h, datetime(2026, 3, 29, 6, 30, tzinfo=UTC))  # 08:30 summer time
    assert is_open(h, datetime(2026, 3, 29, 7, 0, tzinfo=UTC))  # 09:00 summer time
    assert next_opening(h, datetime(2026, 3, 29, 3, 0, tzinfo=UTC)) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_a_start_skipped_by_the_clock_opens_at_the_first_minute_that_exists() -> None:
    h = hours(weekly={"sun": [["02:30", "04:00"]]})  # 2026-03-29: Paris goes from 02:00 to 03:00
    assert next_opening(h, datetime(2026, 3, 28, 22, 0, tzinfo=UTC)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_next_opening_is_none_when_never_open() -> None:
    assert next_opening(hours(weekly={}), paris(2026, 12, 7, 10, 0)) is None


def test_a_round_trip_gives_back_equal_hours() -> None:
    h = hours(time_zone="America/New_York", weekly={"mon": [["09:00", "12:00"]], "fri": [["22:00", "02:00"]]},
              holidays=["2026-12-25", "2026-01-01"], overrides=[{"date": "2026-07-03", "periods": []}])
    assert hours_from_json(hours_to_json(h)) == h
    assert hours_to_json(h)["holidays"] == ["2026-01-01", "2026-12-25"]


def test_a_partial_update_keeps_the_keys_not_given() -> None:
    h = hours(time_zone="Asia/Tokyo", holidays=["2026-12-25"])
    changed = hours_from_json({"enabled": False}, h)
    assert (changed.enabled, changed.time_zone, changed.holidays) == (False, "Asia/Tokyo", (date(2026, 12, 25),))


@pytest.mark.parametrize(("given", "field"), [
    ("yes", "hours"),
    ({"enabled": "yes"}, "hours.enabled"),
    ({"colour": 1}, "hours.colour"),
    ({"time_zone": "Mars/Olympus"}, "hours.time_zone"),
    ({"time_zone": "../etc"}, "hours.time_zone"),
    ({"time_zone": "America"}, "hours.time_zone"),  # a folder of the tz database, not a zone
    ({"weekly": []}, "hours.weekly"),
    ({"weekly": {"monday": []}}, "hours.weekly.monday"),
    ({"weekly": {"mon": "09:00-18:00"}}, "hours.weekly.mon"),
    ({"weekly": {"mon": [["09:00", "18:00"], ["9:00", "10:00"]]}}, "hours.weekly.mon.1"),
    ({"weekly": {"mon": [["09:00", "24:00"]]}}, "hours.weekly.mon.0"),
    ({"weekly": {"mon": [["09:00"]]}}, "hours.weekly.mon.0"),
    ({"weekly": {"tue": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "hours.weekly.tue.1"),
    ({"weekly": {"tue": [["22:00", "02:00"], ["23:00", "23:30"]]}}, "hours.weekly.tue.1"),
    ({"weekly": {"wed": [["09:00", "10:00"]] * 13}}, "hours.weekly.wed"),
    ({"holidays": ["2026-02-30"]}, "hours.holidays.0"),
    ({"holidays": ["2026-12-25", "2026-12-25"]}, "hours.holidays.1"),
    ({"overrides": [{"date": "2026-12-24"}, {"date": "2026-12-24"}]}, "hours.overrides.1.date"),
    ({"overrides": [{"date": "2026-12-24", "periods": [["25:00", "26:00"]]}]}, "hours.overrides.0.periods.0"),
    ({"overrides": [{"day": "2026-12-24"}]}, "hours.overrides.0"),
    ({"holidays": ["2026-12-24"], "overrides": [{"date": "2026-12-23"}, {"date": "2026-12-24"}]},
     "hours.overrides.1.date"),
])
def test_bad_hours_name_the_field_at_fault(given: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        hours_from_json(given)
    assert refused.value.field == field


def test_a_holiday_added_on_an_overrides_date_names_the_holiday() -> None:
    h = hours(overrides=[{"date": "2026-12-24", "periods": []}])
    with pytest.raises(InvalidInput) as refused:
        hours_from_json({"holidays": ["2026-12-01", "2026-12-24"]}, h)
    assert refused.value.field == "hours.holidays.1"


# --- properties ----------------------------------------------------------------------------------------------------

_CLOCKS = st.integers(0, 23 * 4 + 3).map(lambda q: f"{q // 4:02d}:{q % 4 * 15:02d}")
_PERIOD = st.tuples(_CLOCKS, _CLOCKS).map(list)
_WEEK = st.dictionaries(st.sampled_from(DAYS), st.lists(_PERIOD, max_size=1), max_size=7)
_DAY = st.dates(date(2026, 3, 20), date(2026, 4, 5))  # around the spring change in Paris (March 29)


def _naive_open(h: OpeningHours, local: datetime) -> bool:
    """Lays every period out minute by minute on (date, minute of day) and looks the instant's wall minute up."""
    open_minutes: set[tuple[date, int]] = set()
    for day in (local.date() - timedelta(days=1), local.date()):
        for period in periods_on(h, day):
            start, end = period.minutes
            for minute in range(start, end):
                on = day + timedelta(days=minute // 1440)
                if on != day and on in h.holidays:
                    continue
                open_minutes.add((on, minute % 1440))
    return (local.date(), local.hour * 60 + local.minute) in open_minutes


@st.composite
def opening_hours(draw: st.DrawFn) -> OpeningHours:
    holidays = draw(st.lists(_DAY, max_size=2, unique=True))
    override_days = draw(st.lists(_DAY.filter(lambda d: d not in holidays), max_size=2, unique=True))
    overrides = [{"date": d.isoformat(), "periods": draw(st.lists(_PERIOD, max_size=1))} for d in override_days]
    return hours_from_json({"enabled": True, "weekly": draw(_WEEK), "holidays": [d.isoformat() for d in holidays],
                            "overrides": overrides})


_INSTANTS = st.integers(0, 16 * 24 * 4).map(lambda q: datetime(2026, 3, 20, tzinfo=UTC) + timedelta(minutes=15 * q))


@settings(max_examples=150, deadline=None)
@given(opening_hours(), _INSTANTS)
def test_is_open_agrees_with_a_minute_by_minute_evaluation(h: OpeningHours, at: datetime) -> None:
    assert is_open(h, at) == _naive_open(h, at.astimezone(PARIS))


@settings(max_examples=60, deadline=None)
@given(opening_hours(), _INSTANTS)
def test_next_opening_is_open_and_nothing_opens_before_it(h: OpeningHours, at: datetime) -> None:
    found = next_opening(h, at)
    assert found is None or (found >= at and is_open(h, found))
    if found == at:
        return
    end = found if found is not None else at + timedelta(days=8)
    step = at
    while step < end:  # every quarter hour before it is closed (periods start and end on quarters)
        assert not is_open(h, step), step
        step += timedelta(minutes=15)
