"""Asynchronous conversations on the desk (issue 5: ASYNC-9, 10, 13 to 16), in a real browser against a fresh local
stack per test: an agent snoozes a chat and gets it back as an offer when the visitor writes; a supervisor
releases a chat held by an agent who left and transfers another to a colleague who holds nothing; an agent blocks a
visitor then ends the chat; an agent transfers a chat to a queue, and another to a colleague who is Away. The
transfer pickers list the tenant's agents (GET /tenants/{t}/agents) with their status. The demo's default group
lets conversations wait, so every demo conversation is asynchronous. Visitors are plain WebSocket clients (the
public API), to keep the tests short. No alert() may open on any page: visitor text is only ever text."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Locator, Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.helpers import Pages, ask, connect_desk, login, rest, rest_status, sign_in_desk, ws_url

WAIT = 10_000  # ms: pushes and acks on the local stack take well under a second
REFRESH_WAIT = 15_000  # ms: the Held view reloads every 5 s; a closed browser's $disconnect comes first
StartStack = Callable[..., str]
XSS = "<img src=x onerror=alert(1)>"


# ---------------------------------------------------------------- helpers


def open_desk(pages: Pages, url: str, username: str) -> Page:
    """A signed-in desk whose agent is Available (as the server acknowledged it)."""
    return sign_in_desk(pages.new(), url, username)


def watch_desk(pages: Pages, url: str, username: str) -> Page:
    """A signed-in desk that leaves the agent's status alone (a supervisor watching takes no chats)."""
    return connect_desk(pages.new(), url, username)


def api_visitor(stack: ExitStack, url: str, n: int, **request: Any) -> tuple[ClientConnection, str]:
    """A visitor who opens a chat with a first message through the public API; returns its socket and the id."""
    token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    socket: ClientConnection = stack.enter_context(connect(ws_url(url, token), open_timeout=10))
    started = ask(socket, {"action": "start_conversation", "consent": True, "id": f"start-{n}", **request,
                           "message": {"client_message_id": f"m-{n}", "text": f"Hello from visitor {n}"}})
    assert started["type"] == "ack", started
    assert started["conversation"]["asynchronous"] is True, started
    conversation_id: str = started["conversation"]["id"]
    return socket, conversation_id


def visitor_writes(socket: ClientConnection, conversation_id: str, n: int, text: str) -> dict[str, Any]:
    return ask(socket, {"action": "send_message", "id": f"send-{n}", "conversation_id": conversation_id,
                        "client_message_id": f"w-{n}", "text": text, "after_seq": 1})


def offer_of(desk: Page, conversation_id: str) -> Locator:
    return desk.locator(f"[data-testid=offer][data-conversation-id='{conversation_id}']")


def chat_item(desk: Page, conversation_id: str) -> Locator:
    return desk.locator(f"[data-testid=conversation-item][data-conversation-id='{conversation_id}']")


def accept(desk: Page, conversation_id: str) -> None:
    """Accept the offer of this conversation; it is then on the desk."""
    offer = offer_of(desk, conversation_id)
    expect(offer).to_have_count(1, timeout=WAIT)
    offer.get_by_test_id("offer-accept").click()
    expect(offer).to_have_count(0, timeout=WAIT)
    expect(chat_item(desk, conversation_id)).to_have_attribute("data-status", "assigned", timeout=WAIT)


def held_row(desk: Page, conversation_id: str) -> Locator:
    return desk.locator(f"[data-testid=held-row][data-conversation-id='{conversation_id}']")


def agent_choices(picker: Locator) -> Locator:
    """The agents a transfer picker offers (its "Agents" group), e.g. "Bob Leroy (away)"."""
    return picker.locator("optgroup[label=Agents] option")


def set_status(desk: Page, status: str) -> None:
    select = desk.get_by_test_id("status-select")
    select.select_option(status)
    expect(select).to_have_attribute("data-status", status, timeout=WAIT)


# ---------------------------------------------------------------- scenarios


