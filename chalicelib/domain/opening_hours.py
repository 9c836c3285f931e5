"""A tenant's opening hours (issue 16): when visitors may start a live chat, and when callbacks are offered.

The JSON form, as an admin PUTs it in `{"hours": {...}}` of the tenant's settings:

    {"enabled": true, "time_zone": "Europe/Paris",
     "weekly": {"mon": [["09:00", "12:00"], ["14:00", "18:00"]], ..., "fri": [["20:00", "02:00"]], "sun": []},
     "holidays": ["2026-12-25"],
     "overrides": [{"date": "2026-12-24", "periods": [["09:00", "12:00"]]}]}

Rules:
- Periods are on the wall clock of `time_zone` (an IANA name), so 09:00 stays 09:00 across daylight saving. A period
  runs from its start (included) to its end (excluded); one whose end is not after its start runs past midnight and
  counts on the next day until its end (["22:00", "02:00"]; ["00:00", "00:00"] is a whole day).
- A date's own periods are its override's if it has one ([] = closed that day), else its weekday's.
- A holiday is closed all day, from 00:00 to 24:00: even the tail of the evening before's period past midnight stops
  at midnight. An override's date keeps the evening before's tail (the override replaces the periods that start on
  it). A date is not both a holiday and an override.
- `enabled` false (the default) means always open: nothing else is read.

Each refusal is an InvalidInput naming the field from `where` down ("hours.weekly.mon.0", "hours.overrides.1.date").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain import calendar_fields as calendar
from chalicelib.domain.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DEFAULT_TIME_ZONE = "Europe/Paris"
MAX_PERIODS = 12  # a day's
MAX_DATES = 366  # holidays, and overrides
#: How far next_opening looks ahead: a year and a week covers a yearly closure and the first week after it.
LOOKAHEAD_DAYS = 372
_KEYS = ("enabled", "time_zone", "weekly", "holidays", "overrides")
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Period:
    """From `start` to `end` on the wall clock; past midnight (ending the next day) when `end` is not after `start`."""

    start: time
    end: time

    @property
    def past_midnight(self) -> bool:
        return self.end <= self.start

    @property
    def minutes(self) -> tuple[int, int]:
        """Start and end as minutes from the start of the period's own day (end > 1440: the next day)."""
        start, end = _minute(self.start), _minute(self.end)
        return start, end + _DAY_MINUTES if end <= start else end


def _default_weekly() -> tuple[tuple[Period, ...], ...]:
    office = (Period(time(9), time(18)),)
    return (office,) * 5 + ((), ())


@dataclass(frozen=True)
class OpeningHours:
    """Built checked by hours_from_json: a day's periods never overlap and are kept by start."""

    enabled: bool = False
    time_zone: str = DEFAULT_TIME_ZONE
    weekly: tuple[tuple[Period, ...], ...] = field(default_factory=_default_weekly)  # 7 days, Monday first
    holidays: tuple[date, ...] = ()
    overrides: Mapping[date, tuple[Period, ...]] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def periods_on(hours: OpeningHours, day: date) -> tuple[Period, ...]:
    """The periods that start on a local date: none on a holiday, the override's, else the weekday's."""
    if day in hours.holidays:
        return ()
    if day in hours.overrides:
        return hours.overrides[day]
    return hours.weekly[day.weekday()]


def open_on(hours: OpeningHours, day: date) -> bool:
    """Whether any period starts on this local date (scheduled callbacks fall on such days only); always true while
    the hours are not enabled."""
    return not hours.enabled or bool(periods_on(hours, day))


def is_open(hours: OpeningHours, at: datetime) -> bool:
    """Whether visitors find the tenant open at this instant (aware), on its wall clock."""
    if not hours.enabled:
        return True
    local = _aware(at).astimezone(hours.zone)
    return _open_at_wall(hours, local.date(), local.hour * 60 + local.minute + local.second / 60
                         + local.microsecond / 60e6)


def next_opening(hours: OpeningHours, at: datetime) -> datetime | None:
    """`at` when open then; else the instant (UTC) the next period opens, None if none within LOOKAHEAD_DAYS. A
    period's start that daylight saving skips opens at the first wall-clock minute that exists after it."""
    at = _aware(at)
    if is_open(hours, at):
        return at.astimezone(UTC)
    zone = hours.zone
    first = at.astimezone(zone).date() - timedelta(days=1)
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = first + timedelta(days=offset)
        for period in periods_on(hours, day):
            start = _first_existing(day, _minute(period.start), zone)
            if start > at and is_open(hours, start):
                return start.astimezone(UTC)
    return None


def _open_at_wall(hours: OpeningHours, day: date, minute: float) -> bool:
    """Open at this minute (fractional) of a local date's wall clock: a period of the date, or the evening before's
    tail past midnight unless the date is a holiday."""
    if any(start <= minute < end for start, end in (p.minutes for p in periods_on(hours, day))):
        return True
    if day in hours.holidays:
        return False
    before = periods_on(hours, day - timedelta(days=1))
    return any(minute < end - _DAY_MINUTES for _, end in (p.minutes for p in before))


