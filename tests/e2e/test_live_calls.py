"""The supervisors' Calls view (issue 14: "Supervisors see live calls in their views: who, how long, on hold or
not"), in Chromium against the local stack: Sam, a supervisor, watches the desk's Calls view while a visitor's
immediate callback connects with Alice on her own line (the phone emulator's phones answer), is put on hold, and
ends; an agent without the roles gets no Calls view. With the endpoint stubbed in the browser: each state of a live
call as the view says it, hostile visitor text kept as text, and the error banner."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import Pages, axe_violations, connect_desk, login, rest
from tests.e2e.test_callback_call import ALICE_LINE, VISITOR_PHONE, phone, script, until
from tests.e2e.test_desk_async import open_desk, watch_desk

WAIT = 15_000  # ms
REFRESH_WAIT = 12_000  # ms: the view reloads every 5 s
XSS = "<img src=x onerror=alert(1)>"


def open_calls(desk: Page) -> None:
    """Open the Calls view from the keyboard: focus the top bar's toggle and press Enter."""
    tab = desk.get_by_test_id("calls-tab")
    expect(tab).to_be_visible(timeout=WAIT)
    tab.focus()
    desk.keyboard.press("Enter")
    expect(tab).to_have_attribute("aria-pressed", "true")
    expect(desk.get_by_test_id("calls-view")).to_be_visible()
    expect(desk.locator("#calls-title")).to_be_focused()


def row(desk: Page, callback_id: str) -> Any:
    return desk.locator(f"[data-testid=live-call-row][data-callback-id='{callback_id}']")


