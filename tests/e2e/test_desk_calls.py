"""The desk's call parts (issue 13), in a real browser against a fresh local stack: the line prompt (CB-6) asks an
agent who takes calls for the phone to ring, refuses a bad number by its field, keeps a good one until Log out and
asks again at the next login; the agenda (CB-11) lists a callback booked through the visitor API on its day, in the
tenant's time zone, with Previous day / Today / Next day. Keyboard only where the agent would type."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, login, rest
from tests.e2e.test_desk_async import open_desk

WAIT = 10_000  # ms: pushes and acks on the local stack take well under a second
StartStack = Callable[..., str]
TENANT_ZONE = "Europe/Paris"  # the demo tenant's callback time zone (the default)


def asked_for_a_line(url: str, username: str = "alice") -> str:
    """The agent takes calls and is asked for their number at each login (an admin's settings); their id."""
    admin = login(url, "ada")["id_token"]
    agent_id: str = login(url, username)["agent"]["id"]
    rest(url, "PUT", f"/tenants/demo/agents/{agent_id}/settings", {"takes_calls": True, "ask_line_at_login": True},
         token=admin)
    return agent_id


def sign_in_to_the_prompt(page: Page, url: str, username: str = "alice") -> None:
    """Signs in; the line prompt opens with the focus in its field."""
    page.goto(f"{url}/desk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-password").press("Enter")
    expect(page.get_by_test_id("line-prompt")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("dialog", name="Which phone should ring for your calls?")).to_be_visible()
    expect(page.get_by_label("Phone number")).to_be_focused()


def book(url: str, name: str = "Zoé Martin", phone: str = "+33612345678") -> dict[str, Any]:
    """A visitor books the first free slot through the visitor API; the booked callback."""
    token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    slot = rest(url, "GET", "/tenants/demo/callbacks/slots")["slots"][0]
    booked: dict[str, Any] = rest(url, "POST", "/tenants/demo/callbacks",
                                  {"phone": phone, "name": name, "when": slot["key"]}, token=token)
    assert booked["state"] == "booked", booked
    return booked


def open_agenda(desk: Page) -> None:
    desk.get_by_test_id("agenda-tab").click()
    expect(desk.get_by_test_id("agenda-view")).to_be_visible()
    expect(desk.get_by_test_id("agenda-view")).to_have_attribute("data-state", "loaded", timeout=WAIT)


def agenda_on(desk: Page, day: str) -> None:
    """Next day until the agenda shows `day` (YYYY-MM-DD, at most the booking horizon ahead)."""
    shown = desk.get_by_test_id("agenda-day")
    for _ in range(16):
        if shown.get_attribute("data-day") == day:
            break
        current = shown.get_attribute("data-day")
        desk.get_by_test_id("agenda-next").click()
        expect(shown).not_to_have_attribute("data-day", current or "", timeout=WAIT)
    expect(shown).to_have_attribute("data-day", day)
    expect(desk.get_by_test_id("agenda-view")).to_have_attribute("data-state", "loaded", timeout=WAIT)


def test_the_line_prompt_refuses_a_bad_number_and_keeps_a_good_one_until_log_out(start_stack: StartStack,
                                                                                 pages: Pages) -> None:
    url = start_stack()
    asked_for_a_line(url)
    desk = pages.new()
    sign_in_to_the_prompt(desk, url)

    field = desk.get_by_label("Phone number")
    field.fill("06 12 34 56 78")  # no country code
    field.press("Enter")
    expect(desk.get_by_test_id("line-error")).to_contain_text("+ and the country code", timeout=WAIT)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()

    field.fill("+33 6 12 34 56 78")
    field.press("Enter")
    expect(desk.get_by_test_id("line-prompt")).to_be_hidden(timeout=WAIT)
    expect(desk.get_by_test_id("line-button")).to_have_text("Phone: +33612345678")
    expect(desk.get_by_test_id("status-select")).to_be_focused()  # what the agent does next: go Available
    token = login(url, "alice")["id_token"]
    assert rest(url, "GET", "/tenants/demo/me", token=token)["call_line"] == "+33612345678"

    desk.reload()  # the same login: not asked again
    expect(desk.get_by_test_id("desk-connection")).to_have_text("connected", timeout=15_000)
    expect(desk.get_by_test_id("line-button")).to_have_text("Phone: +33612345678")
    expect(desk.get_by_test_id("line-prompt")).to_be_hidden()

    desk.get_by_test_id("logout").click()  # Offline: the number is forgotten, the next login asks again
    expect(desk.get_by_test_id("login-username")).to_be_visible(timeout=WAIT)
    sign_in_to_the_prompt(desk, url)
    expect(desk.get_by_label("Phone number")).to_have_value("")
    desk.keyboard.press("Escape")  # as Skip
    expect(desk.get_by_test_id("line-prompt")).to_be_hidden()
    expect(desk.get_by_test_id("line-button")).to_have_text("Phone: none")
    desk.get_by_test_id("line-button").click()  # the Phone button asks again
    expect(desk.get_by_label("Phone number")).to_be_focused()
    desk.get_by_test_id("line-skip").click()
    expect(desk.get_by_test_id("line-prompt")).to_be_hidden()
    expect(desk.get_by_test_id("line-button")).to_be_focused()  # back where the agent was
    assert pages.dialogs == []


def test_an_agent_not_asked_for_a_line_sees_no_prompt(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "bob")  # Available: nothing stood in the way of the status select
    expect(desk.get_by_test_id("line-prompt")).to_be_hidden()
    expect(desk.get_by_test_id("line-button")).to_have_count(0)


def test_the_agenda_shows_a_booked_callback_on_its_day(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    booked = book(url)
    at = datetime.fromisoformat(booked["at"].replace("Z", "+00:00")).astimezone(ZoneInfo(TENANT_ZONE))
    today = datetime.now(ZoneInfo(TENANT_ZONE)).date().isoformat()
    desk = open_desk(pages, url, "alice")

    open_agenda(desk)
    expect(desk.get_by_test_id("agenda-day")).to_have_attribute("data-day", today)
    expect(desk.locator("#workspace")).to_be_hidden()
    agenda_on(desk, at.date().isoformat())

    row = desk.locator(f"[data-testid=agenda-row][data-callback-id='{booked['id']}']")
    expect(row).to_be_visible(timeout=WAIT)
    expect(row).to_have_attribute("data-state", "booked")
    time = row.get_by_test_id("agenda-time")  # in the tenant's zone, as the agent's language writes times
    expect(time).to_have_text(re.compile(rf"^\s*({at:%H:%M}|{at:%I:%M %p})\s*$"))
    expect(time.locator("time")).to_have_attribute("datetime", re.compile(f"^{booked['at'][:16]}"))
    expect(row.get_by_test_id("agenda-name")).to_have_text("Zoé Martin")
    expect(row.get_by_test_id("agenda-state")).to_have_text("Booked")
    expect(desk.get_by_test_id("agenda-zone")).to_have_text(f"Times in {TENANT_ZONE}")

    desk.get_by_test_id("agenda-previous").click()
    expect(desk.get_by_test_id("agenda-day")).to_have_attribute("data-day", (
        datetime.fromordinal(at.date().toordinal() - 1).date().isoformat()), timeout=WAIT)
    expect(row).to_have_count(0, timeout=WAIT)
    desk.get_by_test_id("agenda-today").click()
    expect(desk.get_by_test_id("agenda-day")).to_have_attribute("data-day", today, timeout=WAIT)

    desk.get_by_test_id("agenda-tab").click()  # back to the conversations
    expect(desk.locator("#workspace")).to_be_visible()
    expect(desk.get_by_test_id("agenda-view")).to_be_hidden()
