"""axe-core on every screen (the project's standard: "axe-core finds no WCAG 2 A/AA violation on any of them"), in
a real browser against the local stack: the demo page with the widget's launcher, each of the widget's screens
(first screen, consent, waiting with the email invitation, settings, chat, end and rating, history, dissuasion,
unavailable text, minimised with the badge), the desk's sign-in, the signed-in desk with an offer, an accepted
chat and each of its panels, the supervisor's Waiting and Held views, and the calls' line prompt and agenda.

Each test brings a page to one screen or state the way the feature's own tests do, then asserts that
`axe_violations` (tests/e2e/helpers.py: WCAG 2.0/2.1 A and AA rules only) finds nothing; a failure lists each rule
broken with the elements that break it. The widget lives in an open shadow root, which axe looks into. A test that
starts a conversation takes a stack of its own (`start_stack`): a chat left waiting on the shared `stack_url` would
be offered to the agents of later tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import Pages, ask, axe_violations, connect_desk, login, rest, submit_sign_in, write
from tests.e2e.test_desk_async import accept as accept_on_desk
from tests.e2e.test_desk_async import api_visitor, chat_item, held_row, offer_of, open_desk, watch_desk
from tests.e2e.test_desk_calls import agenda_on, asked_for_a_line, book, open_agenda, sign_in_to_the_prompt
from tests.e2e.test_live_chat_widget import CONVERSATION_KEY, SYNCHRONOUS, agent, stored
from tests.e2e.test_live_chat_widget import accept as accept_by_api
from tests.e2e.test_supervisor_waiting import ROUTING, open_waiting, start_chat

WAIT = 10_000  # ms: an ack or a push on the local stack takes well under a second
StartStack = Callable[..., str]
BRAND_PAGE = "/a11y-brand-page.html"  # answered by context.route, not by the stack


# ---------------------------------------------------------------- the widget


def open_widget(pages: Pages, url: str) -> Page:
    """A new visitor on the demo page with the widget's panel open on its first screen."""
    page = pages.new()
    page.goto(url)
    page.get_by_test_id("guichet-launcher").click()
    expect(page.locator("#panel")).to_be_visible()
    return page


def test_the_demo_page_with_the_launcher(stack_url: str, pages: Pages) -> None:
    page = pages.new()
    page.goto(stack_url)
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible(timeout=WAIT)
    assert axe_violations(page) == []


def test_the_widget_opened_on_its_first_screen(stack_url: str, pages: Pages) -> None:
    page = open_widget(pages, stack_url)
    expect(page.get_by_test_id("guichet-welcome")).to_be_visible()
    expect(page.get_by_test_id("guichet-input")).to_be_focused()
    assert axe_violations(page) == []


@pytest.mark.demo_settings(consent_required=True)
def test_the_widget_asking_for_consent(start_stack: StartStack, pages: Pages) -> None:
    page = open_widget(pages, start_stack())
    expect(page.get_by_test_id("guichet-consent")).to_be_visible()
    assert axe_violations(page) == []


def test_the_widget_waiting_with_the_email_invitation(start_stack: StartStack, pages: Pages) -> None:
    page = open_widget(pages, start_stack())
    write(page, "Do you deliver to Corsica?")
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("guichet-invite")).to_be_visible(timeout=WAIT)
    assert axe_violations(page) == []


def test_the_email_invitation_refusing_an_address_then_done(start_stack: StartStack, pages: Pages) -> None:
    page = open_widget(pages, start_stack())
    write(page, "Write to me, please.")
    page.get_by_test_id("guichet-invite-email").fill("zoe at example")
    page.get_by_test_id("guichet-invite-save").click()
    expect(page.get_by_test_id("guichet-invite-error")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_test_id("guichet-invite-email").fill("zoe@example.org")
    page.get_by_test_id("guichet-invite-save").click()
    expect(page.get_by_test_id("guichet-invite-done")).to_be_visible(timeout=WAIT)
    assert axe_violations(page) == []


def test_the_widget_settings(start_stack: StartStack, pages: Pages) -> None:
    page = open_widget(pages, start_stack())
    write(page, "Please write to me when you can.")
    page.get_by_test_id("guichet-invite-skip").click()
    page.get_by_test_id("guichet-settings-button").click()
    expect(page.get_by_test_id("guichet-settings")).to_be_visible()
    page.get_by_test_id("guichet-settings-email").fill("not-an-address")
    page.get_by_test_id("guichet-settings-email-save").click()
    expect(page.get_by_test_id("guichet-settings-status")).not_to_be_empty()
    assert axe_violations(page) == []


def accepted_chat(url: str, pages: Pages, question: str) -> tuple[Page, Any, str]:
    """A visitor on the demo page asked `question`, and Alice (Available) accepted it: (page, alice, conversation id).
    The caller closes alice."""
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page = open_widget(pages, url)
    write(page, question)
    conversation_id = stored(page, CONVERSATION_KEY)
    accept_by_api(alice, conversation_id)
    return page, alice, conversation_id


def test_the_widget_in_a_chat_with_messages_from_both_sides(start_stack: StartStack, pages: Pages) -> None:
    page, alice, conversation_id = accepted_chat(start_stack(), pages, "Is the Volta E+ in stock?")
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-1", text="Yes, two are left.")
    alice.ask("typing", conversation_id=conversation_id, typing=True)
    expect(page.locator("[data-testid=guichet-message][data-kind=agent]")).to_have_text(["Yes, two are left."],
                                                                                        timeout=WAIT)
    expect(page.get_by_test_id("guichet-typing")).to_be_visible(timeout=WAIT)
    assert axe_violations(page) == []
    alice.close()


def test_the_widget_end_screen_with_the_rating_then_rated(start_stack: StartStack, pages: Pages) -> None:
    page, alice, conversation_id = accepted_chat(start_stack(), pages, "Thanks, that is all.")
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-1", text="You are welcome!")
    alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
    expect(page.get_by_test_id("guichet-end")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("guichet-rating")).to_be_visible()
    page.get_by_test_id("guichet-rate-4").click()
    assert axe_violations(page) == []
    page.get_by_test_id("guichet-rating-submit").click()
    expect(page.get_by_test_id("guichet-rating-done")).to_be_visible(timeout=WAIT)
    assert axe_violations(page) == []
    alice.close()


def test_the_widget_with_the_previous_conversations_open(start_stack: StartStack, pages: Pages) -> None:
    page, alice, first_id = accepted_chat(start_stack(), pages, "Which size for 1.80 m?")
    alice.ask("send_message", conversation_id=first_id, client_message_id="a-1", text="A size L frame.")
    alice.ask("close_conversation", conversation_id=first_id, disposition="Resolved")
    expect(page.get_by_test_id("guichet-end")).to_be_visible(timeout=WAIT)
    write(page, "And for 1.65 m?")
    page.get_by_test_id("guichet-history-summary").click(timeout=WAIT)
    page.get_by_test_id("guichet-history-item").click()
    expect(page.get_by_test_id("guichet-history-message")).to_have_count(2)
    assert axe_violations(page) == []
    alice.close()


@pytest.mark.demo_settings(max_wait_seconds=5)
def test_the_widget_dissuasion(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()  # max_wait_seconds=5, and a group that lets nobody wait: live chat only
    rest(url, "PUT", "/tenants/demo/routing", SYNCHRONOUS, token=login(url, "ada")["id_token"])
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page = open_widget(pages, url)
    write(page, "Anyone there?")
    conversation_id = stored(page, CONVERSATION_KEY)
    offer = alice.expect("offer", lambda f: f["conversation"]["id"] == conversation_id)
    alice.ask("reject_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])
    expect(page.get_by_test_id("guichet-dissuasion")).to_be_visible(timeout=15_000)
    assert axe_violations(page) == []
    alice.close()


def test_the_widget_unavailable_text(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    rest(url, "PUT", "/tenants/demo/routing", SYNCHRONOUS, token=login(url, "ada")["id_token"])
    page = pages.new()
    page.context.grant_permissions(["local-network-access"])  # a routed page counts as public (see test_widget_embed)
    html = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Brand page</title></head><body>'
            '<main><p>A brand\'s page.</p></main>'
            '<script src="/widget/widget.js" data-tenant="demo" data-unavailable="message"></script></body></html>')
    page.context.route(f"{url}{BRAND_PAGE}", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=html))
    page.goto(f"{url}{BRAND_PAGE}")
    page.get_by_test_id("guichet-launcher").click(timeout=WAIT)
    expect(page.get_by_test_id("guichet-unavailable")).to_be_visible(timeout=WAIT)
    assert axe_violations(page) == []


def test_the_launcher_minimised_with_the_badge(start_stack: StartStack, pages: Pages) -> None:
    page, alice, conversation_id = accepted_chat(start_stack(), pages, "Is the Urbana 3 in stock?")
    page.get_by_test_id("guichet-minimise").click()
    expect(page.locator("#panel")).to_be_hidden()
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-1", text="Yes, one is left.")
    expect(page.get_by_test_id("guichet-badge")).to_have_text("1", timeout=WAIT)
    assert axe_violations(page) == []
    alice.close()


# ---------------------------------------------------------------- the desk


def test_the_desk_sign_in(stack_url: str, pages: Pages) -> None:
    page = pages.new()
    page.goto(f"{stack_url}/desk")
    expect(page.get_by_test_id("login-username")).to_be_visible()
    assert axe_violations(page) == []


def test_the_desk_sign_in_with_an_error(stack_url: str, pages: Pages) -> None:
    page = submit_sign_in(pages.new(), stack_url, "alice", "not the password")
    expect(page.get_by_test_id("login-error")).to_be_visible(timeout=WAIT)
    assert axe_violations(page) == []


def test_the_desk_with_an_offer(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        _, conversation_id = api_visitor(stack, url, 1, visitor_name="Zoé Martin", visitor_email="zoe@example.org",
                                         page={"url": "https://shop.example/bikes", "title": "Bikes"},
                                         custom={"order": "A-1"})
        expect(offer_of(desk, conversation_id)).to_be_visible(timeout=WAIT)
        assert axe_violations(desk) == []


def desk_in_a_chat(pages: Pages, stack: ExitStack, url: str, *, typing: bool = False) -> Page:
    """Alice's desk with an accepted chat from a visitor who gave a name and an email (so the customer record
    form shows), with messages from both sides; `typing`: the visitor is typing."""
    desk = open_desk(pages, url, "alice")
    visitor, conversation_id = api_visitor(stack, url, 1, visitor_name="Zoé Martin", visitor_email="zoe@example.org",
                                           page={"url": "https://shop.example/bikes", "title": "Bikes"},
                                           custom={"order": "A-1"})
    accept_on_desk(desk, conversation_id)
    desk.get_by_test_id("desk-input").fill("Hello Zoé, how can I help?")
    desk.get_by_test_id("desk-send").click()
    expect(desk.locator("[data-testid=desk-message][data-kind=agent]").last).to_have_attribute(
        "data-state", "sent", timeout=WAIT)
    expect(desk.get_by_test_id("contact-form")).to_be_visible(timeout=WAIT)
    if typing:
        ask(visitor, {"action": "typing", "id": "typing-1", "conversation_id": conversation_id, "typing": True})
        expect(desk.get_by_test_id("typing-indicator")).to_be_visible(timeout=WAIT)
    return desk


def test_the_desk_with_an_accepted_chat_while_the_visitor_types(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    with ExitStack() as stack:
        desk = desk_in_a_chat(pages, stack, url, typing=True)
        assert axe_violations(desk) == []


def test_the_desk_with_the_customers_record_and_a_returning_customers_offer(start_stack: StartStack,
                                                                            pages: Pages) -> None:
    url = start_stack()
    with ExitStack() as stack:
        desk = desk_in_a_chat(pages, stack, url)
        desk.get_by_test_id("contact-save").click()
        expect(desk.get_by_test_id("chat-contact").get_by_test_id("contact-card")).to_be_visible(timeout=WAIT)
        api_visitor(stack, url, 2, visitor_email="zoe@example.org")
        expect(desk.get_by_test_id("offer").get_by_test_id("contact-card")).to_be_visible(timeout=WAIT)
        assert axe_violations(desk) == []


@pytest.mark.parametrize("panel", ["close", "snooze", "transfer", "block"])
def test_the_desk_with_a_chat_panel_open(start_stack: StartStack, pages: Pages, panel: str) -> None:
    url = start_stack()
    with ExitStack() as stack:
        desk = desk_in_a_chat(pages, stack, url)
        desk.get_by_test_id(f"{panel}-chat").click()
        form = desk.get_by_test_id(f"{panel}-form")
        expect(form).to_be_visible()
        if panel == "transfer":
            expect(form.get_by_test_id("transfer-help")).to_have_attribute("data-agents", "loaded", timeout=WAIT)
        assert axe_violations(desk) == []


def test_the_desk_after_the_chat_ended(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    with ExitStack() as stack:
        desk = desk_in_a_chat(pages, stack, url)
        desk.get_by_test_id("close-chat").click()
        desk.get_by_test_id("close-submit").click()
        expect(desk.locator("[data-testid=closed-list] [data-testid=conversation-item]")).to_have_count(
            1, timeout=WAIT)
        expect(desk.get_by_test_id("desk-input")).to_be_disabled()
        assert axe_violations(desk) == []


def test_the_desk_with_snoozed_and_reserved_chats(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        visitor, first = api_visitor(stack, url, 1, visitor_name="Ana")
        _, second = api_visitor(stack, url, 2, visitor_name="Bea")
        for conversation_id in (first, second):
            accept_on_desk(desk, conversation_id)
            chat_item(desk, conversation_id).click()
            desk.get_by_test_id("snooze-chat").click()
            desk.get_by_test_id("snooze-submit").click()
            expect(chat_item(desk, conversation_id)).to_have_count(0, timeout=WAIT)
        status = desk.get_by_test_id("status-select")
        status.select_option("away")
        expect(status).to_have_attribute("data-status", "away", timeout=WAIT)
        woke = ask(visitor, {"action": "send_message", "id": "send-2", "conversation_id": first,
                             "client_message_id": "w-2", "text": "Any news?", "after_seq": 1})
        assert woke["type"] == "ack", woke
        expect(desk.get_by_test_id("reserved-item")).to_have_count(1, timeout=WAIT)
        expect(desk.get_by_test_id("snoozed-item")).to_have_count(1)
        assert axe_violations(desk) == []


# ---------------------------------------------------------------- the supervisor's views


def test_the_supervisors_waiting_view(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    rest(url, "PUT", "/tenants/demo/routing", ROUTING, token=admin)
    with ExitStack() as stack:
        billing = start_chat(stack, url, 1, f"{url}/billing/invoices", "Noor")
        start_chat(stack, url, 2, f"{url}/night/help", "Ines")
        desk = watch_desk(pages, url, "sam")
        open_waiting(desk)
        expect(desk.locator(f"[data-testid=waiting-row][data-conversation-id='{billing}']")).to_be_visible(
            timeout=WAIT)
        expect(desk.get_by_test_id("waiting-row")).to_have_count(2)
        assert axe_violations(desk) == []


def test_the_supervisors_waiting_view_when_loading_fails(stack_url: str, pages: Pages) -> None:
    desk = pages.new()
    desk.route("**/tenants/demo/waiting", lambda route: route.fulfill(
        status=500, content_type="application/json", body='{"code": "internal", "message": "boom"}'))
    connect_desk(desk, stack_url, "sam")
    open_waiting(desk)
    expect(desk.get_by_test_id("waiting-error")).to_be_visible(timeout=WAIT)
    assert axe_violations(desk) == []


def test_the_supervisors_held_view(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    alice = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        _, first = api_visitor(stack, url, 1, visitor_name="Ana")
        _, second = api_visitor(stack, url, 2, visitor_name="Bea")
        accept_on_desk(alice, first)
        accept_on_desk(alice, second)
        chat_item(alice, second).click()
        alice.get_by_test_id("snooze-chat").click()
        alice.get_by_test_id("snooze-submit").click()
        expect(alice.get_by_test_id("snoozed-item")).to_have_count(1, timeout=WAIT)

        sam = watch_desk(pages, url, "sam")
        sam.get_by_test_id("held-tab").click()
        expect(sam.get_by_test_id("held-view")).to_be_visible()
        expect(held_row(sam, second)).to_be_visible(timeout=15_000)
        expect(sam.get_by_test_id("held-row")).to_have_count(2)
        assert axe_violations(sam) == []


# ---------------------------------------------------------------- calls (issue 13)


def test_the_desk_line_prompt_refusing_a_number(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    asked_for_a_line(url)
    desk = pages.new()
    sign_in_to_the_prompt(desk, url)
    desk.get_by_label("Phone number").fill("06 12 34 56 78")
    desk.get_by_test_id("line-submit").click()
    expect(desk.get_by_test_id("line-error")).to_be_visible(timeout=WAIT)
    assert axe_violations(desk) == []


def test_the_desk_agenda_with_a_booked_callback(start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    booked = book(url)
    desk = open_desk(pages, url, "alice")
    open_agenda(desk)
    agenda_on(desk, booked["slot"][:10])
    expect(desk.locator(f"[data-testid=agenda-row][data-callback-id='{booked['id']}']")).to_be_visible(timeout=WAIT)
    assert axe_violations(desk) == []
