"""Opening hours and canned answers' shortcuts (issue 16), in a real browser on a fresh local stack: Ada sets hours
that close now through the API, and the demo page's widget says it is closed with the tenant's `closed` text and the
next opening (the demo's rule is asynchronous, so a message may still be left); then, hours off, Alice answers a
visitor by typing "/hel" and Tab in her composer: the answer goes in with the visitor's and her own names, stays
editable, and the listbox passes axe-core (WCAG A/AA)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, ask, axe_violations, rest, sign_in_desk, ws_url

WAIT = 10_000  # ms
CLOSED_TEXT = "Closed for the holidays."


def test_hours_that_close_now_show_the_closed_text_and_a_shortcut_fills_a_canned_answer(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    ada = rest(url, "POST", "/auth/login", {"username": "ada", "password": DEMO_PASSWORD})["id_token"]
    # Closed today and tomorrow (Paris), open the day after from 09:00: closed now whatever the hour of the run.
    reopening = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=2)
    hours = {"enabled": True, "time_zone": "Europe/Paris", "weekly": {},
             "overrides": [{"date": reopening.isoformat(), "periods": [["09:00", "18:00"]]}]}
    rest(url, "PUT", "/tenants/demo/settings", {"hours": hours, "texts": {"en": {"closed": CLOSED_TEXT}}}, token=ada)

    widget = pages.new()
    widget.goto(url)
    launcher = widget.get_by_test_id("guichet-launcher")
    expect(launcher).to_have_text(CLOSED_TEXT, timeout=WAIT)  # the closed text, instead of the chat button's
    launcher.click()
    notice = widget.get_by_test_id("guichet-unavailable")
    expect(notice).to_contain_text(CLOSED_TEXT, timeout=WAIT)
    expect(notice).to_contain_text(f"We open again {reopening:%A}")
    expect(widget.get_by_test_id("guichet-input")).to_be_visible()  # asynchronous: a message may be left

    # Hours off; a canned answer with a shortcut and both variables.
    greeting = {"title": "Greeting", "text": "Hello {visitor_name}, I am {agent_name}.", "shortcut": "hello"}
    rest(url, "PUT", "/tenants/demo/settings", {"hours": {"enabled": False}, "canned_answers": [
        greeting, {"title": "Help", "text": "How can I help?", "shortcut": "help"},
        {"title": "Bye", "text": "Goodbye!"}]}, token=ada)
    desk = sign_in_desk(pages.new(), url, "alice", DEMO_PASSWORD)
    with ExitStack() as stack:
        token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
        visitor = stack.enter_context(connect(ws_url(url, token), open_timeout=10))
        started = ask(visitor, {"action": "start_conversation", "consent": True, "id": "s", "visitor_name": "Zoé"})
        assert started["type"] == "ack", started
        offer = desk.get_by_test_id("offer")
        expect(offer).to_have_count(1, timeout=WAIT)
        offer.get_by_test_id("offer-accept").click()
        conversation = started["conversation"]["id"]
        expect(desk.locator(f"[data-testid=conversation-item][data-conversation-id='{conversation}']")).to_have_attribute(
            "data-status", "assigned", timeout=WAIT)
        expect(desk.get_by_test_id("desk-input")).to_be_enabled()

        box = desk.get_by_test_id("desk-input")
        box.press_sequentially("/hel", delay=20)
        options = desk.get_by_test_id("shortcut-option")
        expect(options).to_have_text(["/hello Greeting", "/help Help"])
        expect(options.first).to_have_attribute("aria-selected", "true")
        expect(box).to_have_attribute("aria-activedescendant", "shortcut-list-0")
        assert axe_violations(desk, "#composer") == []
        box.press("Tab")
        expect(box).to_have_value("Hello Zoé, I am Alice Martin.")
        expect(box).to_be_focused()
        expect(desk.get_by_test_id("shortcut-list")).to_be_hidden()
        box.press_sequentially(" Welcome!", delay=10)  # still editable before sending
        box.press("Enter")
        expect(desk.locator("[data-testid=desk-message][data-kind=agent]").last).to_have_text(
            "Hello Zoé, I am Alice Martin. Welcome!", timeout=WAIT)
    assert pages.dialogs == []