def _first_existing(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """`day` at this wall-clock minute in `zone`, or the first minute after it that the clock shows (a DST gap)."""
    for step in range(0, 180):
        naive = datetime.combine(day, time()) + timedelta(minutes=minute + step)
        local = naive.replace(tzinfo=zone)
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
            return local
    return datetime.combine(day, time()).replace(tzinfo=zone) + timedelta(minutes=minute)  # pragma: no cover


# --- JSON ----------------------------------------------------------------------------------------------------------


def hours_from_json(data: object, current: OpeningHours | None = None, where: str = "hours") -> OpeningHours:
    """`current` (the defaults if None) with each given key replaced as a whole; InvalidInput naming the field."""
    hours = current if current is not None else OpeningHours()
    if not isinstance(data, dict):
        raise InvalidInput("must be a JSON object with " + ", ".join(_KEYS), field=where)
    values: dict[str, Any] = {}
    for name, value in data.items():
        path = f"{where}.{name}"
        if name == "enabled":
            if not isinstance(value, bool):
                raise InvalidInput("must be true or false", field=path)
            values[name] = value
        elif name == "time_zone":
            values[name] = calendar.time_zone(value, path)
        elif name == "weekly":
            values[name] = _weekly(value, path)
        elif name == "holidays":
            days = [calendar.day(d, f"{path}.{i}") for i, d in enumerate(calendar.bounded_list(value, path, MAX_DATES))]
            for i, day in enumerate(days):
                if day in days[:i]:
                    raise InvalidInput("this date is already in the list", field=f"{path}.{i}")
            values[name] = tuple(sorted(days))
        elif name == "overrides":
            values[name] = _overrides(value, path)
        else:
            raise InvalidInput(f"unknown field; use {', '.join(_KEYS)}", field=path)
    hours = replace(hours, **values)
    clash = sorted(set(hours.overrides) & set(hours.holidays))
    if clash:  # named in the list the admin just gave (both given: the override)
        text = clash[0].isoformat()
        if "overrides" in data:
            index = next(i for i, o in enumerate(data["overrides"]) if o.get("date") == text)
            place = f"{where}.overrides.{index}.date"
        else:
            place = f"{where}.holidays.{data['holidays'].index(text)}"
        raise InvalidInput(f"{text} is both a holiday and an override; keep one", field=place)
    return hours


def hours_to_json(hours: OpeningHours) -> dict[str, Any]:
    """The JSON form read by hours_from_json: a round trip gives back equal hours."""
    return {"enabled": hours.enabled, "time_zone": hours.time_zone,
            "weekly": {name: [_period_to_json(p) for p in hours.weekly[i]] for i, name in enumerate(DAYS)},
            "holidays": [d.isoformat() for d in hours.holidays],
            "overrides": [{"date": d.isoformat(), "periods": [_period_to_json(p) for p in periods]}
                          for d, periods in sorted(hours.overrides.items())]}


def _weekly(value: object, where: str) -> tuple[tuple[Period, ...], ...]:
    """Every day named; a day left out is closed."""
    if not isinstance(value, dict):
        raise InvalidInput(f"must be an object of days ({', '.join(DAYS)}) to lists of periods", field=where)
    for name in value:
        if name not in DAYS:
            raise InvalidInput(f"unknown day; use {', '.join(DAYS)}", field=f"{where}.{name}")
    return tuple(_periods(value.get(name, []), f"{where}.{name}") for name in DAYS)


def _overrides(value: object, where: str) -> dict[date, tuple[Period, ...]]:
    found: dict[date, tuple[Period, ...]] = {}
    for i, raw in enumerate(calendar.bounded_list(value, where, MAX_DATES)):
        if not isinstance(raw, dict) or set(raw) - {"date", "periods"}:
            raise InvalidInput("must be an object with date and periods", field=f"{where}.{i}")
        day = calendar.day(raw.get("date"), f"{where}.{i}.date")
        if day in found:
            raise InvalidInput("this date already has an override", field=f"{where}.{i}.date")
        found[day] = _periods(raw.get("periods", []), f"{where}.{i}.periods")
    return dict(sorted(found.items()))


def _periods(value: object, where: str) -> tuple[Period, ...]:
    """A day's periods, each [start, end]; they do not overlap (one may end when the next starts)."""
    items = calendar.bounded_list(value, where, MAX_PERIODS)
    periods: list[tuple[int, Period]] = []
    for i, raw in enumerate(items):
        if not isinstance(raw, list) or len(raw) != 2:
            raise InvalidInput('must be a period written ["HH:MM", "HH:MM"]', field=f"{where}.{i}")
        periods.append((i, Period(calendar.clock(raw[0], f"{where}.{i}"), calendar.clock(raw[1], f"{where}.{i}"))))
    ordered = sorted(periods, key=lambda pair: pair[1].start)
    for (_, before), (index, after) in pairwise(ordered):
        if after.minutes[0] < before.minutes[1]:
            raise InvalidInput(f"overlaps the period {before.start:%H:%M}-{before.end:%H:%M} of the same day",
                               field=f"{where}.{index}")
    return tuple(p for _, p in ordered)


def _period_to_json(period: Period) -> list[str]:
    return [f"{period.start:%H:%M}", f"{period.end:%H:%M}"]


def _minute(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment
