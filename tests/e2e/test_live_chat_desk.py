"""Live chat on the agent desk (CHAT-5..CHAT-11), in a real browser against a fresh local stack per test: offers
accepted, rejected or left to expire, the six-chat limit, ending a chat with a disposition, and reloads on both
sides. The visitor is the widget on the demo page, or (for many visitors at once) a plain WebSocket client."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, ask, rest, sign_in_desk, ws_url

WAIT = 10_000  # ms: pushes and acks on the local stack take well under a second; timers are pumped every second
StartStack = Callable[..., str]
XSS = "<img src=x onerror=alert(1)>"


# ---------------------------------------------------------------- helpers


def open_desk(pages: Pages, url: str, username: str) -> Page:
    """A signed-in desk whose agent is Available (as the server acknowledged it)."""
    return sign_in_desk(pages.new(), url, username, DEMO_PASSWORD)


def open_widget(pages: Pages, url: str) -> Page:
    page = pages.new()
    page.goto(url)
    page.get_by_test_id("guichet-launcher").click()
    return page


def visitor_says(widget: Page, text: str) -> None:
    widget.get_by_test_id("guichet-input").fill(text)
    widget.get_by_test_id("guichet-send").click()
    sent = widget.locator("[data-testid=guichet-message][data-kind=visitor]").last
    expect(sent).to_have_text(text)
    expect(sent).to_have_attribute("data-state", "sent", timeout=WAIT)


def agent_says(desk: Page, text: str) -> None:
    desk.get_by_test_id("desk-input").fill(text)
    desk.get_by_test_id("desk-send").click()
    expect(desk.locator("[data-testid=desk-message][data-kind=agent]").last).to_have_attribute(
        "data-state", "sent", timeout=WAIT)


def accept_the_offer(desk: Page) -> str:
    """Accept the only offer on the desk; returns its conversation id."""
    offer = desk.get_by_test_id("offer")
    expect(offer).to_have_count(1, timeout=WAIT)
    conversation_id = offer.get_attribute("data-conversation-id")
    assert conversation_id
    offer.get_by_test_id("offer-accept").click()
    expect(offer).to_have_count(0, timeout=WAIT)
    expect(desk.locator(f"[data-testid=conversation-item][data-conversation-id='{conversation_id}']")).to_have_attribute(
        "data-status", "assigned", timeout=WAIT)
    return conversation_id


def countdown_seconds(offer: Any) -> int:
    text = offer.get_by_test_id("offer-countdown").inner_text()
    match = re.fullmatch(r"(\d+) s", text.strip())
    assert match, f"unexpected countdown {text!r}"
    return int(match.group(1))


def desk_token(desk: Page) -> str:
    token: str = desk.evaluate("JSON.parse(sessionStorage.getItem('guichet:desk:session')).id_token")
    return token


def api_visitor(stack: ExitStack, url: str, n: int, **request: Any) -> tuple[ClientConnection, dict[str, Any]]:
    """A visitor driven through the public API: opens a chat and writes in it; returns its socket and the ack."""
    token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    socket = stack.enter_context(connect(ws_url(url, token),
                                         open_timeout=10))
    started = ask(socket, {"action": "start_conversation", "consent": True, "id": f"start-{n}", **request})
    assert started["type"] == "ack", started
    sent = ask(socket, {"action": "send_message", "id": f"send-{n}", "conversation_id": started["conversation"]["id"],
                        "client_message_id": f"m-{n}", "text": f"Hello from visitor {n}", "after_seq": 0})
    assert sent["type"] == "ack", sent
    return socket, started


# ---------------------------------------------------------------- scenarios


def test_a_visitors_chat_is_offered_then_accepted_and_messages_flow_both_ways(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    widget = open_widget(pages, url)
    visitor_says(widget, "Do you have the Gravelo in size M?")

    offer = desk.get_by_test_id("offer")
    expect(offer).to_have_count(1, timeout=WAIT)
    page = offer.get_by_test_id("offer-page")
    expect(page).to_contain_text("Demo Brand")
    expect(page.locator("a")).to_have_attribute("href", f"{url}/")  # http(s) only becomes a link
    expect(offer.get_by_test_id("offer-visitor-ip")).to_have_text("127.0.0.1")
    assert 0 < countdown_seconds(offer) <= 30
    expect(offer.get_by_test_id("offer-reject")).to_be_visible()

    accept_the_offer(desk)
    expect(desk.get_by_test_id("active-count")).to_have_attribute("data-count", "1")
    received = desk.get_by_test_id("desk-message").first
    expect(received).to_have_text("Do you have the Gravelo in size M?", timeout=WAIT)
    expect(received).to_have_attribute("data-kind", "visitor")
    expect(widget.get_by_test_id("guichet-status")).to_contain_text("Alice", timeout=WAIT)

    # The visitor types: the desk shows it, and stops showing it when the message arrives.
    widget.get_by_test_id("guichet-input").press_sequentially("Also in blue", delay=20)
    expect(desk.get_by_test_id("typing-indicator")).to_be_visible(timeout=WAIT)
    widget.get_by_test_id("guichet-send").click()
    expect(desk.get_by_test_id("desk-message").last).to_have_text("Also in blue", timeout=WAIT)
    expect(desk.get_by_test_id("typing-indicator")).to_be_hidden(timeout=WAIT)

    # A canned answer goes into the input, then out to the visitor.
    desk.get_by_test_id("canned-select").select_option(label="Greeting")
    expect(desk.get_by_test_id("desk-input")).to_have_value("Hello, thank you for contacting us. How can I help you?")
    desk.get_by_test_id("desk-send").click()
    reply = widget.locator("[data-testid=guichet-message][data-kind=agent]")
    expect(reply).to_have_text(["Hello, thank you for contacting us. How can I help you?"], timeout=WAIT)
    agent_says(desk, "Yes, both sizes are in stock.")
    expect(reply.last).to_have_text("Yes, both sizes are in stock.", timeout=WAIT)
    assert pages.dialogs == []


def test_a_rejected_chat_goes_to_the_next_agent_and_the_rejecting_agent_becomes_away(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    alice = open_desk(pages, url, "alice")  # Available first: waited longest, offered first
    bob = open_desk(pages, url, "bob")
    widget = open_widget(pages, url)
    visitor_says(widget, "Hello?")

    offer = alice.get_by_test_id("offer")
    expect(offer).to_have_count(1, timeout=WAIT)
    offer.get_by_test_id("offer-reject").click()
    expect(offer).to_have_count(0, timeout=WAIT)
    expect(alice.get_by_test_id("status-select")).to_have_value("away", timeout=WAIT)
    expect(alice.get_by_test_id("desk-notice")).to_contain_text("Away")

    accept_the_offer(bob)
    expect(bob.get_by_test_id("desk-message").first).to_have_text("Hello?", timeout=WAIT)
    expect(widget.get_by_test_id("guichet-status")).to_contain_text("Bob", timeout=WAIT)
    agent_says(bob, "Bob here, how can I help?")
    expect(widget.locator("[data-testid=guichet-message][data-kind=agent]")).to_have_text(
        ["Bob here, how can I help?"], timeout=WAIT)
    expect(alice.get_by_test_id("conversation-item")).to_have_count(0)
    expect(alice.get_by_test_id("offer")).to_have_count(0)
    assert pages.dialogs == []


@pytest.mark.demo_settings(acceptance_seconds=5)
def test_an_offer_not_accepted_in_time_sets_the_agent_away_and_goes_to_the_next_agent(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()  # acceptance_seconds=5
    alice = open_desk(pages, url, "alice")
    bob = open_desk(pages, url, "bob")
    widget = open_widget(pages, url)
    visitor_says(widget, "Anyone there?")

    offer = alice.get_by_test_id("offer")
    expect(offer).to_have_count(1, timeout=WAIT)
    assert 0 < countdown_seconds(offer) <= 5
    # Alice does nothing: the server withdraws the offer when the 5 seconds are over.
    expect(alice.get_by_test_id("desk-notice")).to_contain_text("Offer expired: you are now Away", timeout=WAIT)
    expect(offer).to_have_count(0)
    expect(alice.get_by_test_id("status-select")).to_have_value("away")

    accept_the_offer(bob)
    expect(bob.get_by_test_id("desk-message").first).to_have_text("Anyone there?", timeout=WAIT)
    expect(widget.get_by_test_id("guichet-status")).to_contain_text("Bob", timeout=WAIT)
    expect(alice.get_by_test_id("conversation-item")).to_have_count(0)
    assert pages.dialogs == []


def test_an_agent_with_six_chats_is_not_offered_a_seventh(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    with ExitStack() as sockets:
        requests: list[dict[str, Any]] = [
            {"page": {"url": f"https://shop.example/p{n}", "title": f"Product {n}"}, "visitor_name": f"Visitor {n}",
             "visitor_email": f"v{n}@example.com", "custom": {"order": f"A-{n}"}} for n in range(7)]
        # Whatever a visitor's browser reports stays text, and only an http(s) page becomes a link.
        requests[1] = {"page": {"url": "javascript:alert(1)", "title": XSS}, "visitor_name": XSS,
                       "custom": {"note": XSS}}
        acks = [api_visitor(sockets, url, n, **request)[1] for n, request in enumerate(requests)]
        # The first six are offered to Alice (each offer holds one of her six slots); the seventh waits in line.
        seventh = acks[6]["conversation"]["id"]

        offers = desk.get_by_test_id("offer")
        expect(offers).to_have_count(6, timeout=WAIT)
        first = desk.locator(f"[data-testid=offer][data-conversation-id='{acks[0]['conversation']['id']}']")
        expect(first.get_by_test_id("offer-visitor-name")).to_have_text("Visitor 0")
        expect(first.get_by_test_id("offer-visitor-email")).to_have_text("v0@example.com")
        expect(first.get_by_test_id("offer-custom")).to_have_text("order: A-0")
        expect(first.get_by_test_id("offer-customer")).to_have_text("New visitor")  # no brand-signed identity
        expect(first.get_by_test_id("offer-page").locator("a")).to_have_attribute("href", "https://shop.example/p0")

        hostile = desk.locator(f"[data-testid=offer][data-conversation-id='{acks[1]['conversation']['id']}']")
        expect(hostile.get_by_test_id("offer-visitor-name")).to_have_text(XSS)
        expect(hostile.get_by_test_id("offer-custom")).to_have_text(f"note: {XSS}")
        expect(hostile.get_by_test_id("offer-page")).to_contain_text("javascript:alert(1)")
        expect(hostile.get_by_test_id("offer-page").locator("a")).to_have_count(0)
        assert desk.locator("img[src=x]").count() == 0

        for ack in acks[:6]:
            card = desk.locator(f"[data-testid=offer][data-conversation-id='{ack['conversation']['id']}']")
            card.get_by_test_id("offer-accept").click()
            expect(card).to_have_count(0, timeout=WAIT)
        expect(desk.get_by_test_id("conversation-item")).to_have_count(6, timeout=WAIT)
        expect(desk.get_by_test_id("active-count")).to_have_attribute("data-count", "6")
        expect(desk.get_by_test_id("desk-message").last).to_have_text("Hello from visitor 5", timeout=WAIT)

        desk.wait_for_timeout(2_000)  # several timer pumps: still no seventh offer
        expect(offers).to_have_count(0)
        mine = rest(url, "GET", "/tenants/demo/conversations", token=desk_token(desk))["conversations"]
        assert sorted(c["status"] for c in mine) == ["assigned"] * 6 and seventh not in {c["id"] for c in mine}

        # The seventh was waiting all along: the next Available agent is offered it at once.
        bob = rest(url, "POST", "/auth/login", {"username": "bob", "password": DEMO_PASSWORD})["id_token"]
        rest(url, "PUT", "/tenants/demo/agents/me/status", {"status": "available"}, token=bob)
        offered = rest(url, "GET", "/tenants/demo/conversations", token=bob)["conversations"]
        assert [(c["id"], c["status"]) for c in offered] == [(seventh, "offered")]
    assert pages.dialogs == []


@pytest.mark.demo_settings(disposition_required=True, reject_allowed=False)
def test_an_agent_ends_a_chat_with_a_required_disposition(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()  # disposition_required=True, reject_allowed=False
    desk = open_desk(pages, url, "alice")
    widget = open_widget(pages, url)
    visitor_says(widget, "Thanks, that is all.")
    offer = desk.get_by_test_id("offer")
    expect(offer).to_have_count(1, timeout=WAIT)
    expect(offer.get_by_test_id("offer-reject")).to_be_hidden()  # the tenant removed the right to reject
    conversation_id = accept_the_offer(desk)
    agent_says(desk, "You are welcome!")

    desk.get_by_test_id("close-chat").click()
    form = desk.get_by_test_id("close-form")
    expect(form).to_be_visible()
    expect(form.get_by_test_id("chat-duration")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    form.get_by_test_id("close-submit").click()  # no disposition: the server refuses
    expect(form.get_by_test_id("close-error")).to_contain_text("disposition", timeout=WAIT)
    item = desk.get_by_test_id("conversation-item")
    expect(item).to_have_attribute("data-status", "assigned")

    form.get_by_test_id("disposition-select").select_option("Resolved")
    form.get_by_test_id("close-notes").fill("Customer satisfied.")
    form.get_by_test_id("save-as").select_option("draft")
    form.get_by_test_id("close-submit").click()
    expect(form).to_be_hidden(timeout=WAIT)
    expect(item).to_have_attribute("data-status", "closed")
    expect(desk.get_by_test_id("active-count")).to_have_attribute("data-count", "0")
    expect(desk.get_by_test_id("desk-input")).to_be_disabled()
    expect(widget.get_by_text("This conversation has ended").first).to_be_visible(timeout=WAIT)

    closed = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}", token=desk_token(desk))
    assert (closed["status"], closed["disposition"]) == ("closed", "Resolved")
    assert pages.dialogs == []


def test_both_sides_reload_mid_chat_and_carry_on(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    widget = open_widget(pages, url)
    visitor_says(widget, "Before the reload")
    conversation_id = accept_the_offer(desk)
    agent_says(desk, "Agent before the reload")
    agent_messages = widget.locator("[data-testid=guichet-message][data-kind=agent]")
    expect(agent_messages).to_have_text(["Agent before the reload"], timeout=WAIT)

    with ExitStack() as sockets:
        api_visitor(sockets, url, 2)  # a second chat, offered while the first goes on
        pending = desk.get_by_test_id("offer")
        expect(pending).to_have_count(1, timeout=WAIT)
        offer_id = pending.get_attribute("data-offer-id")
        before = countdown_seconds(pending)

        desk.reload()  # the desk comes back with its status, the open chat and its history, and the pending offer
        expect(desk.get_by_test_id("desk-connection")).to_have_text("connected", timeout=15_000)
        expect(desk.get_by_test_id("status-select")).to_have_value("available")
        item = desk.get_by_test_id("conversation-item")
        expect(item).to_have_count(1, timeout=WAIT)
        expect(item).to_have_attribute("data-conversation-id", conversation_id)
        expect(desk.get_by_test_id("desk-message")).to_have_text(["Before the reload", "Agent before the reload"],
                                                                 timeout=WAIT)
        expect(pending).to_have_count(1, timeout=WAIT)
        expect(pending).to_have_attribute("data-offer-id", offer_id or "")
        assert 0 < countdown_seconds(pending) <= before

        widget.reload()  # the widget resumes the same conversation
        expect(widget.get_by_test_id("guichet-launcher")).to_be_visible(timeout=WAIT)
        if not widget.get_by_test_id("guichet-input").is_visible():
            widget.get_by_test_id("guichet-launcher").click()
        expect(agent_messages).to_have_text(["Agent before the reload"], timeout=WAIT)
        visitor_says(widget, "After the reload")
        expect(desk.get_by_test_id("desk-message").last).to_have_text("After the reload", timeout=WAIT)
        expect(item).to_have_count(1)
        agent_says(desk, "Welcome back")
        expect(agent_messages).to_have_text(["Agent before the reload", "Welcome back"], timeout=WAIT)

        pending.get_by_test_id("offer-accept").click()  # the restored offer can still be accepted
        expect(item).to_have_count(2, timeout=WAIT)
    assert pages.dialogs == []


def test_a_new_customers_record_is_created_from_the_chat_and_the_chat_is_saved_on_it_as_a_case(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    with ExitStack() as sockets:
        api_visitor(sockets, url, 1, visitor_name="Zoé Martin", visitor_email="zoe@example.org")
        offer = desk.get_by_test_id("offer")
        expect(offer).to_have_count(1, timeout=WAIT)
        expect(offer.get_by_test_id("offer-no-contact")).to_be_visible()  # no record yet: a new customer
        conversation_id = accept_the_offer(desk)

        # CHAT-8: the chat pane offers to create the record, prefilled from what the visitor gave.
        form = desk.get_by_test_id("contact-form")
        expect(form).to_be_visible(timeout=WAIT)
        expect(form.get_by_test_id("contact-name")).to_have_value("Zoé Martin")
        expect(form.get_by_test_id("contact-email")).to_have_value("zoe@example.org")
        form.get_by_test_id("contact-phone").fill("+33 6 12 34 56 78")
        form.get_by_test_id("contact-save").click()
        card = desk.get_by_test_id("chat-contact").get_by_test_id("contact-card")
        expect(card).to_be_visible(timeout=WAIT)
        expect(form).to_have_count(0)
        expect(card).to_contain_text("Zoé Martin")
        expect(card).to_contain_text("+33 6 12 34 56 78")
        expect(card).to_contain_text("0 earlier cases")
        contact_id = card.get_attribute("data-contact-id")
        assert contact_id

        # CHAT-11: ending the chat saves its log as a case on that record.
        desk.get_by_test_id("close-chat").click()
        close = desk.get_by_test_id("close-form")
        close.get_by_test_id("disposition-select").select_option("Resolved")
        close.get_by_test_id("close-notes").fill("Asked about sizes.")
        close.get_by_test_id("close-submit").click()
        expect(close).to_be_hidden(timeout=WAIT)
        expect(desk.get_by_test_id("conversation-item")).to_have_attribute("data-status", "closed")

        record = rest(url, "GET", f"/tenants/demo/contacts/{contact_id}", token=desk_token(desk))
        assert (record["name"], record["email"], record["phone"]) == ("Zoé Martin", "zoe@example.org",
                                                                     "+33 6 12 34 56 78")
        assert [(c["conversation_id"], c["disposition"], c["notes"], c["saved_as"]) for c in record["cases"]] == [
            (conversation_id, "Resolved", "Asked about sizes.", "case")]

        # The customer comes back: their record pops up with the next offer.
        api_visitor(sockets, url, 2, visitor_email="ZOE@example.org")
        again = desk.get_by_test_id("offer")
        expect(again).to_have_count(1, timeout=WAIT)
        expect(again.get_by_test_id("contact-card")).to_contain_text("1 earlier case")
        expect(again.get_by_test_id("contact-card")).to_have_attribute("data-contact-id", contact_id)
    assert pages.dialogs == []


def test_an_agent_with_the_queue_switched_off_gets_no_offer_until_switching_it_on(start_stack: StartStack,
                                                                                 pages: Pages) -> None:
    stack_url = start_stack()
    desk = open_desk(pages, stack_url, "alice")
    toggle = desk.locator("[data-testid=queue-toggle][data-queue=default]")
    expect(toggle).to_be_checked(timeout=WAIT)
    toggle.uncheck()
    expect(toggle).not_to_be_checked()
    with ExitStack() as sockets:
        _socket, started = api_visitor(sockets, stack_url, 1)
        desk.wait_for_timeout(1500)
        expect(desk.get_by_test_id("offer")).to_have_count(0)
        toggle.check()  # on again while Available: the waiting chat is offered at once
        offer = desk.get_by_test_id("offer")
        expect(offer).to_have_count(1, timeout=WAIT)
        assert offer.get_attribute("data-conversation-id") == started["conversation"]["id"]
        offer.get_by_test_id("offer-accept").click()
        expect(offer).to_have_count(0, timeout=WAIT)
