"""The report's clock: which day a figure belongs to, and how long a span lasts in opening hours.

- A figure's day is its stop event's date on the tenant's clock, an IANA zone (Europe/Paris), never the server's or
  UTC's (Chatwoot #4028, #15604: research 1.4). Days are midnight to midnight on that clock, so a day lasts 23 or
  25 hours when daylight saving changes.
- Durations are kept in calendar seconds (stop - start) and in opening-hours ("business") seconds: the part of the
  span that falls inside the opening hours. Opening hours are the weekly ranges and holidays of a SlotSettings, the
  model the callbacks' opening hours already use (domain/callbacks/slots.py; capacities ignored): a holiday's own
  ranges replace its date's weekly ones, none means closed. Ranges are laid on the wall clock of their date and
  placed in the zone: a range across the spring-forward gap is an hour shorter, one across the autumn repeat an hour
  longer, as the clock on the wall says (a wall-clock time the clock skips takes the offset before the jump: Paris
  02:30 on the spring day is 03:30 summer time).
- The caller passes the schedule in force at the stop event, for the whole span (Zendesk's rule: research 1.5 [Z5]).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.callbacks.slots import SlotSettings, ranges_on

#: A span longer than this is refused: no conversation waits ten years, and the day-by-day walk stays bounded.
MAX_SPAN_DAYS = 3660


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment


def report_day(stop: datetime, zone: ZoneInfo) -> date:
    """The day a figure whose stop event happened at `stop` belongs to, on the tenant's clock."""
    return _aware(stop).astimezone(zone).date()


def today(now: datetime, zone: ZoneInfo) -> date:
    return report_day(now, zone)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time of `day` in `zone`: a repeated time is its first occurrence (fold=0); a
    skipped time is placed with the offset in force before the jump (Paris 02:30 on the spring day is 03:30 CEST)."""
    return datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where `day` starts (included) and ends (excluded) on the tenant's clock: what a read of one
    day's facts queries."""
    return local_instant(day, time(), zone), local_instant(day + timedelta(days=1), time(), zone)


def day_seconds(day: date, zone: ZoneInfo) -> int:
    """How long `day` lasts on the tenant's clock: 86,400 s, or 82,800 / 90,000 s on a daylight-saving change."""
    start, end = day_bounds(day, zone)
    return int((end - start).total_seconds())


def business_seconds(start: datetime, stop: datetime, hours: SlotSettings) -> float:
    """The seconds of [start, stop) inside the opening hours `hours` (in their own zone)."""
    start, stop = _aware(start).astimezone(UTC), _aware(stop).astimezone(UTC)
    if stop <= start:
        return 0.0
    if stop - start > timedelta(days=MAX_SPAN_DAYS):
        raise ValueError(f"a span of more than {MAX_SPAN_DAYS} days")
    zone = hours.zone
    day, last = start.astimezone(zone).date(), stop.astimezone(zone).date()
    total = 0.0
    while day <= last:
        for opening in ranges_on(hours, day):
            opens, closes = local_instant(day, opening.start, zone), local_instant(day, opening.end, zone)
            overlap = (min(stop, closes) - max(start, opens)).total_seconds()
            total += max(overlap, 0.0)
        day += timedelta(days=1)
    return total


@dataclass(frozen=True)
class Measure:
    """What a fact keeps of one duration: its day (the stop's, on the tenant's clock), its calendar seconds and its
    opening-hours seconds (None when the tenant set no opening hours)."""

    day: date
    seconds: float
    business_seconds: float | None


def measure(start: datetime, stop: datetime, zone: ZoneInfo, hours: SlotSettings | None) -> Measure:
    """A duration from `start` to `stop` as a fact stores it; `hours`: the schedule in force at `stop`."""
    if _aware(stop) < _aware(start):
        raise ValueError("a duration stops after it starts")
    calendar = (stop - start).total_seconds()
    return Measure(report_day(stop, zone), calendar, None if hours is None else business_seconds(start, stop, hours))
