"""A call taken and handed over on the desk's softphones (issue 14: CB-6, CB-10), in Chromium on a fresh local stack
whose softphone is the phone emulator's (SOFTPHONE=local). The visitor chatted with Bob, then asked to be called
back. Alice answers calls on the desk: she accepts the call there, puts the visitor on hold (the emulator shows the
visitor hearing the music), takes them back, and transfers the call to Bob, who also answers on the desk. Bob's desk
shows the offer with the chat before the callback; he accepts, his desk holds the call card with that chat, his
browser joins the room with the visitor, and Alice's leaves it with the call. Sam, a supervisor, follows it all in
his Calls view: on hold while it is offered to Bob, then Bob's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, login, rest, sign_in_desk
from tests.e2e.test_call_transfer import bob_chats_first
from tests.e2e.test_callback_call import VISITOR_PHONE, WAIT, phone, script, until
from tests.e2e.test_desk_async import watch_desk
from tests.e2e.test_live_calls import REFRESH_WAIT, open_calls, row
from tests.e2e.test_live_chat_widget import OpenWidget
from tests.e2e.test_live_chat_widget import open_widget as open_widget  # the fixture
from tests.e2e.test_softphone import accept, browsers, on_desk

FIRST_WORDS = "The parcel came damaged; can someone call me?"


def desk_of(pages: Pages, url: str, username: str) -> Page:
    """A signed-in, Available desk whose browser lets it use the microphone (chromium's fake device)."""
    page = pages.new()
    page.context.grant_permissions(["microphone"], origin=url)
    return sign_in_desk(page, url, username, DEMO_PASSWORD)


def in_room(url: str, room: str) -> list[str]:
    return sorted(b["external_user_id"] for b in browsers(url, room))


def test_alice_answers_on_the_desk_holds_resumes_and_hands_the_call_to_bob(
        start_stack: Callable[..., str], pages: Pages, open_widget: OpenWidget) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    alice: dict[str, Any] = on_desk(url)  # Alice takes calls on the desk; the hold music is a second of silence
    bob_login = login(url, "bob")
    alice_id, bob_id = alice["agent"]["id"], bob_login["agent"]["id"]
    script(url, VISITOR_PHONE, "answer", after_seconds=0.3)

    widget = bob_chats_first(url, open_widget, FIRST_WORDS)  # the chat the callback comes from
    rest(url, "PUT", f"/tenants/demo/agents/{bob_id}/settings",
         {"takes_calls": True, "answer_calls": "desk", "capacity": {"chat": 0, "call": 1}}, token=admin)

    desk = desk_of(pages, url, "alice")
    widget.get_by_test_id("guichet-callback-open").click()
    expect(widget.get_by_test_id("guichet-callback-now")).to_be_checked(timeout=WAIT)
    widget.get_by_test_id("guichet-callback-phone").fill("06 12 34 56 78")
    widget.get_by_test_id("guichet-callback-name").fill("Zoé Martin")
    widget.get_by_test_id("guichet-callback-submit").click()

    accept(desk)  # no phone of Alice's rings: Accept takes the call on the desk
    card = desk.get_by_test_id("call-card")
    expect(card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    expect(card.get_by_test_id("softphone")).to_have_attribute("data-status", "joined", timeout=WAIT)
    until(lambda: phone(url, VISITOR_PHONE)["room"] is not None, "the visitor in the room")
    room = phone(url, VISITOR_PHONE)["room"]
    until(lambda: in_room(url, room) == [f"agent-{alice_id}"], "Alice's browser in the room")

    card.get_by_test_id("call-hold").click()
    until(lambda: phone(url, VISITOR_PHONE)["state"] == "hearing music", "the visitor hears the hold music")
    expect(card.get_by_test_id("call-on-hold")).to_be_visible(timeout=WAIT)
    assert phone(url, VISITOR_PHONE)["room"] is None  # out of the room: Alice cannot hear them, nor they her
    card.get_by_test_id("call-resume").click()
    until(lambda: phone(url, VISITOR_PHONE)["room"] == room, "the visitor back in the room")
    expect(card.get_by_test_id("call-on-hold")).to_have_count(0, timeout=WAIT)

    sam = watch_desk(pages, url, "sam")
    open_calls(sam)
    live = row(sam, phone_callback(url))
    expect(live.get_by_test_id("live-call-agent")).to_have_text(alice["agent"]["name"], timeout=WAIT + REFRESH_WAIT)

    bob_desk = desk_of(pages, url, "bob")  # Bob, Available for calls now
    picker = card.get_by_test_id("call-transfer-agent")
    expect(picker.locator(f'option[value="{bob_id}"]')).to_have_count(1, timeout=WAIT)
    picker.select_option(bob_id)
    card.get_by_test_id("call-transfer-agent-submit").click()
    expect(card.get_by_test_id("call-transfer-state")).to_contain_text("Transferring to", timeout=WAIT)
    until(lambda: phone(url, VISITOR_PHONE)["state"] == "hearing music", "the visitor on hold meanwhile")

    expect(live.get_by_test_id("live-call-state")).to_have_text(
        f"On hold, transferring to {bob_login['agent']['name']}", timeout=WAIT + REFRESH_WAIT)
    offer = bob_desk.locator("[data-testid=offer][data-medium=call]")
    expect(offer).to_be_visible(timeout=WAIT)
    expect(offer.get_by_test_id("call-origin-message").first).to_contain_text(FIRST_WORDS)
    offer.get_by_test_id("offer-accept").click()

    bob_card = bob_desk.get_by_test_id("call-card")
    expect(bob_card.get_by_test_id("call-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
    expect(bob_card.get_by_test_id("call-origin-message").first).to_contain_text(FIRST_WORDS)  # the chat history
    expect(bob_card.get_by_test_id("softphone")).to_have_attribute("data-status", "joined", timeout=WAIT)
    until(lambda: phone(url, VISITOR_PHONE)["room"] == room, "the visitor taken off hold into the room")
    until(lambda: in_room(url, room) == [f"agent-{bob_id}"], "Bob's browser in the room, Alice's gone")
    expect(desk.get_by_test_id("call-card")).to_have_count(0, timeout=WAIT)  # the call left Alice's desk
    expect(live.get_by_test_id("live-call-agent")).to_have_text(bob_login["agent"]["name"],
                                                                timeout=WAIT + REFRESH_WAIT)
    expect(live.get_by_test_id("live-call-state")).to_have_text("Connected")
    assert pages.dialogs == []


def phone_callback(url: str) -> str:
    """The id of the callback the emulator's visitor phone is on (its call's arguments name it)."""
    calls: list[dict[str, Any]] = rest(url, "GET", "/__local__/phones")["calls"]
    return str(next(c["arguments"]["callback"] for c in calls if c["to"] == VISITOR_PHONE))
