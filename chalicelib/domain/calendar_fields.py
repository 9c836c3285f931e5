"""The calendar values an admin writes in settings, checked one at a time: a time zone, a time of day, a date, a
list. The opening hours (opening_hours.py) and the callback slots (callbacks/slot_settings.py) read them alike, so
that the same mistake gets the same message; each refusal is an InvalidInput naming the field given as `where`
("hours.time_zone", "callback.slots.3.start").
"""

from __future__ import annotations

import re
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.errors import InvalidInput

MAX_ZONE_CHARS = 64
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")


def time_zone(value: object, where: str) -> str:
    """An IANA time zone name this runtime knows ("Europe/Paris"); the name is checked before the tz database is
    asked, so that no path or other text reaches it."""
    if not isinstance(value, str) or len(value) > MAX_ZONE_CHARS or not _ZONE.match(value):
        raise InvalidInput("must be an IANA time zone name, e.g. Europe/Paris", field=where)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # a folder of the tz database: OSError
        raise InvalidInput("is not a known IANA time zone, e.g. Europe/Paris", field=where) from exc
    return value


def clock(value: object, where: str) -> time:
    """A time of day written "HH:MM", from 00:00 to 23:59."""
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput("must be a time of day written HH:MM, from 00:00 to 23:59", field=where)
    return time(int(match[1]), int(match[2]))


def day(value: object, where: str) -> date:
    """A calendar date written "YYYY-MM-DD" that exists (no 2026-02-30)."""
    try:
        if isinstance(value, str) and _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InvalidInput("must be a date written YYYY-MM-DD", field=where)


def bounded_list(value: object, where: str, limit: int) -> list[object]:
    """A JSON list of at most `limit` items (what each item must be is the caller's to check)."""
    if not isinstance(value, list) or len(value) > limit:
        raise InvalidInput(f"must be a list of at most {limit} items", field=where)
    return value
