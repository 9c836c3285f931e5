"""The calendar values shared by the opening hours and the callback slots (chalicelib/domain/calendar_fields.py):
the same mistake gets the same message in both, at the field each names."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.domain.callbacks.slot_settings import slot_settings_from_json
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.opening_hours import hours_from_json

ZONE_UNKNOWN = "is not a known IANA time zone, e.g. Europe/Paris"
ZONE_MALFORMED = "must be an IANA time zone name, e.g. Europe/Paris"
CLOCK = "must be a time of day written HH:MM, from 00:00 to 23:59"
DATE = "must be a date written YYYY-MM-DD"


def refusal(check: Callable[[], object]) -> tuple[str | None, str]:
    with pytest.raises(InvalidInput) as refused:
        check()
    return refused.value.field, str(refused.value)


@pytest.mark.parametrize(("zone", "message"), [("Mars/Olympus", ZONE_UNKNOWN), ("../etc/passwd", ZONE_MALFORMED),
                                               ("America", ZONE_UNKNOWN), (7, ZONE_MALFORMED)])
def test_a_bad_time_zone_is_refused_alike_in_hours_and_slots(zone: object, message: str) -> None:
    assert refusal(lambda: hours_from_json({"time_zone": zone})) == ("hours.time_zone", message)
    assert refusal(lambda: slot_settings_from_json({"time_zone": zone})) == ("callback.time_zone", message)


def test_a_bad_time_or_date_is_refused_alike_in_hours_and_slots() -> None:
    assert refusal(lambda: hours_from_json({"weekly": {"mon": [["9:00", "12:00"]]}})) == (
        "hours.weekly.mon.0", CLOCK)
    assert refusal(lambda: slot_settings_from_json(
        {"slots": [{"weekday": "monday", "start": "24:00", "end": "10:00", "capacity": 1}]})) == (
        "callback.slots.0.start", CLOCK)
    assert refusal(lambda: hours_from_json({"holidays": ["2026-02-30"]})) == ("hours.holidays.0", DATE)
    assert refusal(lambda: slot_settings_from_json({"holidays": [{"date": "26-12-25", "slots": []}]})) == (
        "callback.holidays.0.date", DATE)
