"""Consult, conference and the transfer to a number from the desk's call card (issue 14, CB-10: web/desk/
call-consult.js), in Chromium on a fresh local stack with the phone emulator's phones: Alice, on the phone with the
visitor, is refused a premium-rate number (the error under the field), consults Bob (the visitor is on hold, out
of the room), joins the three in a conference, returns to the visitor, then transfers the visitor to an outside
number and wraps up; the visitor hangs up and the outside phone is hung up."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.e2e.helpers import Pages, axe_violations, login, rest
from tests.e2e.test_callback_call import ALICE_LINE, BOB_LINE, VISITOR_PHONE, WAIT, phone, script, until
from tests.e2e.test_desk_async import open_desk

OUTSIDE = "+33145678901"


def test_alice_consults_bob_joins_a_conference_then_transfers_the_visitor_to_a_number(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    alice, bob = login(url, "alice"), login(url, "bob")
    for who, line in ((alice, ALICE_LINE), (bob, BOB_LINE)):
        rest(url, "PUT", f"/tenants/demo/agents/{who['agent']['id']}/settings",
             {"takes_calls": True, "own_line": line, "capacity": {"chat": 0, "call": 1}}, token=admin)
    for number, after in ((ALICE_LINE, 0.3), (VISITOR_PHONE, 0.3), (BOB_LINE, 1), (OUTSIDE, 0.5)):
        script(url, number, "answer", after_seconds=after)
    desk = open_desk(pages, url, "alice")
    visitor = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    rest(url, "POST", "/tenants/demo/callbacks", {"phone": VISITOR_PHONE, "name": "Zoé", "when": "now"},
         token=visitor)
    card = desk.get_by_test_id("call-card")
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    rest(url, "PUT", "/tenants/demo/agents/me/status", {"status": "away"}, token=bob["id_token"])  # not offline

    card.get_by_label("Phone number").fill("0899 123 456")
    card.get_by_role("button", name="Consult number").click()
    expect(card.get_by_test_id("call-consult-error")).to_contain_text("premium-rate", timeout=WAIT)
    assert phone(url, VISITOR_PHONE)["state"] == "in call"  # refused: nothing happened

    card.get_by_label("Consult an agent").select_option(bob["agent"]["id"])
    card.get_by_role("button", name="Consult agent").click()
    until(lambda: phone(url, BOB_LINE)["room"] is not None
          and phone(url, BOB_LINE)["room"] == phone(url, ALICE_LINE)["room"], "Bob in the room with Alice")
    expect(card.get_by_test_id("call-consult-state")).to_have_text(
        "Consulting Bob Leroy. The visitor is on hold and cannot hear you.", timeout=WAIT)
    assert phone(url, VISITOR_PHONE)["room"] is None  # on hold, out of the room (no hold music uploaded here)
    expect(card.get_by_test_id("call-resume")).to_be_hidden()  # back only through Return or Conference
    assert axe_violations(desk) == []

    card.get_by_role("button", name="Conference").click()
    until(lambda: phone(url, VISITOR_PHONE)["room"] == phone(url, ALICE_LINE)["room"] == phone(url, BOB_LINE)["room"],
          "the three in one room")
    expect(card.get_by_test_id("call-consult-state")).to_have_text("Conference: you, the visitor and Bob Leroy.")
    card.get_by_role("button", name="Return to the visitor").click()
    until(lambda: phone(url, BOB_LINE)["state"] == "idle", "Bob hung up")
    expect(card.get_by_test_id("call-consult-state")).to_contain_text("you are back with the visitor", timeout=WAIT)

    card.get_by_label("Phone number").fill("01 45 67 89 01")
    card.get_by_role("button", name="Transfer to a number").click()
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "ended", timeout=WAIT)
    until(lambda: phone(url, ALICE_LINE)["state"] == "idle", "Alice's leg ended")
    until(lambda: phone(url, OUTSIDE)["room"] is not None
          and phone(url, OUTSIDE)["room"] == phone(url, VISITOR_PHONE)["room"], "the visitor put through")
    expect(card.get_by_test_id("call-consult-state")).to_have_text(
        "The visitor is put through to +33 1 •• •• •• 01.", timeout=WAIT)
    desk.get_by_test_id("call-wrap-up").click()  # Alice wraps up at once
    desk.get_by_test_id("disposition-select").select_option(index=1)
    desk.get_by_test_id("close-submit").click()
    expect(card.get_by_test_id("call-closed")).to_be_visible(timeout=WAIT)

    rest(url, "POST", f"/__local__/phones/{VISITOR_PHONE.replace('+', '%2B')}", {"action": "hang_up"})
    until(lambda: phone(url, OUTSIDE)["state"] == "idle", "the outside leg hung up")
    assert pages.dialogs == []
