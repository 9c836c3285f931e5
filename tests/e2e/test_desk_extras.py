"""The agent desk beyond the basic chat, in a real browser against a fresh local stack per test: the customer's
record created from the offer card (CHAT-8), the offer's sound and notification, the load and the rating pushed to
every open desk of the agent, and a reconnect without a reload. Visitors are plain WebSocket clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import ask, rest, sign_in_desk, ws_url

WAIT = 10_000  # ms: pushes and acks on the local stack take well under a second
StartStack = Callable[..., str]
XSS = "<img src=x onerror=alert(1)>"

# Records what the desk does with the offer alerts: each `new Notification(...)` and each sound (one oscillator
# started per sound), without showing or playing anything real.
RECORD_ALERTS = """
window.__alerts = { notifications: [], sounds: 0 };
const NativeNotification = window.Notification;
window.Notification = class {
  constructor(title, options = {}) {
    window.__alerts.notifications.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
  }
  close() {}
  static get permission() { return NativeNotification ? NativeNotification.permission : 'denied'; }
  static requestPermission() { return Promise.resolve(this.permission); }
};
const nativeStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__alerts.sounds += 1;
  return nativeStart.apply(this, args);
};
"""

# Keeps the page's WebSockets within reach, so that a test can drop the desk's connection.
KEEP_SOCKETS = """
window.__sockets = [];
window.WebSocket = class extends window.WebSocket {
  constructor(...args) {
    super(...args);
    window.__sockets.push(this);
  }
};
"""


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def new_context(browser: Browser, contexts: list[BrowserContext], *init_scripts: str,
                permissions: tuple[str, ...] = ()) -> BrowserContext:
    context = browser.new_context()
    contexts.append(context)
    if permissions:
        context.grant_permissions(list(permissions))
    for script in init_scripts:
        context.add_init_script(script)
    return context


def sign_in(context: BrowserContext, url: str, username: str, dialogs: list[str]) -> Page:
    """A desk in a new tab of `context`, signed in (a click: the gesture that unlocks sound) and Available."""
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return sign_in_desk(page, url, username, DEMO_PASSWORD)


def visitor(stack: ExitStack, url: str, n: int, **request: Any) -> tuple[ClientConnection, str, str]:
    """A visitor who opens a chat and writes in it; returns their socket, token and conversation id."""
    token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    socket = stack.enter_context(connect(ws_url(url, token), open_timeout=10))
    started = ask(socket, {"action": "start_conversation", "consent": True, "id": f"start-{n}", **request})
    assert started["type"] == "ack", started
    conversation_id = started["conversation"]["id"]
    say(socket, conversation_id, f"m-{n}", f"Hello from visitor {n}")
    return socket, token, conversation_id


def say(socket: ClientConnection, conversation_id: str, client_message_id: str, text: str) -> None:
    sent = ask(socket, {"action": "send_message", "id": client_message_id, "conversation_id": conversation_id,
                        "client_message_id": client_message_id, "text": text})
    assert sent["type"] == "ack", sent


def offer_of(desk: Page, conversation_id: str) -> Any:
    return desk.locator(f"[data-testid=offer][data-conversation-id='{conversation_id}']")


def item_of(desk: Page, conversation_id: str) -> Any:
    return desk.locator(f"[data-testid=conversation-item][data-conversation-id='{conversation_id}']")


def token_of(desk: Page) -> str:
    token: str = desk.evaluate("JSON.parse(sessionStorage.getItem('guichet:desk:session')).id_token")
    return token


def end_chat(desk: Page, conversation_id: str) -> None:
    item_of(desk, conversation_id).click()
    desk.get_by_test_id("close-chat").click()
    close = desk.get_by_test_id("close-form")
    close.get_by_test_id("close-submit").click()
    expect(close).to_be_hidden(timeout=WAIT)
    expect(item_of(desk, conversation_id)).to_have_attribute("data-status", "closed", timeout=WAIT)


# ---------------------------------------------------------------- scenarios


def test_a_new_customers_record_is_created_from_the_offer_card_before_accepting(
        start_stack: StartStack, browser: Browser, contexts: list[BrowserContext]) -> None:
    url = start_stack()
    dialogs: list[str] = []
    desk = sign_in(new_context(browser, contexts), url, "alice", dialogs)
    name = f"Zoé {XSS}"
    with ExitStack() as sockets:
        _socket, _token, conversation_id = visitor(sockets, url, 1, visitor_name=name, visitor_email="zoe@example.org")
        offer = offer_of(desk, conversation_id)
        expect(offer).to_have_count(1, timeout=WAIT)
        expect(offer.get_by_test_id("offer-no-contact")).to_be_visible()

        # CHAT-8: the card itself offers to create the record, prefilled with what the visitor gave.
        form = offer.get_by_test_id("contact-form")
        expect(form).to_be_visible()
        expect(form.get_by_test_id("contact-name")).to_have_value(name)
        expect(form.get_by_test_id("contact-email")).to_have_value("zoe@example.org")
        form.get_by_test_id("contact-phone").fill("+33 6 12 34 56 78")
        form.get_by_test_id("contact-save").click()

        card = offer.get_by_test_id("contact-card")
        expect(card).to_be_visible(timeout=WAIT)
        expect(form).to_have_count(0)
        expect(offer.get_by_test_id("offer-no-contact")).to_have_count(0)
        expect(card.get_by_test_id("contact-card-name")).to_have_text(name)  # text, never markup
        expect(card).to_contain_text("+33 6 12 34 56 78")
        expect(card).to_contain_text("0 earlier cases")
        contact_id = card.get_attribute("data-contact-id")
        assert contact_id

        # Accepted afterwards, the chat starts with that record (no second form), and the chat is saved on it.
        offer.get_by_test_id("offer-accept").click()
        expect(offer).to_have_count(0, timeout=WAIT)
        chat_card = desk.get_by_test_id("chat-contact").get_by_test_id("contact-card")
        expect(chat_card).to_have_attribute("data-contact-id", contact_id, timeout=WAIT)
        expect(desk.get_by_test_id("contact-form")).to_have_count(0)
        end_chat(desk, conversation_id)

        record = rest(url, "GET", f"/tenants/demo/contacts/{contact_id}", token=token_of(desk))
        assert (record["name"], record["email"], record["phone"]) == (name, "zoe@example.org", "+33 6 12 34 56 78")
        assert [c["conversation_id"] for c in record["cases"]] == [conversation_id]
    assert desk.locator("img[src=x]").count() == 0
    assert dialogs == []


def test_each_offer_plays_one_sound_and_shows_one_notification_with_the_visitors_name(
        start_stack: StartStack, browser: Browser, contexts: list[BrowserContext]) -> None:
    url = start_stack()
    dialogs: list[str] = []
    context = new_context(browser, contexts, RECORD_ALERTS, permissions=("notifications",))
    desk = sign_in(context, url, "alice", dialogs)
    assert desk.evaluate("Notification.permission") == "granted"
    assert desk.evaluate("window.__alerts") == {"notifications": [], "sounds": 0}

    with ExitStack() as sockets:
        names = ["Zoé Martin", XSS]
        for n, name in enumerate(names):
            _socket, _token, conversation_id = visitor(sockets, url, n, visitor_name=name)
            expect(offer_of(desk, conversation_id)).to_have_count(1, timeout=WAIT)
        desk.wait_for_timeout(1_500)  # time for any repeat: there must be none
        alerts = desk.evaluate("window.__alerts")
    assert alerts["sounds"] == len(names)
    assert [n["title"] for n in alerts["notifications"]] == ["New chat"] * len(names)
    assert [n["body"].split(" — ")[0] for n in alerts["notifications"]] == names
    assert len({n["tag"] for n in alerts["notifications"]}) == len(names)  # one per offer, tagged by offer
    assert dialogs == []


def test_accepts_closes_and_ratings_reach_the_agents_other_desk_without_a_reload(
        start_stack: StartStack, browser: Browser, contexts: list[BrowserContext]) -> None:
    url = start_stack()
    dialogs: list[str] = []
    context = new_context(browser, contexts)
    first = sign_in(context, url, "alice", dialogs)
    second = sign_in(context, url, "alice", dialogs)  # a second tab of the same agent
    for desk in (first, second):
        expect(desk.get_by_test_id("agent-load")).to_have_text("0 / 6 chats")

    with ExitStack() as sockets:
        _socket, visitor_token, conversation_id = visitor(sockets, url, 1, visitor_name="Zoé")
        expect(offer_of(second, conversation_id)).to_have_count(1, timeout=WAIT)
        offer_of(first, conversation_id).get_by_test_id("offer-accept").click()
        for desk in (first, second):
            expect(desk.get_by_test_id("agent-load")).to_have_text("1 / 6 chats", timeout=WAIT)
            expect(desk.get_by_test_id("agent-load")).to_have_attribute("data-active", "1")
            expect(item_of(desk, conversation_id)).to_have_attribute("data-status", "assigned", timeout=WAIT)
        expect(offer_of(second, conversation_id)).to_have_count(0)

        end_chat(first, conversation_id)
        for desk in (first, second):
            expect(desk.get_by_test_id("agent-load")).to_have_text("0 / 6 chats", timeout=WAIT)
            expect(item_of(desk, conversation_id)).to_have_attribute("data-status", "closed", timeout=WAIT)

        rest(url, "POST", f"/tenants/demo/conversations/{conversation_id}/rating", {"rating": 4, "comment": XSS},
             token=visitor_token)
        for desk in (first, second):
            rating = item_of(desk, conversation_id).get_by_test_id("conversation-rating")
            expect(rating).to_have_text("rated 4 / 5", timeout=WAIT)
            expect(rating).to_have_attribute("data-rating", "4")
        item_of(second, conversation_id).click()
        expect(second.get_by_test_id("chat-status")).to_have_text("Status: closed · rated 4 / 5")
    assert dialogs == []


def test_the_desk_reconnects_without_a_reload_and_restores_status_chats_and_offers(
        start_stack: StartStack, browser: Browser, contexts: list[BrowserContext]) -> None:
    url = start_stack()
    dialogs: list[str] = []
    context = new_context(browser, contexts, KEEP_SOCKETS)
    desk = sign_in(context, url, "alice", dialogs)
    token = token_of(desk)
    connection = desk.get_by_test_id("desk-connection")

    with ExitStack() as sockets:
        first_visitor, _token, first = visitor(sockets, url, 1, visitor_name="First")
        offer_of(desk, first).get_by_test_id("offer-accept").click()
        expect(item_of(desk, first)).to_have_attribute("data-status", "assigned", timeout=WAIT)
        expect(desk.get_by_test_id("desk-message")).to_have_text(["Hello from visitor 1"], timeout=WAIT)
        # Alice's other device, used while the desk is cut off.
        other_device = sockets.enter_context(connect(ws_url(url, token), open_timeout=10))

        context.set_offline(True)  # no reconnect until the network is back
        desk.evaluate("window.__sockets.forEach((socket) => socket.close())")
        expect(connection).to_have_text("disconnected", timeout=WAIT)

        # Meanwhile: a message in the open chat, a chat accepted on the other device, a new pending offer, and
        # Alice set Away (pending offers stay).
        say(first_visitor, first, "m-away", "Written while the desk was away")
        _s2, _t2, second = visitor(sockets, url, 2, visitor_name="Second")
        accepted = ask(other_device, {"action": "accept_offer", "id": "accept-2", "conversation_id": second,
                                      "offer_id": offered_id(url, token, second)})
        assert accepted["type"] == "ack", accepted
        _s3, _t3, third = visitor(sockets, url, 3, visitor_name="Third", visitor_email="third@example.org")
        assert offered_id(url, token, third)
        rest(url, "PUT", "/tenants/demo/agents/me/status", {"status": "away"}, token=token)
        desk.wait_for_timeout(500)
        expect(item_of(desk, second)).to_have_count(0)
        expect(offer_of(desk, third)).to_have_count(0)

        context.set_offline(False)  # the page's `online` event: reconnect now
        expect(connection).to_have_text("connected", timeout=15_000)
        expect(desk.get_by_test_id("status-select")).to_have_value("away", timeout=WAIT)
        expect(desk.get_by_test_id("agent-load")).to_have_text("3 / 6 chats", timeout=WAIT)
        expect(item_of(desk, second)).to_have_attribute("data-status", "assigned", timeout=WAIT)
        expect(item_of(desk, first)).to_have_attribute("data-status", "assigned")
        item_of(desk, first).click()
        expect(desk.get_by_test_id("desk-message")).to_have_text(
            ["Hello from visitor 1", "Written while the desk was away"], timeout=WAIT)
        pending = offer_of(desk, third)
        expect(pending).to_have_count(1, timeout=WAIT)
        expect(pending.get_by_test_id("offer-visitor-name")).to_have_text("Third")
        # A restored offer has no record pushed with it: the card looks it up, finds none, and offers the form.
        expect(pending.get_by_test_id("contact-form").get_by_test_id("contact-email")).to_have_value(
            "third@example.org", timeout=WAIT)

        pending.get_by_test_id("offer-accept").click()  # the restored offer is live
        expect(item_of(desk, third)).to_have_attribute("data-status", "assigned", timeout=WAIT)
        expect(desk.get_by_test_id("conversation-item")).to_have_count(3)
    assert dialogs == []


def offered_id(url: str, token: str, conversation_id: str) -> str:
    """The id of the offer pending for the agent on that conversation, read by REST."""
    mine = rest(url, "GET", "/tenants/demo/conversations", token=token)["conversations"]
    offered = [c for c in mine if c["id"] == conversation_id and c["status"] == "offered"]
    assert offered, mine
    offer_id: str = offered[0]["offer"]["id"]
    return offer_id