def test_sam_sees_the_live_call(start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    alice = login(url, "alice")
    # Alice takes calls on her own line and no chats; both phones answer.
    rest(url, "PUT", f"/tenants/demo/agents/{alice['agent']['id']}/settings",
         {"takes_calls": True, "own_line": ALICE_LINE, "capacity": {"chat": 0, "call": 1}}, token=admin)
    script(url, ALICE_LINE, "answer", after_seconds=1)
    script(url, VISITOR_PHONE, "answer", after_seconds=0.5)
    alice_desk = open_desk(pages, url, "alice")
    expect(alice_desk.get_by_test_id("calls-tab")).to_be_hidden()  # an agent only: no Calls view

    sam = watch_desk(pages, url, "sam")
    open_calls(sam)
    expect(sam.get_by_test_id("calls-view")).to_have_attribute("data-state", "loaded", timeout=WAIT)
    expect(sam.get_by_test_id("calls-empty")).to_be_visible()
    expect(sam.get_by_test_id("calls-count")).to_have_text("0")

    visitor = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    callback = rest(url, "POST", "/tenants/demo/callbacks", {"phone": VISITOR_PHONE, "name": "Zoé", "when": "now"},
                    token=visitor)
    callback_id = callback["id"]

    # The call shows up within a refresh, and is connected with Alice once both phones answer.
    live = row(sam, callback_id)
    expect(live).to_have_attribute("data-state", "connected", timeout=WAIT + REFRESH_WAIT)
    expect(live.get_by_test_id("live-call-agent")).to_have_text("Alice Martin", timeout=REFRESH_WAIT)
    expect(live.get_by_test_id("live-call-state")).to_have_text("Connected")
    expect(live.get_by_test_id("live-call-visitor")).to_contain_text("Zoé")
    expect(live.get_by_test_id("live-call-phone")).to_have_text(VISITOR_PHONE)
    expect(live.get_by_test_id("live-call-duration")).to_have_text(re.compile(r"^\d+ (s|min)$"))
    expect(sam.get_by_test_id("calls-empty")).to_be_hidden()
    expect(sam.get_by_test_id("calls-count")).to_have_text("1")
    assert axe_violations(sam) == []

    # Alice puts the visitor on hold: Sam's view says so, with how long, at its next load.
    card = alice_desk.get_by_test_id("call-card")
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    card.get_by_test_id("call-hold").click()
    expect(card.get_by_test_id("call-on-hold")).to_be_visible(timeout=WAIT)
    expect(live).to_have_attribute("data-held", "true", timeout=REFRESH_WAIT)
    expect(live.get_by_test_id("live-call-state")).to_have_text("On hold")
    expect(live.get_by_test_id("live-call-held-for")).to_have_text(re.compile(r"^on hold \d+ (s|min)$"))
    assert axe_violations(sam) == []

    # The visitor hangs up: the call leaves the view.
    rest(url, "POST", f"/__local__/phones/{VISITOR_PHONE.replace('+', '%2B')}", {"action": "hang_up"})
    until(lambda: phone(url, ALICE_LINE)["state"] == "idle", "Alice's phone hung up")
    expect(live).to_have_count(0, timeout=REFRESH_WAIT)
    expect(sam.get_by_test_id("calls-empty")).to_be_visible()

    # Back to the conversations with the toggle.
    sam.get_by_test_id("calls-tab").click()
    expect(sam.get_by_test_id("calls-view")).to_be_hidden()
    expect(sam.locator("#workspace")).to_be_visible()
    assert pages.dialogs == []


# ---------------------------------------------------------------- the view itself, with a stubbed answer

NOW = "2026-11-21T09:10:00Z"


def call(callback_id: str, state: str, phase: str, since: str, **fields: Any) -> dict[str, Any]:
    return {"id": callback_id, "conversation_id": f"{callback_id}-1", "phone": "+33612345678", "name": "Zoé",
            "state": state, "phase": phase, "since": since, "attempt": 1, "attempts": 3, "agent_name": None,
            "queue": "default", "held_since": None, **fields}


STUB = {
    "calls": [
        call("cb-1", "calling", "waiting_agent", "2026-11-21T09:09:30Z", name=XSS),
        call("cb-2", "calling", "ringing_agent", "2026-11-21T09:09:50Z", agent_name="Bob Leroy"),
        call("cb-3", "calling", "calling_visitor", "2026-11-21T09:09:55Z", agent_name="Bob Leroy", name=""),
        call("cb-4", "connected", "connected", "2026-11-21T09:05:00Z", agent_name="Alice Martin"),
        call("cb-5", "connected", "connected", "2026-11-21T08:00:00Z", agent_name="Alice Martin",
             held_since="2026-11-21T09:08:00Z"),
    ],
    "now": NOW,
}


def test_the_view_says_each_state_of_a_live_call(stack_url: str, pages: Pages) -> None:
    """The durations count from the answer's `now` (the server's clock), whatever the desk's clock says."""
    answers: list[tuple[int, Any]] = [(500, {"code": "internal", "message": "boom"})]

    def live(route: Route) -> None:
        status, body = answers[-1]
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    desk = pages.new()
    desk.route("**/tenants/demo/calls/live", live)
    connect_desk(desk, stack_url, "sam")
    open_calls(desk)
    banner = desk.get_by_test_id("calls-error")
    expect(banner).to_be_visible(timeout=WAIT)
    expect(banner).to_contain_text("Could not load the live calls: boom (HTTP 500)")

    answers.append((200, STUB))
    with desk.expect_request("**/tenants/demo/calls/live"):
        desk.get_by_test_id("calls-refresh").click()
    expect(banner).to_be_hidden(timeout=WAIT)
    expect(desk.get_by_test_id("live-call-row")).to_have_count(5)
    expect(desk.get_by_test_id("calls-count")).to_have_text("5")

    waiting = row(desk, "cb-1")
    expect(waiting).to_have_attribute("data-state", "calling")
    expect(waiting.get_by_test_id("live-call-agent")).to_have_text("Waiting for an agent")
    expect(waiting.get_by_test_id("live-call-state")).to_have_text("Waiting for an agent")
    expect(waiting.get_by_test_id("live-call-visitor")).to_contain_text(XSS)  # text, not markup
    expect(waiting.locator("img")).to_have_count(0)

    ringing = row(desk, "cb-2")
    expect(ringing.get_by_test_id("live-call-agent")).to_have_text("Ringing Bob Leroy")
    expect(ringing.get_by_test_id("live-call-state")).to_have_text("Ringing the agent")

    calling = row(desk, "cb-3")
    expect(calling.get_by_test_id("live-call-agent")).to_have_text("Bob Leroy")
    expect(calling.get_by_test_id("live-call-state")).to_have_text("Calling the visitor")
    expect(calling.get_by_test_id("live-call-visitor")).to_contain_text("Not given")

    connected = row(desk, "cb-4")
    expect(connected).to_have_attribute("data-state", "connected")
    expect(connected).to_have_attribute("data-held", "false")
    expect(connected.get_by_test_id("live-call-state")).to_have_text("Connected")
    expect(connected.get_by_test_id("live-call-duration")).to_have_text(re.compile(r"^5 min$"))

    held = row(desk, "cb-5")
    expect(held).to_have_attribute("data-held", "true")
    expect(held.get_by_test_id("live-call-state")).to_have_text("On hold")
    expect(held.get_by_test_id("live-call-duration")).to_contain_text("1 h 10 min")
    expect(held.get_by_test_id("live-call-held-for")).to_have_text("on hold 2 min")
    assert axe_violations(desk) == []

    # No call: the empty state.
    answers.append((200, {"calls": [], "now": NOW}))
    with desk.expect_request("**/tenants/demo/calls/live"):
        desk.get_by_test_id("calls-refresh").click()
    expect(desk.get_by_test_id("calls-empty")).to_be_visible(timeout=WAIT)
    expect(desk.get_by_test_id("calls-table")).to_be_hidden()
    assert axe_violations(desk) == []
    assert pages.dialogs == []
