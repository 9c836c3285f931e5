"""A call transferred to another agent with consent (issue 14, CB-10), in Chromium on a fresh local stack with the
phone emulator's phones: the visitor chatted with Bob, then asked to be called back; Alice, on her own line, takes
the call and transfers it to Bob from her call card; Bob refuses it from his desk (the call stays Alice's, the
visitor on hold), then she offers it again. Bob's desk shows the offer like any call offer, with the chat
before the callback; his phone rings and he answers it (the emulator's control); his desk then holds the call card
with that chat, he and the visitor are in one room, and Alice's leg has ended."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Pages, axe_violations, login, rest, upload_hold_music, write
from tests.e2e.test_callback_call import ALICE_LINE, VISITOR_PHONE, WAIT, phone, script, until
from tests.e2e.test_desk_async import open_desk
from tests.e2e.test_live_chat_widget import OpenWidget, agent
from tests.e2e.test_live_chat_widget import open_widget as open_widget  # the fixture

BOB_LINE = "+33698765433"
FIRST_WORDS = "My order never came; could someone call me?"


def control(number: str) -> str:
    return f"/__local__/phones/{number.replace('+', '%2B')}"


def bob_chats_first(url: str, open_widget: OpenWidget, words: str) -> Page:
    """The visitor chats with Bob first (the chat the callback will come from); Bob ends that chat and steps away.
    The visitor's widget page."""
    bob = agent(url, "bob")
    bob.ask("set_status", status="available")
    page, _ = open_widget(url)
    write(page, words)
    chat = bob.expect("offer")
    bob.ask("accept_offer", conversation_id=chat["conversation"]["id"], offer_id=chat["offer"]["id"])
    expect(page.get_by_test_id("guichet-status")).to_contain_text("Bob", timeout=WAIT)
    bob.ask("close_conversation", conversation_id=chat["conversation"]["id"])
    bob.ask("set_status", status="away")
    return page


def test_alice_transfers_the_call_to_bob_who_answers_and_sees_the_whole_case(
        start_stack: Callable[..., str], pages: Pages, open_widget: OpenWidget) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    alice, bob_login = login(url, "alice"), login(url, "bob")
    rest(url, "PUT", f"/tenants/demo/agents/{alice['agent']['id']}/settings",
         {"takes_calls": True, "own_line": ALICE_LINE, "capacity": {"chat": 0, "call": 1}}, token=admin)
    upload_hold_music(url, admin)
    script(url, ALICE_LINE, "answer", after_seconds=0.3)
    script(url, VISITOR_PHONE, "answer", after_seconds=0.3)
    script(url, BOB_LINE, "ring")  # Bob answers by hand, below

    page = bob_chats_first(url, open_widget, FIRST_WORDS)
    rest(url, "PUT", f"/tenants/demo/agents/{bob_login['agent']['id']}/settings",
         {"takes_calls": True, "own_line": BOB_LINE, "capacity": {"chat": 0, "call": 1}}, token=admin)

    desk = open_desk(pages, url, "alice")
    page.get_by_test_id("guichet-callback-open").click()
    expect(page.get_by_test_id("guichet-callback-now")).to_be_checked(timeout=WAIT)
    page.get_by_test_id("guichet-callback-phone").fill("06 12 34 56 78")
    page.get_by_test_id("guichet-callback-name").fill("Zoé Martin")
    page.get_by_test_id("guichet-callback-submit").click()
    card = desk.get_by_test_id("call-card")
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    until(lambda: phone(url, VISITOR_PHONE)["room"] is not None, "the visitor in the room")

    bob_desk = open_desk(pages, url, "bob")  # Bob, Available for calls now
    picker = card.get_by_test_id("call-transfer-agent")
    bob_id, alice_id = bob_login["agent"]["id"], alice["agent"]["id"]
    expect(picker.locator(f'option[value="{bob_id}"]')).to_have_count(1, timeout=WAIT)
    expect(picker.locator(f'option[value="{alice_id}"]')).to_have_count(0)  # not oneself
    assert axe_violations(desk) == []  # the transfer and requalify forms: labelled
    bob_name = bob_login["agent"]["name"]

    # Bob refuses it first: the call stays Alice's, the visitor on hold; Bob is not made Away.
    picker.select_option(bob_id)
    card.get_by_test_id("call-transfer-agent-submit").click()
    offer = bob_desk.locator("[data-testid=offer][data-medium=call]")
    expect(offer).to_be_visible(timeout=WAIT)
    offer.get_by_test_id("offer-reject").click()
    expect(bob_desk.get_by_test_id("desk-notice")).to_have_text("Transfer refused.", timeout=WAIT)
    expect(card.get_by_test_id("call-transfer-state")).to_have_text(f"{bob_name} refused the transfer.", timeout=WAIT)
    assert phone(url, VISITOR_PHONE)["state"] == "hearing music" and phone(url, ALICE_LINE)["state"] == "in call"
    until(lambda: phone(url, BOB_LINE)["state"] == "idle", "Bob's phone stopped ringing")
    expect(bob_desk.get_by_test_id("status-select")).to_have_attribute("data-status", "available")

    # Then again, and Bob answers his phone.
    picker.select_option(bob_id)
    card.get_by_test_id("call-transfer-agent-submit").click()
    expect(card.get_by_test_id("call-transfer-state")).to_have_text(f"Transferring to {bob_name}…", timeout=WAIT)
    until(lambda: phone(url, VISITOR_PHONE)["state"] == "hearing music", "the visitor on hold")
    assert phone(url, ALICE_LINE)["state"] == "in call"  # Alice stays on the call meanwhile

    offer = bob_desk.locator("[data-testid=offer][data-medium=call]")
    expect(offer).to_be_visible(timeout=WAIT)
    expect(offer.get_by_test_id("call-phone")).to_have_text(VISITOR_PHONE)
    expect(offer.get_by_test_id("call-origin-message").first).to_contain_text(FIRST_WORDS)
    until(lambda: phone(url, BOB_LINE)["state"] == "ringing", "Bob's phone rings")
    rest(url, "POST", control(BOB_LINE), {"action": "answer"})

    bob_card = bob_desk.get_by_test_id("call-card")
    expect(bob_card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    expect(bob_card.get_by_test_id("call-origin-message").first).to_contain_text(FIRST_WORDS)
    expect(offer).to_have_count(0)
    until(lambda: phone(url, BOB_LINE)["room"] is not None
          and phone(url, BOB_LINE)["room"] == phone(url, VISITOR_PHONE)["room"], "Bob and the visitor in one room")
    until(lambda: phone(url, ALICE_LINE)["state"] == "idle", "Alice's leg ended")
    expect(desk.get_by_test_id("call-card")).to_have_count(0, timeout=WAIT)  # the call left Alice's desk
