"""Scheduled callback slots (CB-2): which slots a tenant offers on a day, the call times of a slot, and which of
them are still free. The settings' JSON form and its per-field checks are in slot_settings.py.

Words used:
- A *range* is a span of a day on the tenant's wall clock (09:00-10:00) with a capacity N: at most N callbacks,
  N at most the range's minutes. *Weekly ranges* repeat each week on their weekday; a *holiday* replaces the
  weekly ranges of its date with its own (none: closed that day).
- A *slot* is a range on a date ("2026-12-07T09:00-10:00", its key: stable, and the key of its booking counter).
- Its N *call times* are spaced by duration / N on whole minutes: time i is at start + floor(i * minutes / N)
  (6 in 09:00-10:00: 09:00, 09:10 ... 09:50; 7 in an hour: gaps of 8 or 9 minutes, never a second's drift).
- A booking takes the earliest free call time of its slot that is still ahead; a cancellation frees it.

Daylight saving: call times are laid out on the wall clock of their date, then placed in the zone. A wall-clock
time that the clock skips that day (Europe/Paris, 2026-03-29 02:00-02:59) does not exist and is not offered (the
slot has fewer times that day, never two calls at the same instant); a time that the clock shows twice
(2026-10-25 02:00-02:59) is its first occurrence, summer time (fold=0), so a day's times stay increasing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")  # date.weekday() order
DEFAULT_HORIZON_DAYS = 14
HORIZON_DAYS = (1, 60)
DEFAULT_TIME_ZONE = "UTC"


@dataclass(frozen=True)
class SlotRange:
    """From `start` to `end` (wall clock, the same day, end excluded), with `capacity` call times."""

    start: time
    end: time
    capacity: int

    @property
    def minutes(self) -> int:
        return _minute_of_day(self.end) - _minute_of_day(self.start)

    def offsets(self) -> tuple[int, ...]:
        """Minutes after `start` of each call time: whole minutes, as even as whole minutes allow."""
        return tuple(i * self.minutes // self.capacity for i in range(self.capacity))


@dataclass(frozen=True)
class WeeklyRange:
    weekday: int  # 0 = Monday, as date.weekday()
    hours: SlotRange


@dataclass(frozen=True)
class Holiday:
    """A date whose ranges replace the weekly ones: `ranges == ()` means closed."""

    day: date
    ranges: tuple[SlotRange, ...] = ()


@dataclass(frozen=True)
class SlotSettings:
    """A tenant's scheduled-callback slots. Built checked by slot_settings.py: ranges of a day never overlap."""

    weekly: tuple[WeeklyRange, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    horizon_days: int = DEFAULT_HORIZON_DAYS
    time_zone: str = DEFAULT_TIME_ZONE  # an IANA name, e.g. Europe/Paris

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class CallTime:
    """One call time of a slot: the same instant on the tenant's clock and in UTC (what a schedule is set to)."""

    slot_key: str
    index: int
    local: datetime
    utc: datetime

    @property
    def key(self) -> str:
        """The wall-clock time, e.g. "2026-12-07T09:10": unique in a tenant, since ambiguous times take fold=0."""
        return self.local.strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Slot:
    day: date
    hours: SlotRange
    zone: ZoneInfo

    @property
    def key(self) -> str:
        """E.g. "2026-12-07T09:00-10:00": a changed range is another slot, and its bookings keep their times."""
        return f"{self.day.isoformat()}T{self.hours.start:%H:%M}-{self.hours.end:%H:%M}"

    def call_times(self) -> tuple[CallTime, ...]:
        """The slot's call times, in order; those that the clock skips that day are left out (module docstring)."""
        start = _minute_of_day(self.hours.start)
        times: list[CallTime] = []
        for index, offset in enumerate(self.hours.offsets()):
            local = wall_clock(self.day, start + offset, self.zone)
            if local is not None:
                times.append(CallTime(self.key, index, local, local.astimezone(UTC)))
        return tuple(times)

    def free_times(self, taken: Collection[datetime], now: datetime) -> tuple[CallTime, ...]:
        """The call times after `now` that no booking holds (`taken`: booked times, any zone, of any slot). Never
        more than N minus the slot's bookings: after an admin changes N, the times booked on the former spacing
        still count, as they do in the booking counter."""
        booked = _utc_set(taken)
        after = _utc(now)
        left = self.hours.capacity - sum(1 for moment in booked if self.holds(moment))
        free = [t for t in self.call_times() if t.utc > after and t.utc not in booked]
        return tuple(free[:max(left, 0)])

    def holds(self, moment: datetime) -> bool:
        """Whether `moment` falls in this slot on the tenant's clock."""
        local = moment.astimezone(self.zone)
        return local.date() == self.day and self.hours.start <= local.time() < self.hours.end

    def earliest_free(self, taken: Collection[datetime], now: datetime) -> CallTime | None:
        """The time a new booking takes: the earliest free one still ahead; None when the slot is full or past."""
        free = self.free_times(taken, now)
        return free[0] if free else None


@dataclass(frozen=True)
class FreeSlot:
    """A slot that a visitor may book now, with its free call times (at least one)."""

    slot: Slot
    times: tuple[CallTime, ...]

    def to_json(self) -> dict[str, object]:
        """For the widget: the slot on the tenant's clock, how many times are left and the time a booking gets."""
        hours = self.slot.hours
        return {"key": self.slot.key, "date": self.slot.day.isoformat(), "start": f"{hours.start:%H:%M}",
                "end": f"{hours.end:%H:%M}", "free": len(self.times), "next": self.times[0].local.isoformat()}


def ranges_on(settings: SlotSettings, day: date) -> tuple[SlotRange, ...]:
    """The ranges of a local date, by start: a holiday's own (maybe none), else the weekly ranges of its weekday."""
    for holiday in settings.holidays:
        if holiday.day == day:
            return tuple(sorted(holiday.ranges, key=lambda r: r.start))
    return tuple(sorted((w.hours for w in settings.weekly if w.weekday == day.weekday()), key=lambda r: r.start))


def slots_on(settings: SlotSettings, day: date) -> tuple[Slot, ...]:
    zone = settings.zone
    return tuple(Slot(day, hours, zone) for hours in ranges_on(settings, day))


def horizon(settings: SlotSettings, now: datetime) -> tuple[date, ...]:
    """The local dates a visitor may book: today on the tenant's clock and the next ones, `horizon_days` in all."""
    today = _utc(now).astimezone(settings.zone).date()
    return tuple(today + timedelta(days=n) for n in range(settings.horizon_days))


def free_slots(settings: SlotSettings, now: datetime, taken: Collection[datetime]) -> tuple[FreeSlot, ...]:
    """The slots of the horizon with at least one free call time after `now`, in time order."""
    zone = settings.zone
    by_day: dict[date, list[datetime]] = {}  # each slot then reads only its own day's bookings
    for moment in _utc_set(taken):
        by_day.setdefault(moment.astimezone(zone).date(), []).append(moment)
    found: list[FreeSlot] = []
    for day in horizon(settings, now):
        for slot in slots_on(settings, day):
            times = slot.free_times(by_day.get(day, []), now)
            if times:
                found.append(FreeSlot(slot, times))
    return tuple(found)


def slot_by_key(settings: SlotSettings, key: str, now: datetime) -> Slot | None:
    """The slot a visitor names by its key, if the settings offer it on a date of the horizon; None otherwise."""
    day_text, _, _ = key.partition("T")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    if day not in horizon(settings, now):
        return None
    return next((slot for slot in slots_on(settings, day) if slot.key == key), None)


def wall_clock(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime | None:
    """`day` at this minute of its wall clock in `zone`; None if the clock skips it that day (a DST gap). A time the
    clock shows twice is its first occurrence (fold=0)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute_of_day)
    local = naive.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:  # a gap's time does not round-trip
        return None
    return local


def _minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(UTC)


def _utc_set(moments: Collection[datetime]) -> frozenset[datetime]:
    # In UTC before hashing: an aware datetime with fold=1 equals its UTC instant but does not hash like it.
    return frozenset(_utc(m) for m in moments)
