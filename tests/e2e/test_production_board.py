"""The supervisors' Production view (issue 15, M6: "Live figures are read from state"), in Chromium against the
local stack: Sam opens Production while Alice's desk is open, and sees the board change live, pushed on the
WebSocket — a visitor starts waiting (waiting 1, with its oldest wait), Alice accepts (in progress 1, Alice on
contact), Sam sets Alice Away from the agent grid (Alice's own desk says Away). Keyboard-usable and axe-clean; an
agent without the roles gets no Production view."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Pages, axe_violations, login
from tests.e2e.test_desk_async import accept, set_status, watch_desk
from tests.e2e.test_supervisor_waiting import start_chat

WAIT = 15_000  # ms: a push comes within about a second (the board's timer), the local stack's pump adds a little
StartStack = Callable[..., str]


def open_production(desk: Page) -> None:
    """Open the Production view from the keyboard: focus the top bar's toggle and press Enter."""
    tab = desk.get_by_test_id("production-tab")
    expect(tab).to_be_visible(timeout=WAIT)
    tab.focus()
    desk.keyboard.press("Enter")
    expect(tab).to_have_attribute("aria-pressed", "true")
    expect(desk.get_by_test_id("production-view")).to_be_visible()
    expect(desk.locator("#production-title")).to_be_focused()


def total(desk: Page, key: str) -> object:
    return desk.get_by_test_id(f"total-{key}")


def agent_row(desk: Page, agent_id: str) -> object:
    return desk.locator(f"[data-testid=production-agent][data-agent-id='{agent_id}']")


def test_sam_sees_the_production_board_change_live(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    alice_id = login(url, "alice")["agent"]["id"]
    alice = watch_desk(pages, url, "alice")  # signed in, not Available yet: the visitor will wait
    expect(alice.get_by_test_id("production-tab")).to_be_hidden()  # an agent only: no Production view
    set_status(alice, "away")

    sam = watch_desk(pages, url, "sam")
    open_production(sam)
    expect(sam.get_by_test_id("production-view")).to_have_attribute("data-state", "loaded", timeout=WAIT)
    expect(total(sam, "waiting")).to_have_attribute("data-value", "0")
    expect(total(sam, "in_progress")).to_have_attribute("data-value", "0")
    row = agent_row(sam, alice_id)
    expect(row).to_have_attribute("data-status", "away", timeout=WAIT)
    assert axe_violations(sam) == []

    with ExitStack() as stack:
        # A visitor starts waiting: pushed, no reload.
        conversation_id = start_chat(stack, url, 1, f"{url}/shop", "Zoé")
        expect(total(sam, "waiting")).to_have_attribute("data-value", "1", timeout=WAIT)
        queue = sam.locator("[data-testid=production-queue][data-queue='default']")
        expect(queue.get_by_test_id("queue-waiting")).to_have_text("1")
        expect(queue.get_by_test_id("queue-oldest")).to_have_text(re.compile(r"^\d+ s$"))
        expect(queue.get_by_test_id("queue-stuck")).to_have_text("No eligible agent online")  # the stuck list
        expect(sam.get_by_test_id("production-count")).to_have_text("1")

        # Alice becomes Available, is offered the chat and accepts it: in progress 1, Alice on contact.
        set_status(alice, "available")
        accept(alice, conversation_id)
        expect(total(sam, "in_progress")).to_have_attribute("data-value", "1", timeout=WAIT)
        expect(total(sam, "waiting")).to_have_attribute("data-value", "0")
        expect(total(sam, "agents_on_contact")).to_have_attribute("data-value", "1")
        expect(queue.get_by_test_id("queue-stuck")).to_have_text("—")
        expect(row).to_have_attribute("data-on-contact", "true")
        expect(row).to_have_attribute("data-status", "available")
        expect(row.get_by_test_id("agent-load")).to_contain_text("chat 1/")
        expect(row.get_by_test_id("agent-in-state")).to_have_text(re.compile(r"^\d+ s$"))

        # Sam sets Alice Away from the keyboard: her desk is told, the board shows it.
        away = row.get_by_test_id("set-away")
        expect(away).to_have_accessible_name(re.compile(r"^Set Away \(Alice"))
        away.focus()
        sam.keyboard.press("Enter")
        expect(row).to_have_attribute("data-status", "away", timeout=WAIT)
        expect(row.get_by_test_id("set-away")).to_be_disabled()
        expect(total(sam, "agents_away")).to_have_attribute("data-value", "1")
        expect(alice.get_by_test_id("status-select")).to_have_attribute("data-status", "away", timeout=WAIT)
        assert axe_violations(sam) == []

    # Closing the view stops the pushes: the workspace is back.
    sam.get_by_test_id("production-tab").click()
    expect(sam.get_by_test_id("production-view")).to_be_hidden()
