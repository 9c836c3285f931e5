"""A booked callback starts by itself at its time (issue 13, CB-2 and CB-11), in a real browser against a fresh
local stack, with the stack's test clock (`POST /__local__/clock`, local/clock.py) instead of a wait: an admin sets
today's slot about 20 minutes ahead, a visitor books it through the visitor API (its first attempt is then an
EventBridge Scheduler `at()` schedule), Alice (takes calls, on her own line) sees it Booked in her agenda; the clock
is moved past the booking's time, the timer pump fires the schedule, and the callback's first attempt rings Alice's
emulated phone while her agenda shows it Calling."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import BASE_SETTINGS
from tests.e2e.helpers import Pages, login, rest
from tests.e2e.test_desk_async import open_desk
from tests.e2e.test_desk_calls import agenda_on, book, open_agenda

WAIT = 10_000  # ms
ALICE_LINE = "+33698765432"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: A zone where the slot does not run past midnight: the first of these whose day holds it.
ZONES = ("Europe/Paris", "Asia/Tokyo")


def a_slot_twenty_minutes_ahead(url: str, admin: str) -> str:
    """Slots: one range today of 10 minutes, for 1 callback, starting 20 to 21 minutes from now (more than the 15
    minutes an SQS delay covers); its time zone."""
    for name in ZONES:
        zone = ZoneInfo(name)
        start = (datetime.now(UTC) + timedelta(minutes=21)).astimezone(zone).replace(second=0, microsecond=0)
        end = start + timedelta(minutes=10)
        if end.date() == start.date():
            break
    else:  # pragma: no cover - the zones are 8 hours apart
        raise AssertionError("no zone holds the slot")
    rest(url, "PUT", "/tenants/demo/settings", {"callback": {
        "slots": [{"weekday": WEEKDAYS[start.weekday()], "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
                   "capacity": 1}],
        "holidays": [], "time_zone": name}}, token=admin)
    return name


def phone(url: str, number: str) -> dict[str, Any]:
    found: dict[str, Any] = rest(url, "GET", f"/__local__/phones/{number.replace('+', '%2B')}")["phone"]
    return found


def until(check: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.2)


def test_a_booking_shows_in_the_agenda_and_starts_by_itself_at_its_time(start_stack: Callable[..., str],
                                                                       pages: Pages) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    zone = a_slot_twenty_minutes_ahead(url, admin)
    alice_id = login(url, "alice")["agent"]["id"]
    rest(url, "PUT", f"/tenants/demo/agents/{alice_id}/settings", {"takes_calls": True, "own_line": ALICE_LINE},
         token=admin)
    rest(url, "PUT", f"/__local__/phones/{ALICE_LINE.replace('+', '%2B')}/script", {"script": "ring"})
    rest(url, "PUT", "/__local__/phones/timing", {"ring_timeout_seconds": 20})

    booked = book(url, name="Zoé Martin")
    at = datetime.fromisoformat(booked["at"].replace("Z", "+00:00"))
    assert at - datetime.now(UTC) > timedelta(minutes=15)  # a Scheduler schedule, not an SQS delay
    desk = open_desk(pages, url, "alice")  # Available, on her own line
    open_agenda(desk)
    agenda_on(desk, at.astimezone(ZoneInfo(zone)).date().isoformat())
    row = desk.locator(f"[data-testid=agenda-row][data-callback-id='{booked['id']}']")
    expect(row).to_have_attribute("data-state", "booked", timeout=WAIT)
    expect(row.get_by_test_id("agenda-state")).to_have_text("Booked")
    assert phone(url, ALICE_LINE)["state"] == "idle"

    time.sleep(2)  # a few pump passes on the wall clock: nothing is due yet
    assert phone(url, ALICE_LINE)["state"] == "idle"
    expect(row).to_have_attribute("data-state", "booked")

    clock = rest(url, "GET", "/__local__/clock")
    assert clock["offset_seconds"] == 0
    past = math.ceil((at - datetime.now(UTC)).total_seconds()) + 5
    moved = rest(url, "POST", "/__local__/clock", {"advance_seconds": past})
    assert moved["offset_seconds"] == past and datetime.fromisoformat(moved["now"]) > at

    until(lambda: phone(url, ALICE_LINE)["state"] == "ringing", "Alice's phone rings")
    expect(row).to_have_attribute("data-state", "calling", timeout=WAIT)  # on the callback.updated frame
    expect(row.get_by_test_id("agenda-state")).to_have_text("Calling")
    assert pages.dialogs == []


def test_a_reset_puts_the_test_clock_back_to_the_wall_clock(start_stack: Callable[..., str]) -> None:
    url = start_stack()
    assert rest(url, "POST", "/__local__/clock", {"advance_seconds": 86400})["offset_seconds"] == 86400
    assert rest(url, "POST", "/__local__/reset", dict(BASE_SETTINGS)) == {"status": "reset"}
    clock = rest(url, "GET", "/__local__/clock")
    assert clock["offset_seconds"] == 0
    assert abs(datetime.fromisoformat(clock["now"]) - datetime.now(UTC)) < timedelta(seconds=5)
