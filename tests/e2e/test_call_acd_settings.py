"""The Call settings page's ACD section (issue 14, CB-5), in a real browser against the local stack: an ACD number
without a welcome is refused at the welcome's upload; with an MP3 welcome uploaded (converted in the page) it is
saved, its length with it, and the page says plainly that agents cannot answer these calls from the desk. An
agent's keypad id is saved from the agents' section, and another agent's id is refused at its input. Axe-clean."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import Pages, axe_violations, connect_desk, expect_refused_at, rest
from tests.e2e.test_call_settings import MP3, WAIT, StartStack, callback_settings, open_call_settings, token


def test_an_admin_turns_acd_mode_on_with_a_welcome_and_sets_keypad_ids(start_stack: StartStack,
                                                                      pages: Pages) -> None:
    url = start_stack()
    admin = token(url, "ada")
    desk = open_call_settings(connect_desk(pages.new(), url, "ada"))
    expect(desk.get_by_test_id("cs-acd-notice")).to_have_count(0)

    number = desk.get_by_test_id("cs-callback-acd-number")
    number.fill("+33 1 45 55 00 00")
    expect(desk.get_by_test_id("cs-acd-notice")).to_contain_text("Agents cannot answer them from Guichet's desk")
    desk.get_by_test_id("call-settings-save").click()
    welcome_status = desk.get_by_test_id("cs-callback-acd-welcome-status")
    expect(welcome_status).to_contain_text("welcome", timeout=WAIT)  # the refusal, at the welcome's upload
    expect(desk.get_by_test_id("cs-callback-acd-welcome")).to_be_focused()
    assert callback_settings(url, admin)["acd_number"] == ""

    desk.get_by_test_id("cs-callback-acd-welcome").set_input_files(str(MP3))
    expect(welcome_status).to_contain_text("ACD welcome saved", timeout=WAIT)
    desk.get_by_test_id("cs-callback-acd-welcome-seconds").fill("12")
    desk.get_by_test_id("call-settings-save").click()
    expect(desk.get_by_test_id("call-settings-outcome")).to_have_text("Call settings saved.", timeout=WAIT)
    saved = callback_settings(url, admin)
    assert saved["acd_number"] == "+33145550000" and saved["acd_welcome_seconds"] == 12
    assert saved["acd_welcome"].startswith("audio/demo/acd_welcome-")
    assert 1900 <= saved["acd_welcome_ms"] <= 2300  # the 2 s tone's length, kept by the page's save
    assert axe_violations(desk, "#call-settings-view") == []

    agents: list[dict[str, Any]] = rest(url, "GET", "/tenants/demo/agents", token=admin)["agents"]
    bob = next(a for a in agents if a["name"] == "Bob Leroy")
    alice = next(a for a in agents if a["name"].startswith("Alice"))
    desk.get_by_test_id("cs-agent-pick").select_option(bob["id"])
    keypad = desk.get_by_test_id("cs-agent-keypad-id")
    expect(keypad).to_be_visible(timeout=WAIT)
    keypad.fill("4217")
    desk.get_by_test_id("cs-agent-save").click()
    expect(desk.get_by_test_id("cs-agent-outcome")).to_have_text("Call settings of Bob Leroy saved.", timeout=WAIT)
    read = rest(url, "GET", f"/tenants/demo/agents/{bob['id']}/settings", token=admin)
    assert read["keypad_id"] == "4217"

    desk.get_by_test_id("cs-agent-pick").select_option(alice["id"])
    expect(keypad).to_have_value("", timeout=WAIT)
    keypad.fill("4217")  # Bob's: refused at its input
    desk.get_by_test_id("cs-agent-save").click()
    expect_refused_at(desk, "cs-agent-keypad-id", "keypad id")
    assert axe_violations(desk, "#call-settings-view") == []
    assert pages.dialogs == []
