"""Recording from the call card (issue 14, CB-9, CB-10), in Chromium on a fresh local stack with the phone
emulator's phones: the tenant records calls (none by the draw), Alice takes calls on her own line. For a visitor who
asked not to be recorded, the card's Record button is disabled and says why (aria-describedby); for one who did
not, Alice records (the emulator's call records the visitor's leg after the notice), pauses and resumes: the state
goes Not recorded, Recording, Paused, Recording. axe-core finds nothing on either card."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from local.phone_media import silent_wav
from tests.e2e.helpers import Pages, axe_violations, login, rest
from tests.e2e.test_callback_call import ALICE_LINE, VISITOR_PHONE, script, until
from tests.e2e.test_desk_async import open_desk

WAIT = 15_000  # ms
StartStack = Callable[..., str]


def wav(seconds: float) -> str:
    return base64.b64encode(silent_wav(seconds)).decode()  # as the Call settings page sends it


def connected_card(pages: Pages, url: str, *, do_not_record: bool) -> tuple[Page, Any]:
    """A tenant that records calls (0 % drawn: only the card records), Alice on her own line, a callback asked now
    (opted out or not) and answered by both phones: Alice's desk and the connected call's card."""
    admin = login(url, "ada")["id_token"]
    alice = login(url, "alice")
    rest(url, "PUT", f"/tenants/demo/agents/{alice['agent']['id']}/settings",
         {"takes_calls": True, "own_line": ALICE_LINE, "capacity": {"chat": 0, "call": 1}}, token=admin)
    rest(url, "PUT", "/tenants/demo/callbacks/audio/recording_notice", {"wav_base64": wav(0.5)}, token=admin)
    rest(url, "PUT", "/tenants/demo/settings", {"callback": {"recording": True, "recording_share_percent": 0}},
         token=admin)
    script(url, ALICE_LINE, "answer", after_seconds=0.3)
    script(url, VISITOR_PHONE, "answer", after_seconds=0.3)
    desk = open_desk(pages, url, "alice")
    visitor = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    rest(url, "POST", "/tenants/demo/callbacks", {"phone": VISITOR_PHONE, "name": "Zoé", "when": "now",
                                                  "do_not_record": do_not_record}, token=visitor)
    card = desk.get_by_test_id("call-card")
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    return desk, card


def recordings(url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = rest(url, "GET", "/__local__/phones/recordings")["recordings"]
    return found


def test_the_record_toggle_is_disabled_with_its_reason_for_an_opted_out_visitor(start_stack: StartStack,
                                                                                 pages: Pages) -> None:
    url = start_stack()
    desk, card = connected_card(pages, url, do_not_record=True)
    toggle = card.get_by_test_id("recording-toggle")
    expect(toggle).to_be_visible(timeout=WAIT)
    expect(toggle).to_have_text("Record")
    expect(toggle).to_be_disabled()
    reason = card.get_by_test_id("recording-reason")
    expect(reason).to_have_text("The visitor asked not to be recorded.")
    expect(toggle).to_have_attribute("aria-describedby", str(reason.get_attribute("id")))
    expect(toggle).to_have_accessible_description("The visitor asked not to be recorded.")
    expect(card.get_by_test_id("recording-state")).to_have_text("Not recorded")
    assert axe_violations(desk) == []
    assert recordings(url) == []
    assert pages.dialogs == []


def test_alice_records_pauses_and_resumes_the_call(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk, card = connected_card(pages, url, do_not_record=False)
    toggle, state = card.get_by_test_id("recording-toggle"), card.get_by_test_id("recording-state")
    expect(state).to_have_text("Not recorded", timeout=WAIT)
    expect(toggle).to_be_enabled()
    expect(card.get_by_test_id("recording-reason")).to_have_count(0)
    assert axe_violations(desk) == []

    toggle.click()
    expect(state).to_have_text("Recording", timeout=WAIT)
    expect(toggle).to_have_text("Pause recording")
    until(lambda: len(recordings(url)) == 1, "the emulator records the visitor's leg")

    toggle.focus()
    desk.keyboard.press("Enter")  # the keyboard works as well
    expect(state).to_have_text("Paused", timeout=WAIT)
    expect(toggle).to_have_text("Resume recording")
    until(lambda: len(recordings(url)[0]["paused"]) == 1, "the recording paused")

    toggle.click()
    expect(state).to_have_text("Recording", timeout=WAIT)
    expect(toggle).to_have_text("Pause recording")
    until(lambda: recordings(url)[0]["paused"][0][1] is not None, "the recording resumed")
    assert len(recordings(url)) == 1
    assert axe_violations(desk) == []
    assert pages.dialogs == []
