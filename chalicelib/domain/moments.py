"""Times given by callers (a snooze's end, a sale's time): ISO 8601 with a time zone, named in the error."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import InvalidInput

FIRST_YEAR, LAST_YEAR = 2000, 2199


def parse_moment(name: str, value: object) -> datetime:
    """`value` as an aware datetime; InvalidInput naming the field `name` otherwise."""
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be an ISO 8601 time", field=name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"'{name}' must be an ISO 8601 time", field=name) from exc
    if moment.tzinfo is None:
        raise InvalidInput(f"'{name}' must carry a time zone (e.g. Z)", field=name)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # also keeps the arithmetic on it clear of datetime's bounds
        raise InvalidInput(f"'{name}' must be a time between the years {FIRST_YEAR} and {LAST_YEAR}", field=name)
    return moment