def test_a_snoozed_chat_leaves_the_desk_and_comes_back_as_an_offer_with_the_visitors_new_message(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        visitor, conversation_id = api_visitor(stack, url, 1, visitor_name=XSS,
                                               page={"url": "https://shop.example/bikes", "title": "Bikes"})
        accept(desk, conversation_id)

        # ASYNC-9: marked as asynchronous, with what snoozing does.
        item = chat_item(desk, conversation_id)
        expect(item.get_by_test_id("async-badge")).to_have_text("Async")
        expect(item.locator(".item-title")).to_have_text(XSS)  # the visitor's name is text
        expect(desk.get_by_test_id("async-banner")).to_be_visible()
        expect(desk.get_by_test_id("async-banner")).to_contain_text("snooze")
        expect(desk.get_by_test_id("snooze-chat")).to_be_visible()

        # ASYNC-16: the visitor's current page, live.
        expect(desk.get_by_test_id("chat-page")).to_contain_text("Bikes")
        moved = ask(visitor, {"action": "page", "id": "page-1", "conversation_id": conversation_id,
                              "page": {"url": "https://shop.example/bikes/blue", "title": "Blue bike"}})
        assert moved["type"] == "ack", moved
        expect(desk.get_by_test_id("chat-page")).to_contain_text("Blue bike — https://shop.example/bikes/blue",
                                                                 timeout=WAIT)
        expect(desk.get_by_test_id("chat-page").locator("a")).to_have_attribute(
            "href", "https://shop.example/bikes/blue")

        # ASYNC-10: snoozed for 3 hours, kept: off the desk, into the Snoozed list with its wake time.
        desk.get_by_test_id("snooze-chat").click()
        form = desk.get_by_test_id("snooze-form")
        expect(form).to_be_visible()
        expect(form.get_by_test_id("snooze-3h")).to_be_checked()
        expect(form.get_by_test_id("snooze-keep")).to_be_checked()
        form.get_by_test_id("snooze-submit").click()
        snoozed_at = datetime.now(UTC)
        expect(item).to_have_count(0, timeout=WAIT)
        expect(desk.get_by_test_id("active-count")).to_have_attribute("data-count", "0")
        expect(desk.get_by_test_id("desk-notice")).to_contain_text("snoozed until", timeout=WAIT)
        snoozed = desk.locator(f"[data-testid=snoozed-item][data-conversation-id='{conversation_id}']")
        expect(snoozed).to_have_count(1, timeout=WAIT)
        expect(snoozed).to_contain_text(XSS)
        expect(desk.get_by_test_id("snoozed-count")).to_have_attribute("data-count", "1")
        wakes = datetime.fromisoformat(snoozed.get_by_test_id("snoozed-until").get_attribute("datetime") or "")
        assert abs(wakes - (snoozed_at + timedelta(hours=3))) < timedelta(minutes=1), wakes
        expect(desk.get_by_test_id("agent-load")).to_have_attribute("data-active", "0", timeout=WAIT)

        # The list is the server's: it is there again after a reload (GET agents/me/held).
        desk.reload()
        expect(desk.get_by_test_id("desk-connection")).to_have_text("connected", timeout=15_000)
        expect(snoozed).to_have_count(1, timeout=WAIT)
        expect(snoozed).to_contain_text("Blue bike")
        expect(chat_item(desk, conversation_id)).to_have_count(0)

        # The visitor writes: the chat wakes, reserved for Alice, and is offered to her like any chat.
        sent = visitor_writes(visitor, conversation_id, 2, "I'm back: is the blue one in stock?")
        assert sent["type"] == "ack", sent
        offer = offer_of(desk, conversation_id)
        expect(offer).to_have_count(1, timeout=WAIT)
        expect(offer.locator("h3")).to_have_text("Back from snooze")
        expect(offer.get_by_test_id("async-badge")).to_be_visible()
        expect(offer.get_by_test_id("offer-message").last).to_have_text("I'm back: is the blue one in stock?")
        expect(snoozed).to_have_count(0)
        expect(desk.get_by_test_id("snoozed-list")).to_be_hidden()
        accept(desk, conversation_id)
        received = desk.locator("[data-testid=desk-message][data-kind=visitor]")
        expect(received.last).to_have_text("I'm back: is the blue one in stock?", timeout=WAIT)
        expect(received.first).to_have_text("Hello from visitor 1")
    assert pages.dialogs == []


def test_b_a_supervisor_releases_a_chat_held_by_an_agent_who_left_and_transfers_another_to_bob(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    bob_id = login(url, "bob")["agent"]["id"]
    alice_id = login(url, "alice")["agent"]["id"]
    sam_token = login(url, "sam")["id_token"]
    alice = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        _, first = api_visitor(stack, url, 1, visitor_name="Ana")
        _, second = api_visitor(stack, url, 2, visitor_name=XSS)
        accept(alice, first)
        accept(alice, second)
        # Alice snoozes the second chat and keeps it.
        chat_item(alice, second).click()
        alice.get_by_test_id("snooze-chat").click()
        alice.get_by_test_id("snooze-submit").click()
        snoozed = alice.locator(f"[data-testid=snoozed-item][data-conversation-id='{second}']")
        expect(snoozed).to_have_count(1, timeout=WAIT)

        # Bob has not signed in: he holds nothing and never wrote in a chat.
        sam = watch_desk(pages, url, "sam")
        sam.get_by_test_id("held-tab").click()
        expect(sam.get_by_test_id("held-view")).to_be_visible()
        expect(sam.get_by_test_id("held-row")).to_have_count(2, timeout=REFRESH_WAIT)
        expect(sam.get_by_test_id("held-count")).to_have_text("2")
        expect(sam.locator(f"[data-testid=held-row][data-agent-id='{bob_id}']")).to_have_count(0)

        # Alice is connected with the first chat on her desk: Release and Transfer are disabled and say why, and
        # the server refuses both.
        row = held_row(sam, first)
        expect(row).to_have_attribute("data-agent-id", alice_id)
        expect(row.get_by_test_id("held-status")).to_have_text("On desk")
        expect(row.get_by_test_id("held-agent")).to_contain_text("Alice Martin")
        expect(row.get_by_test_id("held-agent-connected")).to_have_attribute("data-connected", "true")
        expect(row.get_by_test_id("held-release")).to_be_disabled()
        expect(row.get_by_test_id("held-transfer")).to_be_disabled()
        expect(row.get_by_test_id("held-release-why")).to_contain_text("connected with this conversation")
        for action, body in (("release", None), ("transfer", {"to_agent": bob_id})):
            status, answer = rest_status(url, "POST", f"/tenants/demo/conversations/{first}/{action}", body,
                                         token=sam_token)
            assert status == 409 and answer["code"] == "conflict", (action, status, answer)

        # The snoozed second chat goes to Bob: the picker lists the tenant's agents with their status, but not
        # Alice, who holds it. It leaves Alice's Snoozed list, is reserved for Bob, and offered to him once he is
        # Available.
        row = held_row(sam, second)
        expect(row).to_have_attribute("data-status", "snoozed")
        expect(row.get_by_test_id("held-status")).to_contain_text("Snoozed until")
        expect(row.get_by_test_id("held-visitor")).to_have_text(XSS)
        expect(row.get_by_test_id("held-release")).to_be_enabled()
        picker = row.get_by_test_id("held-transfer-target")
        picker.focus()  # the picker opens: the agents are read again (unless a few seconds old)
        expect(agent_choices(picker)).to_have_text(["Ada Admin (offline)", "Bob Leroy (offline)",
                                                    "Sam Durand (you, offline)"])
        picker.select_option(label="Bob Leroy (offline)")
        row.get_by_test_id("held-transfer").click()
        expect(sam.get_by_test_id("held-notice")).to_contain_text("goes to Bob Leroy.", timeout=WAIT)
        expect(sam.get_by_test_id("held-action-error")).to_be_hidden()
        expect(snoozed).to_have_count(0, timeout=WAIT)
        expect(alice.get_by_test_id("desk-notice")).to_contain_text("transferred to Bob Leroy")
        row = held_row(sam, second)
        expect(row).to_have_attribute("data-status", "reserved", timeout=REFRESH_WAIT)
        expect(row).to_have_attribute("data-agent-id", bob_id)
        bob = open_desk(pages, url, "bob")
        offer = offer_of(bob, second)
        expect(offer).to_have_count(1, timeout=WAIT)
        expect(offer.locator("h3")).to_have_text("Transferred chat")
        accept(bob, second)
        expect(bob.locator("[data-testid=desk-message][data-kind=visitor]").first).to_have_text(
            "Hello from visitor 2", timeout=WAIT)
        expect(held_row(sam, second)).to_have_attribute("data-agent-id", bob_id, timeout=REFRESH_WAIT)

        # Alice closes her browser: the first chat is still on her desk, and now releasable.
        alice.context.close()
        row = held_row(sam, first)
        expect(row.get_by_test_id("held-agent-connected")).to_have_attribute("data-connected", "false",
                                                                              timeout=REFRESH_WAIT)
        expect(row.get_by_test_id("held-release")).to_be_enabled()
        expect(row.get_by_test_id("held-release-why")).to_have_count(0)
        row.get_by_test_id("held-release").click()
        expect(sam.get_by_test_id("held-notice")).to_contain_text("Released", timeout=WAIT)
        expect(held_row(sam, first)).to_have_count(0, timeout=REFRESH_WAIT)
        # Back in its queue, it is offered to the one agent Available: Bob.
        expect(offer_of(bob, first)).to_have_count(1, timeout=WAIT)
        expect(sam.get_by_test_id("held-row")).to_have_count(1)
    assert pages.dialogs == []


def test_c_an_agent_blocks_a_visitor_after_confirming_then_ends_the_chat(start_stack: StartStack,
                                                                         pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        visitor, conversation_id = api_visitor(stack, url, 1, visitor_name=XSS)
        accept(desk, conversation_id)

        desk.get_by_test_id("block-chat").click()
        form = desk.get_by_test_id("block-form")
        expect(form).to_be_visible()
        expect(form).to_contain_text(XSS)  # the confirmation names the visitor, as text
        form.get_by_test_id("block-cancel").click()  # changing one's mind blocks nothing
        expect(form).to_be_hidden()
        assert visitor_writes(visitor, conversation_id, 2, "still here")["type"] == "ack"

        desk.get_by_test_id("block-chat").click()
        form.get_by_test_id("block-confirm").click()
        expect(desk.get_by_test_id("blocked-banner")).to_be_visible(timeout=WAIT)
        expect(chat_item(desk, conversation_id).get_by_test_id("blocked-badge")).to_have_text("Blocked")
        expect(desk.get_by_test_id("block-chat")).to_be_hidden()
        refused = visitor_writes(visitor, conversation_id, 3, "spam")
        assert refused["type"] == "error" and refused["code"] == "blocked", refused

        # ASYNC-15: then the agent ends the chat as usual.
        desk.get_by_test_id("close-chat").click()
        desk.get_by_test_id("close-submit").click()
        expect(desk.locator("[data-testid=closed-list] [data-testid=conversation-item]")).to_have_count(
            1, timeout=WAIT)
        expect(desk.get_by_test_id("active-count")).to_have_attribute("data-count", "0")
        expect(desk.get_by_test_id("snooze-chat")).to_be_hidden()
    assert pages.dialogs == []


def test_d_an_agent_transfers_a_chat_to_a_queue_and_it_leaves_the_desk(start_stack: StartStack,
                                                                       pages: Pages) -> None:
    url = start_stack()
    alice = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        _, conversation_id = api_visitor(stack, url, 1, visitor_name="Dee")
        accept(alice, conversation_id)
        bob = open_desk(pages, url, "bob")

        alice.get_by_test_id("transfer-chat").click()
        form = alice.get_by_test_id("transfer-form")
        expect(form).to_be_visible()
        picker = form.get_by_test_id("transfer-target")
        # A plain agent may not read the routing: their own queues are the choice; the agents are the tenant's but
        # herself.
        expect(picker.locator("optgroup[label=Queues] option")).to_have_text(["default"])
        expect(agent_choices(picker)).to_have_text(["Ada Admin (offline)", "Bob Leroy (available)",
                                                    "Sam Durand (offline)"], timeout=WAIT)
        picker.select_option("queue:default")
        form.get_by_test_id("transfer-submit").click()
        expect(chat_item(alice, conversation_id)).to_have_count(0, timeout=WAIT)
        expect(alice.get_by_test_id("desk-notice")).to_contain_text("transferred to the queue default")
        expect(alice.locator("#chat-placeholder")).to_be_visible()

        # Alice is still Available, but what she let go goes to the group's other agents: Bob.
        offer = offer_of(bob, conversation_id)
        expect(offer).to_have_count(1, timeout=WAIT)
        accept(bob, conversation_id)
        expect(offer_of(alice, conversation_id)).to_have_count(0)
        expect(chat_item(alice, conversation_id)).to_have_count(0)
        held = json.dumps(rest(url, "GET", "/tenants/demo/agents/me/held", token=login(url, "alice")["id_token"]))
        assert conversation_id not in held
    assert pages.dialogs == []


def test_e_a_kept_chat_that_wakes_while_the_agent_is_away_waits_in_reserved_then_is_offered_when_she_is_available(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    desk = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        visitor, conversation_id = api_visitor(stack, url, 1, visitor_name="Eve")
        accept(desk, conversation_id)
        desk.get_by_test_id("snooze-chat").click()
        desk.get_by_test_id("snooze-24h").check()
        desk.get_by_test_id("snooze-submit").click()
        expect(desk.locator(f"[data-testid=snoozed-item][data-conversation-id='{conversation_id}']")).to_have_count(
            1, timeout=WAIT)
        set_status(desk, "away")

        assert visitor_writes(visitor, conversation_id, 2, "Any news?")["type"] == "ack"
        reserved = desk.locator(f"[data-testid=reserved-item][data-conversation-id='{conversation_id}']")
        expect(reserved).to_have_count(1, timeout=WAIT)
        expect(reserved).to_contain_text("Back from your snooze")
        expect(desk.get_by_test_id("snoozed-item")).to_have_count(0)
        expect(offer_of(desk, conversation_id)).to_have_count(0)

        set_status(desk, "available")
        offer = offer_of(desk, conversation_id)
        expect(offer).to_have_count(1, timeout=WAIT)
        expect(offer.get_by_test_id("offer-message").last).to_have_text("Any news?")
        expect(reserved).to_have_count(0)
    assert pages.dialogs == []


def test_f_an_agent_transfers_a_chat_to_a_colleague_who_is_away_and_holds_nothing(start_stack: StartStack,
                                                                                   pages: Pages) -> None:
    url = start_stack()
    alice = open_desk(pages, url, "alice")
    with ExitStack() as stack:
        _, conversation_id = api_visitor(stack, url, 1, visitor_name="Flo")
        accept(alice, conversation_id)
        # Bob signs in after the chat went to Alice: he holds nothing and never wrote in a chat.
        bob = open_desk(pages, url, "bob")

        alice.get_by_test_id("transfer-chat").click()
        form = alice.get_by_test_id("transfer-form")
        picker = form.get_by_test_id("transfer-target")
        expect(agent_choices(picker)).to_have_text(["Ada Admin (offline)", "Bob Leroy (available)",
                                                    "Sam Durand (offline)"], timeout=WAIT)
        expect(form.get_by_test_id("transfer-help")).to_contain_text("reserved for them")
        form.get_by_test_id("transfer-cancel").click()
        expect(form).to_be_hidden()

        # Bob goes Away: the picker asks for the agents each time it opens (its copy is kept a few seconds).
        set_status(bob, "away")
        deadline = time.monotonic() + 15
        while True:
            alice.get_by_test_id("transfer-chat").click()
            expect(form.get_by_test_id("transfer-help")).to_have_attribute("data-agents", "loaded", timeout=WAIT)
            if "Bob Leroy (away)" in agent_choices(picker).all_text_contents():
                break
            assert time.monotonic() < deadline, agent_choices(picker).all_text_contents()
            form.get_by_test_id("transfer-cancel").click()
            alice.wait_for_timeout(500)
        picker.select_option(label="Bob Leroy (away)")
        form.get_by_test_id("transfer-submit").click()
        expect(chat_item(alice, conversation_id)).to_have_count(0, timeout=WAIT)
        expect(alice.get_by_test_id("desk-notice")).to_contain_text("transferred to Bob Leroy")

        # Reserved for Bob while he is Away, then offered to him when he is Available.
        reserved = bob.locator(f"[data-testid=reserved-item][data-conversation-id='{conversation_id}']")
        expect(reserved).to_have_count(1, timeout=WAIT)
        expect(reserved).to_contain_text("Transferred from")
        expect(offer_of(bob, conversation_id)).to_have_count(0)
        set_status(bob, "available")
        offer = offer_of(bob, conversation_id)
        expect(offer).to_have_count(1, timeout=WAIT)
        expect(offer.locator("h3")).to_have_text("Transferred chat")
        accept(bob, conversation_id)
        expect(bob.locator("[data-testid=desk-message][data-kind=visitor]").first).to_have_text(
            "Hello from visitor 1", timeout=WAIT)
    assert pages.dialogs == []
