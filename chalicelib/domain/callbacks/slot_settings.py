"""The scheduled-callback slot settings (CB-2) as an admin PUTs them, checked field by field.

    {"slots": [{"weekday": "monday", "start": "09:00", "end": "10:00", "capacity": 6}, ...],
     "holidays": [{"date": "2026-12-25", "slots": []},
                  {"date": "2026-12-24", "slots": [{"start": "09:00", "end": "12:00", "capacity": 12}]}],
     "horizon_days": 14, "time_zone": "Europe/Paris"}

Each refusal is an InvalidInput naming the field from `where` down, e.g. "callback.slots.3.capacity": times are
"HH:MM" (00:00-23:59), a range ends after it starts, N is from 1 to the range's minutes (61 in an hour is refused),
the ranges of a weekday or of a holiday do not overlap (one may end when the next starts), a holiday's date is
given once, the horizon is 1 to 60 days and the time zone an IANA name. The arithmetic is in slots.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

from chalicelib.domain import calendar_fields as calendar
from chalicelib.domain.callbacks.slots import (
    HORIZON_DAYS,
    WEEKDAYS,
    Holiday,
    SlotRange,
    SlotSettings,
    WeeklyRange,
)
from chalicelib.domain.errors import InvalidInput

MAX_WEEKLY_RANGES = 7 * 24
MAX_HOLIDAYS = 100
MAX_HOLIDAY_RANGES = 24
_KNOWN = ("slots", "holidays", "horizon_days", "time_zone")


def slot_settings_from_json(data: object, where: str = "callback") -> SlotSettings:
    """The settings given in full; keys left out take their defaults (no slots: nothing to book)."""
    return updated_slot_settings(SlotSettings(), data, where)


def updated_slot_settings(current: SlotSettings, changes: object, where: str = "callback") -> SlotSettings:
    """`current` with the given keys replaced as a whole (a list of slots replaces the list)."""
    if not isinstance(changes, dict):
        raise InvalidInput("must be a JSON object", field=where)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in _KNOWN:
            raise InvalidInput(f"unknown setting; use {', '.join(_KNOWN)}", field=f"{where}.{name}")
        path = f"{where}.{name}"
        if name == "slots":
            values["weekly"] = _weekly(value, path)
        elif name == "holidays":
            values["holidays"] = _holidays(value, path)
        elif name == "horizon_days":
            values["horizon_days"] = _int(value, path, *HORIZON_DAYS)
        else:
            values["time_zone"] = calendar.time_zone(value, path)
    return replace(current, **values)


def slot_settings_to_json(settings: SlotSettings) -> dict[str, Any]:
    """The JSON form read by slot_settings_from_json: a round trip gives back equal settings."""
    return {
        "slots": [{"weekday": WEEKDAYS[w.weekday], **_range_to_json(w.hours)} for w in settings.weekly],
        "holidays": [{"date": h.day.isoformat(), "slots": [_range_to_json(r) for r in h.ranges]}
                     for h in settings.holidays],
        "horizon_days": settings.horizon_days,
        "time_zone": settings.time_zone,
    }


def _weekly(value: object, where: str) -> tuple[WeeklyRange, ...]:
    items = calendar.bounded_list(value, where, MAX_WEEKLY_RANGES)
    weekly: list[WeeklyRange] = []
    for i, raw in enumerate(items):
        item = _object(raw, f"{where}.{i}", ("weekday", "start", "end", "capacity"))
        if item.get("weekday") not in WEEKDAYS:
            raise InvalidInput(f"must be one of {', '.join(WEEKDAYS)}", field=f"{where}.{i}.weekday")
        weekly.append(WeeklyRange(WEEKDAYS.index(item["weekday"]), _range(item, f"{where}.{i}")))
    for weekday in range(len(WEEKDAYS)):
        _no_overlap([(i, w.hours) for i, w in enumerate(weekly) if w.weekday == weekday], where)
    return tuple(weekly)


def _holidays(value: object, where: str) -> tuple[Holiday, ...]:
    items = calendar.bounded_list(value, where, MAX_HOLIDAYS)
    holidays: list[Holiday] = []
    for i, raw in enumerate(items):
        item = _object(raw, f"{where}.{i}", ("date", "slots"))
        day = calendar.day(item.get("date"), f"{where}.{i}.date")
        if any(h.day == day for h in holidays):
            raise InvalidInput("this date is already a holiday of the list", field=f"{where}.{i}.date")
        path = f"{where}.{i}.slots"
        ranges = [_range(_object(r, f"{path}.{j}", ("start", "end", "capacity")), f"{path}.{j}")
                  for j, r in enumerate(calendar.bounded_list(item.get("slots", []), path, MAX_HOLIDAY_RANGES))]
        _no_overlap(list(enumerate(ranges)), path)
        holidays.append(Holiday(day, tuple(ranges)))
    return tuple(holidays)


def _range(item: Mapping[str, object], where: str) -> SlotRange:
    start = calendar.clock(item.get("start"), f"{where}.start")
    end = calendar.clock(item.get("end"), f"{where}.end")
    if end <= start:
        raise InvalidInput("must be after the start, the same day", field=f"{where}.end")
    hours = SlotRange(start, end, 1)
    capacity = item.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= hours.minutes:
        raise InvalidInput(f"must be a whole number from 1 to {hours.minutes}, the range's minutes: calls are "
                           "at least a minute apart", field=f"{where}.capacity")
    return replace(hours, capacity=capacity)


def _no_overlap(ranges: Sequence[tuple[int, SlotRange]], where: str) -> None:
    """Names the start of the later of two overlapping ranges, by its index in the admin's list."""
    ordered = sorted(ranges, key=lambda pair: pair[1].start)
    for (_, before), (index, after) in pairwise(ordered):
        if after.start < before.end:
            raise InvalidInput(f"overlaps the range {before.start:%H:%M}-{before.end:%H:%M} of the same day",
                               field=f"{where}.{index}.start")


def _int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=where)
    return value


def _object(value: object, where: str, known: Sequence[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InvalidInput(f"must be an object with {', '.join(known)}", field=where)
    for key in value:
        if key not in known:
            raise InvalidInput(f"unknown field; use {', '.join(known)}", field=f"{where}.{key}")
    return value


def _range_to_json(hours: SlotRange) -> dict[str, object]:
    return {"start": f"{hours.start:%H:%M}", "end": f"{hours.end:%H:%M}", "capacity": hours.capacity}
