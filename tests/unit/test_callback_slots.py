"""Scheduled callback slots (CB-2): call times spaced by duration / N, capacity at most the range's minutes,
holidays, the booking horizon, booked and past times, daylight-saving days in Europe/Paris, per-field errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.callbacks.slot_settings import (
    slot_settings_from_json,
    slot_settings_to_json,
    updated_slot_settings,
)
from chalicelib.domain.callbacks.slots import (
    WEEKDAYS,
    CallTime,
    SlotSettings,
    free_slots,
    slot_by_key,
    slots_on,
    wall_clock,
)
from chalicelib.domain.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 12, 7)
SUNDAY_NOON = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)  # 12:00 in Paris (UTC+1 in winter)


def weekly(*ranges: tuple[str, str, str, int], **more: object) -> SlotSettings:
    slots = [{"weekday": d, "start": s, "end": e, "capacity": n} for d, s, e, n in ranges]
    return slot_settings_from_json({"slots": slots, "time_zone": "Europe/Paris", **more})


def keys(times: Sequence[CallTime]) -> list[str]:
    return [t.key for t in times]


def utc_clock(times: Sequence[CallTime]) -> list[str]:
    return [t.utc.strftime("%m-%d %H:%M") for t in times]


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def test_six_in_an_hour_are_ten_minutes_apart_on_the_tenant_clock_and_in_utc() -> None:
    (slot,) = slots_on(weekly(("monday", "09:00", "10:00", 6)), MONDAY)
    assert slot.key == "2026-12-07T09:00-10:00"
    times = slot.call_times()
    assert keys(times) == ["2026-12-07T09:00", "2026-12-07T09:10", "2026-12-07T09:20", "2026-12-07T09:30",
                           "2026-12-07T09:40", "2026-12-07T09:50"]
    assert utc_clock(times) == ["12-07 08:00", "12-07 08:10", "12-07 08:20", "12-07 08:30", "12-07 08:40",
                                "12-07 08:50"]
    assert times[1].local == paris(MONDAY, 9, 10) and times[1].utc.tzinfo is UTC and times[1].slot_key == slot.key


def test_a_capacity_that_does_not_divide_the_range_uses_whole_minutes() -> None:
    (slot,) = slots_on(weekly(("monday", "09:00", "10:00", 7)), MONDAY)
    assert [t.local.minute for t in slot.call_times()] == [0, 8, 17, 25, 34, 42, 51]


def test_sixty_in_an_hour_is_one_a_minute_and_sixty_one_is_refused_naming_the_field() -> None:
    (slot,) = slots_on(weekly(("monday", "09:00", "10:00", 60)), MONDAY)
    assert [t.local.minute for t in slot.call_times()] == list(range(60))
    with pytest.raises(InvalidInput) as refused:
        weekly(("monday", "08:00", "09:00", 6), ("monday", "09:00", "10:00", 61))
    assert refused.value.field == "callback.slots.1.capacity"
    assert "from 1 to 60" in refused.value.message


def test_a_holiday_replaces_the_weekly_ranges_with_its_own_or_closes_the_day() -> None:
    settings = weekly(("thursday", "09:00", "10:00", 6), ("thursday", "14:00", "16:00", 4), holidays=[
        {"date": "2026-12-24", "slots": [{"start": "10:00", "end": "11:00", "capacity": 2}]},
        {"date": "2026-12-25", "slots": []},
        {"date": "2027-01-01"},
    ])
    assert [s.key for s in slots_on(settings, date(2026, 12, 24))] == ["2026-12-24T10:00-11:00"]
    assert keys(slots_on(settings, date(2026, 12, 24))[0].call_times()) == ["2026-12-24T10:00", "2026-12-24T10:30"]
    assert slots_on(settings, date(2026, 12, 25)) == ()
    assert slots_on(settings, date(2027, 1, 1)) == ()
    assert [s.key for s in slots_on(settings, date(2026, 12, 31))] == ["2026-12-31T09:00-10:00",
                                                                       "2026-12-31T14:00-16:00"]


def test_ranges_of_a_day_come_in_time_order_whatever_the_order_given() -> None:
    settings = weekly(("monday", "14:00", "15:00", 1), ("tuesday", "08:00", "09:00", 1),
                      ("monday", "09:00", "10:00", 1))
    assert [s.key for s in slots_on(settings, MONDAY)] == ["2026-12-07T09:00-10:00", "2026-12-07T14:00-15:00"]


def test_the_horizon_counts_local_dates_from_today_on_the_tenant_clock() -> None:
    every_day = [(d, "09:00", "10:00", 1) for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                   "saturday", "sunday")]
    settings = weekly(*every_day, horizon_days=3)
    assert [f.slot.key for f in free_slots(settings, SUNDAY_NOON, [])] == [
        "2026-12-07T09:00-10:00", "2026-12-08T09:00-10:00"]  # today's 09:00 is past: Sunday offers nothing
    late_sunday_utc = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # already Monday 00:30 in Paris
    assert [f.slot.key for f in free_slots(settings, late_sunday_utc, [])] == [
        "2026-12-07T09:00-10:00", "2026-12-08T09:00-10:00", "2026-12-09T09:00-10:00"]
    assert len(free_slots(weekly(*every_day), SUNDAY_NOON, [])) == 13  # 14 days by default, today's slot past


def test_times_already_past_or_now_are_not_offered() -> None:
    (slot,) = slots_on(weekly(("monday", "09:00", "10:00", 6)), MONDAY)
    assert keys(slot.free_times([], paris(MONDAY, 9, 25))) == ["2026-12-07T09:30", "2026-12-07T09:40",
                                                               "2026-12-07T09:50"]
    assert keys(slot.free_times([], paris(MONDAY, 9, 30))) == ["2026-12-07T09:40", "2026-12-07T09:50"]
    assert slot.earliest_free([], paris(MONDAY, 10, 0)) is None


def test_a_booking_takes_the_earliest_free_time_and_a_cancellation_frees_it() -> None:
    settings = weekly(("monday", "09:00", "10:00", 3))
    (slot,) = slots_on(settings, MONDAY)
    taken: list[datetime] = []
    for _ in range(3):
        booked = slot.earliest_free(taken, SUNDAY_NOON)
        assert booked is not None
        taken.append(booked.utc)
    assert [t.astimezone(PARIS).strftime("%H:%M") for t in taken] == ["09:00", "09:20", "09:40"]
    assert slot.earliest_free(taken, SUNDAY_NOON) is None
    assert [f.slot.key for f in free_slots(settings, SUNDAY_NOON, taken)] == ["2026-12-14T09:00-10:00"]
    taken.remove(paris(MONDAY, 9, 20))  # cancelled; booked times may be given in any zone
    freed = slot.earliest_free(taken, SUNDAY_NOON)
    assert freed is not None and freed.key == "2026-12-07T09:20" and freed.index == 1
    (monday, _) = free_slots(settings, SUNDAY_NOON, taken)
    assert monday.to_json() == {"key": "2026-12-07T09:00-10:00", "date": "2026-12-07", "start": "09:00",
                                "end": "10:00", "free": 1, "next": "2026-12-07T09:20:00+01:00"}


def test_a_slot_never_offers_more_than_n_when_bookings_were_made_on_a_former_spacing() -> None:
    (slot,) = slots_on(weekly(("monday", "09:00", "10:00", 3)), MONDAY)  # was 6: 09:00, 09:10 ... 09:50
    assert slot.free_times([paris(MONDAY, 9, 0), paris(MONDAY, 9, 10), paris(MONDAY, 9, 20)], SUNDAY_NOON) == ()
    assert keys(slot.free_times([paris(MONDAY, 9, 10)], SUNDAY_NOON)) == ["2026-12-07T09:00", "2026-12-07T09:20"]
    other_slots = [paris(MONDAY, 10, 0), paris(MONDAY, 8, 59), paris(date(2026, 12, 14), 9, 20)]
    assert keys(slot.free_times(other_slots, SUNDAY_NOON)) == ["2026-12-07T09:00", "2026-12-07T09:20",
                                                               "2026-12-07T09:40"]


def test_spring_forward_day_skips_the_times_the_clock_skips() -> None:
    day = date(2026, 3, 29)  # Europe/Paris: 02:00 CET becomes 03:00 CEST
    settings = weekly(("sunday", "01:00", "04:00", 6), ("sunday", "09:00", "10:00", 2))
    night, morning = slots_on(settings, day)
    assert keys(night.call_times()) == ["2026-03-29T01:00", "2026-03-29T01:30", "2026-03-29T03:00",
                                        "2026-03-29T03:30"]
    assert utc_clock(night.call_times()) == ["03-29 00:00", "03-29 00:30", "03-29 01:00", "03-29 01:30"]
    assert [t.index for t in night.call_times()] == [0, 1, 4, 5]
    assert utc_clock(morning.call_times()) == ["03-29 07:00", "03-29 07:30"]  # summer time: UTC+2
    assert wall_clock(day, 2 * 60 + 30, PARIS) is None
    (previous,) = [s for s in slots_on(settings, date(2026, 3, 22)) if s.hours.start.hour == 9]
    assert utc_clock(previous.call_times()) == ["03-22 08:00", "03-22 08:30"]  # winter time: UTC+1


def test_fall_back_day_takes_the_first_of_the_times_the_clock_shows_twice() -> None:
    day = date(2026, 10, 25)  # Europe/Paris: 03:00 CEST becomes 02:00 CET
    (night,) = slots_on(weekly(("sunday", "01:00", "04:00", 6)), day)
    times = night.call_times()
    assert keys(times) == ["2026-10-25T01:00", "2026-10-25T01:30", "2026-10-25T02:00", "2026-10-25T02:30",
                           "2026-10-25T03:00", "2026-10-25T03:30"]
    assert utc_clock(times) == ["10-24 23:00", "10-24 23:30", "10-25 00:00", "10-25 00:30", "10-25 02:00",
                                "10-25 02:30"]
    assert times[2].local.utcoffset() == timedelta(hours=2) and times[4].local.utcoffset() == timedelta(hours=1)
    late = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 CET, the second 02:00: the first 02:30 is past
    assert keys(night.free_times([], late)) == ["2026-10-25T03:00", "2026-10-25T03:30"]


def test_a_slot_is_found_by_its_key_only_within_the_horizon_and_the_settings() -> None:
    settings = weekly(("monday", "09:00", "10:00", 6), horizon_days=7)
    found = slot_by_key(settings, "2026-12-07T09:00-10:00", SUNDAY_NOON)
    assert found is not None and found.day == MONDAY and found.hours.capacity == 6
    for key in ("2026-12-14T09:00-10:00", "2026-12-07T09:00-11:00", "2026-11-30T09:00-10:00", "tomorrow", ""):
        assert slot_by_key(settings, key, SUNDAY_NOON) is None


RANGE = {"weekday": "monday", "start": "09:00", "end": "10:00", "capacity": 6}


@pytest.mark.parametrize(("data", "field"), [
    ([], "callback"),
    ({"slot": []}, "callback.slot"),
    ({"slots": {}}, "callback.slots"),
    ({"slots": [RANGE, "09:00"]}, "callback.slots.1"),
    ({"slots": [{**RANGE, "length": 60}]}, "callback.slots.0.length"),
    ({"slots": [{**RANGE, "weekday": "Monday"}]}, "callback.slots.0.weekday"),
    ({"slots": [{**RANGE, "start": "9:00"}]}, "callback.slots.0.start"),
    ({"slots": [{**RANGE, "end": "24:00"}]}, "callback.slots.0.end"),
    ({"slots": [{**RANGE, "end": "09:00"}]}, "callback.slots.0.end"),
    ({"slots": [{**RANGE, "end": "08:00"}]}, "callback.slots.0.end"),
    ({"slots": [{**RANGE, "capacity": 0}]}, "callback.slots.0.capacity"),
    ({"slots": [{**RANGE, "capacity": "6"}]}, "callback.slots.0.capacity"),
    ({"slots": [{**RANGE, "capacity": True}]}, "callback.slots.0.capacity"),
    ({"slots": [RANGE, {**RANGE, "start": "09:59", "end": "11:00"}]}, "callback.slots.1.start"),
    ({"slots": [{**RANGE, "start": "10:00", "end": "11:00"}, {**RANGE, "start": "09:30", "end": "10:30"}]},
     "callback.slots.0.start"),
    ({"holidays": [{"date": "2026-02-30"}]}, "callback.holidays.0.date"),
    ({"holidays": [{"date": "25/12/2026"}]}, "callback.holidays.0.date"),
    ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25", "slots": []}]}, "callback.holidays.1.date"),
    ({"holidays": [{"date": "2026-12-24", "slots": [{"start": "09:00", "end": "09:30", "capacity": 31}]}]},
     "callback.holidays.0.slots.0.capacity"),
    ({"holidays": [{"date": "2026-12-24", "slots": [RANGE]}]}, "callback.holidays.0.slots.0.weekday"),
    ({"holidays": [{"date": "2026-12-24", "slots": [{"start": "09:00", "end": "10:00", "capacity": 1},
                                                    {"start": "09:30", "end": "10:30", "capacity": 1}]}]},
     "callback.holidays.0.slots.1.start"),
    ({"horizon_days": 0}, "callback.horizon_days"),
    ({"horizon_days": 61}, "callback.horizon_days"),
    ({"horizon_days": "14"}, "callback.horizon_days"),
    ({"time_zone": "Mars/Olympus_Mons"}, "callback.time_zone"),
    ({"time_zone": "/etc/localtime"}, "callback.time_zone"),
    ({"time_zone": "Europe/../Europe/Paris"}, "callback.time_zone"),
    ({"time_zone": ""}, "callback.time_zone"),
])
def test_a_bad_slot_setting_names_its_field(data: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        slot_settings_from_json(data)
    assert refused.value.field == field


def test_ranges_may_touch_and_other_weekdays_may_repeat_the_same_hours() -> None:
    settings = slot_settings_from_json({"slots": [RANGE, {**RANGE, "start": "10:00", "end": "11:00"},
                                                  {**RANGE, "weekday": "tuesday"}]})
    assert len(settings.weekly) == 3 and settings.time_zone == "UTC" and settings.horizon_days == 14


def test_settings_round_trip_through_json_and_an_update_keeps_the_keys_not_given() -> None:
    data = {"slots": [RANGE, {**RANGE, "weekday": "friday", "start": "14:30", "end": "17:00", "capacity": 10}],
            "holidays": [{"date": "2026-12-24", "slots": [{"start": "09:00", "end": "12:00", "capacity": 12}]},
                         {"date": "2026-12-25", "slots": []}],
            "horizon_days": 21, "time_zone": "America/New_York"}
    settings = slot_settings_from_json(data)
    assert slot_settings_to_json(settings) == data
    changed = updated_slot_settings(settings, {"horizon_days": 7}, "callback")
    assert changed.horizon_days == 7 and changed.weekly == settings.weekly and changed.holidays == settings.holidays


@hypothesis.settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_valid_range_gives_n_distinct_increasing_evenly_spaced_times_inside_it(data: st.DataObject) -> None:
    start = data.draw(st.integers(0, 23 * 60 + 58), label="start minute")
    end = data.draw(st.integers(start + 1, 23 * 60 + 59), label="end minute")
    capacity = data.draw(st.integers(1, end - start), label="N")
    settings = slot_settings_from_json({"slots": [{"weekday": "monday", "start": f"{start // 60:02}:{start % 60:02}",
                                                   "end": f"{end // 60:02}:{end % 60:02}", "capacity": capacity}]})
    (slot,) = slots_on(settings, MONDAY)
    minutes = [(t.local.hour * 60 + t.local.minute) for t in slot.call_times()]
    assert len(minutes) == capacity == len(set(minutes))
    assert minutes[0] == start and minutes[-1] < end
    gaps = {b - a for a, b in pairwise(minutes)}
    width = end - start
    assert gaps <= {width // capacity, -(-width // capacity)}
    if width % capacity == 0:
        assert gaps <= {width // capacity}


@hypothesis.settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)), st.integers(1, 24 * 60 - 1))
def test_in_paris_every_day_s_times_increase_in_utc_and_read_back_as_their_wall_clock(day: date, n: int) -> None:
    settings = slot_settings_from_json({"slots": [{"weekday": WEEKDAYS[day.weekday()], "start": "00:00",
                                                   "end": "23:59", "capacity": n}], "time_zone": "Europe/Paris"})
    (slot,) = slots_on(settings, day)
    times = slot.call_times()
    assert all(a.utc < b.utc for a, b in pairwise(times))
    assert all(t.utc.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") == t.key for t in times)
    assert len(times) >= n - 60  # only a skipped hour's times are ever left out
