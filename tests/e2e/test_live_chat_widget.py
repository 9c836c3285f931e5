"""The chat widget's stages in a real browser (CHAT-1, CHAT-2, CHAT-3, CHAT-9, CHAT-10): the waiting screen with the
live queue position, the chat with typing indicators, the end screen (transcripts, rating once), the dissuasion
screen, French texts and the 1,940-character limit.

The agent's side is driven through the REST and WebSocket API, so these tests do not depend on the desk."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import rest_status as rest
from tests.e2e.helpers import watch_dialogs, write, ws_url

XSS = "<img src=x onerror=alert(1)>"
VISITOR_KEY = "guichet:demo:visitor"  # the widget's visitor token in localStorage
CONVERSATION_KEY = "guichet:demo:conversation"  # the conversation it resumes after a reload


# ---------------------------------------------------------------- REST and WebSocket helpers


class Client:
    """A WebSocket client that keeps the pushes it receives while waiting for an answer, to look at them later."""

    def __init__(self, url: str, token: str) -> None:
        self._exit = ExitStack()
        self.socket: ClientConnection = self._exit.enter_context(connect(ws_url(url, token), open_timeout=10))
        self.pushes: list[dict[str, Any]] = []
        self._next_id = 0

    def ask(self, action: str, **fields: Any) -> dict[str, Any]:
        """Send a request and return its ack (an error frame fails the test)."""
        self._next_id += 1
        request_id = f"r{self._next_id}"
        self.socket.send(json.dumps({"action": action, "id": request_id, **fields}))
        while True:
            frame: dict[str, Any] = json.loads(self.socket.recv(timeout=10))
            if frame.get("id") == request_id:
                assert frame["type"] == "ack", frame
                return frame
            self.pushes.append(frame)

    def expect(self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda _: True,
               timeout: float = 10) -> dict[str, Any]:
        """The first push of this type (received already or still to come) that `where` accepts."""
        for frame in self.pushes:
            if frame.get("type") == kind and where(frame):
                self.pushes.remove(frame)
                return frame
        while True:
            pushed: dict[str, Any] = json.loads(self.socket.recv(timeout=timeout))
            if pushed.get("type") == kind and where(pushed):
                return pushed
            self.pushes.append(pushed)

    def close(self) -> None:
        self._exit.close()


def agent(url: str, username: str) -> Client:
    status, login = rest(url, "POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD})
    assert status == 200, login
    return Client(url, login["id_token"])


def new_visitor_token(url: str) -> str:
    status, body = rest(url, "POST", "/tenants/demo/visitors")
    assert status == 201, body
    token: str = body["visitor_token"]
    return token


def accept(alice: Client, conversation_id: str) -> None:
    offer = alice.expect("offer", lambda f: f["conversation"]["id"] == conversation_id)
    alice.ask("accept_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])


# ---------------------------------------------------------------- widget helpers


OpenWidget = Callable[..., tuple[Page, list[str]]]


@pytest.fixture
def open_widget(browser: Browser) -> Iterator[OpenWidget]:
    """open_widget(url, path="/", init_script=None): a new visitor (own browser context) with the panel open."""
    contexts: list[BrowserContext] = []

    def open_one(url: str, path: str = "/", init_script: str | None = None) -> tuple[Page, list[str]]:
        context = browser.new_context()
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        dialogs = watch_dialogs(page)
        page.goto(f"{url}{path}")
        page.get_by_test_id("guichet-launcher").click()
        return page, dialogs

    yield open_one
    for context in contexts:
        context.close()


def stored(page: Page, key: str) -> str:
    page.wait_for_function("key => localStorage.getItem(key) !== null", arg=key)
    value = page.evaluate("key => localStorage.getItem(key)", key)
    assert isinstance(value, str), f"nothing stored under {key}"
    return value


def current_conversation(page: Page) -> str:
    return stored(page, CONVERSATION_KEY)


# ---------------------------------------------------------------- scenarios


def test_the_visitor_downloads_the_transcript_and_rates_the_chat_once(
        open_widget: OpenWidget, start_stack: Callable[..., str]) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, dialogs = open_widget(url, init_script=(
        "window.guichetContext = {custom: {order: 'A-1'}, name: 'Zoé Martin', email: 'zoe@example.com'};"))

    write(page, XSS)
    offer = alice.expect("offer")
    conversation = offer["conversation"]
    conversation_id = conversation["id"]
    # CHAT-1: the page, the brand's custom data (script tag and page context) and the visitor's identity.
    assert conversation["custom"] == {"shop": "demo-bikes", "section": "home", "order": "A-1"}
    assert (conversation["visitor"]["name"], conversation["visitor"]["email"]) == ("Zoé Martin", "zoe@example.com")
    assert conversation["page"]["url"] == f"{url}/"
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible()  # offered: still waiting for the visitor
    alice.ask("accept_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])
    expect(page.get_by_test_id("guichet-status")).to_contain_text("Alice", timeout=10_000)
    expect(page.get_by_test_id("guichet-waiting")).to_be_hidden()

    # CHAT-9: typing indicators both ways.
    alice.ask("typing", conversation_id=conversation_id, typing=True)
    expect(page.get_by_test_id("guichet-typing")).to_have_text("Alice Martin is typing…")
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-1",
              text="The Urbana 3 comes in size M.")
    expect(page.locator("[data-testid=guichet-message][data-kind=agent]")).to_have_text(
        "The Urbana 3 comes in size M.")
    expect(page.get_by_test_id("guichet-typing")).to_be_hidden()
    expect(page.get_by_test_id("guichet-announcer")).to_contain_text("Alice Martin: The Urbana 3 comes in size M.")
    page.get_by_test_id("guichet-input").press_sequentially("Thanks")
    typing = alice.expect("typing", lambda f: f["typing"] is True)
    assert typing["sender"]["kind"] == "visitor"
    page.get_by_test_id("guichet-input").press_sequentially(", perfect!")
    page.get_by_test_id("guichet-input").press("Enter")
    alice.expect("typing", lambda f: f["typing"] is False)  # sending ends it
    alice.expect("message", lambda f: f["message"]["text"] == "Thanks, perfect!")

    alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
    expect(page.get_by_test_id("guichet-end")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("guichet-end")).to_contain_text("This conversation has ended. Thank you!")

    with page.expect_download() as text_download:
        page.get_by_test_id("guichet-transcript-text").click()
    transcript = Path(text_download.value.path()).read_text(encoding="utf-8")
    assert text_download.value.suggested_filename == f"conversation-{conversation_id}.txt"
    for line in (XSS, "The Urbana 3 comes in size M.", "Thanks, perfect!"):
        assert line in transcript

    with page.expect_download() as html_download:
        page.get_by_test_id("guichet-transcript-html").click()
    page_copy = Path(html_download.value.path()).read_text(encoding="utf-8")
    assert html_download.value.suggested_filename == f"conversation-{conversation_id}.html"
    assert "&lt;img src=x onerror=alert(1)&gt;" in page_copy and XSS not in page_copy
    assert "Thanks, perfect!" in page_copy

    page.get_by_test_id("guichet-rate-4").click()
    expect(page.get_by_test_id("guichet-rate-4")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("guichet-rating-comment").fill("Quick & clear <b>answer</b>")
    page.get_by_test_id("guichet-rating-submit").click()
    expect(page.get_by_test_id("guichet-rating-done")).to_be_visible()
    expect(page.get_by_test_id("guichet-rating-submit")).to_be_hidden()

    # Stored once: a second rating is refused, and the first one stays.
    token = stored(page, VISITOR_KEY)
    status, refused = rest(url, "POST", f"/tenants/demo/conversations/{conversation_id}/rating", {"rating": 1},
                           token=token)
    assert (status, refused["code"]) == (409, "conflict")
    status, read = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}", token=token)
    assert (status, read["status"], read["rating"]) == (200, "closed", 4)

    assert page.locator("img[src=x]").count() == 0 and dialogs == []
    alice.close()


# Live chat only: the tenant's group lets nobody wait (threshold 0). With a group that lets conversations wait,
# conversations are asynchronous and only an agent closes them (ASYNC-11): no dissuasion then.
SYNCHRONOUS = {"groups": [{"id": "default", "name": "Default", "threshold": 0}],
               "rules": [{"id": "everything", "name": "Everything", "groups": ["default"]}]}


@pytest.mark.demo_settings(max_wait_seconds=5)
def test_the_dissuasion_screen_appears_after_the_maximum_wait(
        open_widget: OpenWidget, start_stack: Callable[..., str]) -> None:
    url = start_stack()  # max_wait_seconds=5
    status, _ = rest(url, "PUT", "/tenants/demo/routing", SYNCHRONOUS,
                     token=rest(url, "POST", "/auth/login", {"username": "ada", "password": DEMO_PASSWORD})[1][
                         "id_token"])
    assert status == 200
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, dialogs = open_widget(url)

    # Alice refuses the chat (she goes Away): it waits at its place, and nobody else can take it.
    write(page, "Anyone there?")
    conversation_id = current_conversation(page)
    offer = alice.expect("offer", lambda f: f["conversation"]["id"] == conversation_id)
    assert offer["conversation"]["asynchronous"] is False
    alice.ask("reject_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible()
    expect(page.get_by_test_id("guichet-position")).to_have_text("1")
    expect(page.get_by_test_id("guichet-estimate")).to_have_text("about 3 min")  # one handling time, 180 s

    dissuasion = page.get_by_test_id("guichet-dissuasion")
    expect(dissuasion).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("guichet-dissuasion-text")).to_have_text(
        "All our agents are busy. Please come back a little later.")
    expect(page.get_by_test_id("guichet-waiting")).to_be_hidden()
    status, read = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}",
                        token=stored(page, VISITOR_KEY))
    assert (status, read["status"]) == (200, "dissuaded")

    # Later, Alice is back and the visitor starts again: a new message opens a new conversation.
    alice.ask("set_status", status="available")
    page.get_by_test_id("guichet-restart").click()
    expect(dissuasion).to_be_hidden()
    expect(page.get_by_test_id("guichet-input")).to_be_focused()
    write(page, "Back again")
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible()
    expect(page.get_by_test_id("guichet-position")).to_have_text("1")
    expect(page.get_by_test_id("guichet-message")).to_have_text(["Back again"])
    page.wait_for_function("([key, old]) => localStorage.getItem(key) !== old", arg=[CONVERSATION_KEY, conversation_id])
    assert alice.expect("offer", lambda f: f["conversation"]["id"] != conversation_id)
    alice.close()
    assert dialogs == []


def test_the_waiting_screen_shows_the_live_queue_position(
        open_widget: OpenWidget, start_stack: Callable[..., str]) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    # Alice already handles five chats (of six): she has room for one more.
    others = []
    for _ in range(5):
        other = Client(url, new_visitor_token(url))
        started = other.ask("start_conversation")
        accept(alice, started["conversation"]["id"])
        others.append(other)
    alice.ask("set_status", status="away")

    first, _ = open_widget(url)
    write(first, "I was here first")
    expect(first.get_by_test_id("guichet-position")).to_have_text("1")
    second, _ = open_widget(url)
    write(second, "Me too")
    expect(second.get_by_test_id("guichet-waiting")).to_be_visible()
    expect(second.get_by_test_id("guichet-position")).to_have_text("2")
    expect(second.get_by_test_id("guichet-estimate")).to_have_text("about 6 min")
    expect(first.get_by_test_id("guichet-position")).to_have_text("1")
    expect(second.get_by_test_id("guichet-input")).to_be_editable()  # writing goes on while waiting

    alice.ask("set_status", status="available")
    accept(alice, current_conversation(first))
    expect(first.get_by_test_id("guichet-status")).to_contain_text("Alice", timeout=10_000)
    expect(first.get_by_test_id("guichet-waiting")).to_be_hidden()
    expect(second.get_by_test_id("guichet-position")).to_have_text("1")
    expect(second.get_by_test_id("guichet-estimate")).to_have_text("about 3 min")
    expect(second.get_by_test_id("guichet-waiting")).to_be_visible()

    for other in others:
        other.close()
    alice.close()


@pytest.mark.demo_settings(accent_colour="#c0392b", logo_url="https://cdn.example/logo.png",
                            texts={"fr": {"title": "Parlez-nous"}})
def test_a_french_page_gets_the_widget_in_french_with_the_brand_look(
        open_widget: OpenWidget, start_stack: Callable[..., str]) -> None:
    url = start_stack()  # with the accent colour, logo and French title of the mark
    page, _ = open_widget(url, path="/?lang=fr")

    expect(page.get_by_test_id("guichet-launcher")).to_contain_text("Parlez-nous")
    expect(page.get_by_test_id("guichet-title")).to_have_text("Parlez-nous")
    # The demo's group lets conversations wait: the asynchronous welcome (ASYNC-1), in French.
    expect(page.get_by_test_id("guichet-welcome")).to_have_text(
        "Bonjour ! Laissez-nous un message et nous vous répondrons dès que possible. Si vous n'avez pas de réponse"
        " immédiate, revenez plus tard : nos conseillers répondent en quelques heures.")
    expect(page.get_by_test_id("guichet-input")).to_have_attribute("placeholder", "Écrivez votre message…")
    expect(page.get_by_test_id("guichet-send")).to_have_text("Envoyer")
    expect(page.get_by_test_id("guichet-logo")).to_have_attribute("src", "https://cdn.example/logo.png")
    accent = page.get_by_test_id("guichet-launcher").evaluate("button => getComputedStyle(button).backgroundColor")
    assert accent == "rgb(192, 57, 43)"

    write(page, "Bonjour")
    waiting = page.get_by_test_id("guichet-waiting")
    expect(waiting).to_contain_text("En attente d'un conseiller…")
    expect(waiting).to_contain_text("Votre place dans la file d'attente")
    expect(page.get_by_test_id("guichet-position")).to_have_text("1")
    expect(page.get_by_test_id("guichet-estimate")).to_have_text("environ 3 min")


def test_the_counter_stops_at_1940_characters_and_longer_messages_are_refused(
        open_widget: OpenWidget, stack_url: str) -> None:
    page, _ = open_widget(stack_url)
    box, counter = page.get_by_test_id("guichet-input"), page.get_by_test_id("guichet-counter")
    expect(counter).to_have_text("0 / 1940")
    box.fill("Hello")
    expect(counter).to_have_text("5 / 1940")

    box.fill("x" * 1941)
    box.press_sequentially("y")
    assert box.input_value() == "x" * 1940  # maxlength keeps the 1,941st character out
    expect(counter).to_have_text("1940 / 1940")

    # A script that goes around maxlength still cannot send more: the widget refuses, nothing is sent.
    box.evaluate("(el, text) => { el.value = text; el.dispatchEvent(new Event('input')); }", "z" * 1941)
    box.press("Enter")
    expect(page.get_by_test_id("guichet-error")).to_have_text("Messages are limited to 1940 characters.")
    expect(page.get_by_test_id("guichet-message")).to_have_count(0)

    # And so does the server (the text is checked before the conversation).
    client = Client(stack_url, stored(page, VISITOR_KEY))
    try:
        for length, code in ((1941, "invalid_field"), (1940, "not_found")):
            client.socket.send(json.dumps({"action": "send_message", "id": "m", "conversation_id": "nope",
                                           "client_message_id": f"c-{length}", "text": "é" * length}))
            answer = json.loads(client.socket.recv(timeout=10))
            assert answer["code"] == code, answer
            if code == "invalid_field":
                assert answer["field"] == "text"
    finally:
        client.close()


def test_a_visitor_over_the_message_limit_is_told_to_wait_and_the_message_is_not_stored(
        open_widget: OpenWidget, start_stack: Callable[..., str]) -> None:
    import time

    url = start_stack(visitor_messages_per_minute=5)  # the lowest a tenant can set
    if time.time() % 60 > 30:  # the limit counts per clock minute: all six messages go in the same one
        time.sleep(61 - time.time() % 60)
    page, dialogs = open_widget(url)
    for n in range(1, 6):
        write(page, f"message {n}")
        expect(page.get_by_test_id("guichet-message")).to_have_count(n)
        expect(page.get_by_test_id("guichet-message").nth(n - 1)).not_to_have_attribute("data-state", "failed")
    write(page, "message 6")
    expect(page.get_by_test_id("guichet-error")).to_have_text(
        "You are writing faster than we can read. Please wait a moment, then try again.")
    expect(page.get_by_test_id("guichet-message").nth(5)).to_have_attribute("data-state", "failed")
    client = Client(url, stored(page, VISITOR_KEY))
    try:
        texts = [m["text"] for m in client.ask("sync", conversation_id=stored(page, CONVERSATION_KEY),
                                                limit=20)["messages"]]
    finally:
        client.close()
    assert texts == [f"message {n}" for n in range(1, 6)]
    assert dialogs == []
