"""ACD mode (issue 14, CB-5) from the /phone page: the tenant sends its callbacks to an ACD number; the ACD's phone
answers, is asked for an agent id (PlayAudioAndGetDigits), and a person types Bob's keypad id on the page's keypad,
with the keyboard: the visitor is called, both are in the callback's room, and the call shows on Bob's desk as his.
Axe-clean while the keypad waits."""

from __future__ import annotations

import base64
from collections.abc import Callable

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, axe_violations, rest
from tests.e2e.test_desk_async import open_desk
from tests.integration.call_line import silent_wav

ACD = "+33145550000"
VISITOR = "+33612345679"


def test_a_person_types_the_agent_id_on_the_phone_pages_keypad(start_stack: Callable[..., str],
                                                                pages: Pages) -> None:
    url = start_stack()
    admin = rest(url, "POST", "/auth/login", {"username": "ada", "password": DEMO_PASSWORD})["id_token"]
    rest(url, "PUT", "/tenants/demo/callbacks/audio/acd_welcome",
         {"wav_base64": base64.b64encode(silent_wav(0.2)).decode()}, token=admin)
    rest(url, "PUT", "/tenants/demo/settings", {"callback": {"acd_number": ACD, "acd_welcome_seconds": 0}},
         token=admin)
    bob = next(a for a in rest(url, "GET", "/tenants/demo/agents", token=admin)["agents"] if a["name"] == "Bob Leroy")
    rest(url, "PUT", f"/tenants/demo/agents/{bob['id']}/settings",
         {"keypad_id": "4217", "capacity": {"chat": 0, "call": 1}}, token=admin)
    rest(url, "PUT", f"/__local__/phones/{ACD}/script", {"script": "answer"})
    rest(url, "PUT", f"/__local__/phones/{VISITOR}/script", {"script": "answer"})
    desk = open_desk(pages, url, "bob")  # signed in and Available: the call will show here
    page = pages.new()
    page.goto(f"{url}/phone")

    visitor = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    rest(url, "POST", "/tenants/demo/callbacks", {"phone": VISITOR, "name": "Zoé", "when": "now"}, token=visitor)
    phone = page.get_by_test_id(f"phone-{ACD[1:]}")
    expect(phone.get_by_test_id("phone-state")).to_have_text("Asked for digits", timeout=15_000)
    assert axe_violations(page) == []
    keys = phone.get_by_label("Type digits")
    keys.focus()
    page.keyboard.type("4217")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id(f"phone-{VISITOR[1:]}").get_by_test_id("phone-state")).to_contain_text(
        "in the callback's room", timeout=15_000)
    expect(phone.get_by_test_id("phone-state")).to_contain_text("in the callback's room")
    expect(keys).to_have_value("")
    card = desk.get_by_test_id("call-card")
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=15_000)
    expect(card.get_by_test_id("call-phone")).to_have_text(VISITOR)
    assert pages.dialogs == []
