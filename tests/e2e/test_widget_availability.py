"""Availability in the widget (routing engine, queue thresholds), in a real browser on the real local stack: with a
synchronous group (threshold 0) and no agent able to answer, a new visitor gets no launcher, or the tenant's
"unavailable" text with `data-unavailable="message"`; the launcher appears once an agent frees up; a page asking
for a queue is checked and routed by that queue's rule; a chat refused as `unavailable` at start keeps the visitor's
draft; a visitor with an open conversation is not checked; a failed check shows nothing until a retry answers.

Brand pages are served on the stack's origin by Playwright (`context.route`), next to the real /widget/ files; the
agent's side goes through the REST and WebSocket API, as a desk would."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from websockets.sync.client import connect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import ask, rest, watch_dialogs, write, ws_url

BRAND_PAGE = "/availability-brand-page.html"  # answered by context.route, not by the stack
XSS = "<img src=x onerror=alert(1)>"
UNAVAILABLE = {"en": "Our agents are not available right now.",
               "fr": "Nos conseillers ne sont pas disponibles pour le moment."}
VISITOR_KEY = "guichet:demo:visitor"
WAIT = 10_000  # ms: a check, an ack or a push on the local stack takes well under a second
# One group that engages a visitor only if one of its agents can answer now (the demo agents are in `default`).
SYNCHRONOUS = {"groups": [{"id": "default", "name": "Default", "threshold": 0}],
               "rules": [{"id": "everything", "name": "Everything", "groups": ["default"]}]}
RECORD_EVENTS = """
    window.availabilityEvents = [];
    window.addEventListener('guichet:availability', (event) => window.availabilityEvents.push(event.detail));
"""


# ---------------------------------------------------------------- agents, routing and the stack


def login(url: str, username: str) -> str:
    token: str = rest(url, "POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD})["id_token"]
    return token


def set_status(url: str, token: str, status: str) -> None:
    """The agent's status, as the desk's status menu sets it."""
    assert rest(url, "PUT", "/tenants/demo/agents/me/status", {"status": status}, token=token)["status"] == status


def availability(url: str) -> dict[str, Any]:
    answer: dict[str, Any] = rest(url, "GET", "/tenants/demo/availability")
    return answer


def until_answered(url: str, expected: dict[str, Any], timeout: float = 10) -> None:
    """Waits for the server's own answer to be `expected` (a routing change reaches the handlers within seconds)."""
    deadline = time.monotonic() + timeout
    while (answer := availability(url)) != expected:
        assert time.monotonic() < deadline, f"availability stayed {answer}"
        time.sleep(0.2)


FULL = {"available": False, "reason": "full", "asynchronous": False}  # a synchronous group (threshold 0)


def set_routing(url: str, config: dict[str, Any]) -> None:
    rest(url, "PUT", "/tenants/demo/routing", config, token=login(url, "ada"))  # the demo's admin


@pytest.fixture
def synchronous_stack(start_stack: Callable[..., str]) -> str:
    """A fresh stack whose only group has threshold 0, with no agent available."""
    url = start_stack()
    set_routing(url, SYNCHRONOUS)
    until_answered(url, FULL)
    return url


class Desk:
    """An agent's WebSocket, as their desk holds it: offers arrive on it."""

    def __init__(self, url: str, username: str) -> None:
        self.url = url
        self.token = login(url, username)
        self._exit = ExitStack()
        self.socket = self._exit.enter_context(connect(ws_url(url, self.token), open_timeout=10))
        self._ids = count(1)

    def set_status(self, status: str) -> None:
        set_status(self.url, self.token, status)

    def ask(self, action: str, **fields: Any) -> dict[str, Any]:
        answer = ask(self.socket, {"action": action, "id": f"d{next(self._ids)}", **fields})
        assert answer["type"] == "ack", answer
        return answer

    def next(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        """The next push of this type (others are skipped)."""
        while True:
            frame: dict[str, Any] = json.loads(self.socket.recv(timeout=timeout))
            if frame.get("type") == kind:
                return frame

    def close(self) -> None:
        self._exit.close()


@pytest.fixture
def desks() -> Iterator[Callable[[str, str], Desk]]:
    opened: list[Desk] = []

    def open_desk(url: str, username: str) -> Desk:
        desk = Desk(url, username)
        opened.append(desk)
        return desk

    yield open_desk
    for desk in opened:
        desk.close()


# ---------------------------------------------------------------- the visitor's browser


def brand_page(attributes: str = "", lang: str = "en") -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Brand page</title></head>'
            f'<body><p>A brand\'s page with <a href="#top">a link</a>.</p>'
            f'<script src="/widget/widget.js" data-tenant="demo"{attributes}></script></body></html>')


@dataclass
class Visitor:
    page: Page
    dialogs: list[str]  # alert() dialogs: visitor text run as HTML would open one
    checks: list[str] = field(default_factory=list)  # the URLs of the availability checks, in order

    @property
    def host(self) -> Locator:
        return self.page.locator(".guichet-widget-host")

    @property
    def launcher(self) -> Locator:
        return self.page.get_by_test_id("guichet-launcher")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id("guichet-unavailable")

    @property
    def input(self) -> Locator:
        return self.page.get_by_test_id("guichet-input")

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.page.evaluate("window.availabilityEvents")
        return events

    def stored(self, key: str) -> str | None:
        value: str | None = self.page.evaluate("key => localStorage.getItem(key)", key)
        return value


Visit = Callable[..., Visitor]


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    """visit(url, attributes="", lang="en", prepare=None): a new visitor (own browser context) on a brand page whose
    widget tag has these extra attributes; `prepare(context)` runs before the page opens (e.g. to route requests)."""
    contexts: list[BrowserContext] = []

    def open_page(url: str, attributes: str = "", lang: str = "en",
                  prepare: Callable[[BrowserContext], None] | None = None) -> Visitor:
        context = browser.new_context()
        contexts.append(context)
        # A routed page has no IP address, so Chromium counts it as public and blocks its WebSocket to 127.0.0.1
        # (Local Network Access); a real brand page and a deployed stack are both public.
        context.grant_permissions(["local-network-access"])
        html = brand_page(attributes, lang)
        context.route(f"{url}{BRAND_PAGE}", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=html))
        context.add_init_script(RECORD_EVENTS)
        if prepare:
            prepare(context)
        page = context.new_page()
        visitor = Visitor(page, watch_dialogs(page))
        page.on("request", lambda request: visitor.checks.append(request.url)
                if urlsplit(request.url).path == "/tenants/demo/availability" else None)
        page.goto(f"{url}{BRAND_PAGE}")
        return visitor

    yield open_page
    for context in contexts:
        context.close()


def deep_focus(page: Page) -> str | None:
    """The data-testid of the focused element, looking into the widget's shadow root."""
    testid: str | None = page.evaluate("""() => {
        let element = document.activeElement;
        while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
        return element?.getAttribute('data-testid') ?? null;
    }""")
    return testid


def tab_to_launcher(page: Page) -> None:
    for _ in range(10):
        page.keyboard.press("Tab")
        if deep_focus(page) == "guichet-launcher":
            return
    raise AssertionError(f"Tab never reached the launcher; focus is on {deep_focus(page)}")


def wait_for(condition: Callable[[], bool], page: Page, timeout: float = WAIT) -> None:
    """Polls a condition on the test's side (Playwright's expect only looks at the page)."""
    deadline = time.monotonic() + timeout / 1000
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        page.wait_for_timeout(100)


# ---------------------------------------------------------------- no launcher, then one


def test_no_launcher_while_no_agent_can_answer_then_it_appears_when_one_frees_up(
        synchronous_stack: str, visit: Visit, desks: Callable[[str, str], Desk]) -> None:
    url = synchronous_stack
    alice = desks(url, "alice")  # her desk is open, she is not Available yet
    visitor = visit(url, attributes=""" data-availability-interval="1" data-custom='{"shop": "a b&c", "vip": true}'""")
    page = visitor.page

    expect(visitor.host).to_have_attribute("data-availability", "unavailable")
    expect(visitor.host).to_have_attribute("data-availability-reason", "full")
    expect(visitor.launcher).to_be_hidden()
    assert visitor.events() == [{"available": False, "reason": "full"}]
    # The check carried the page's URL and its custom data, spaces as %20 (API Gateway leaves "+" alone).
    first = urlsplit(visitor.checks[0])
    assert parse_qs(first.query) == {"url": [f"{url}{BRAND_PAGE}"], "custom.shop": ["a b&c"], "custom.vip": ["true"]}
    assert "+" not in first.query
    page.evaluate("window.sameDocument = true")
    checked = len(visitor.checks)

    alice.set_status("available")
    expect(visitor.launcher).to_be_visible(timeout=WAIT)  # at the next check, 1 second later
    expect(visitor.host).to_have_attribute("data-availability", "available")
    assert visitor.host.get_attribute("data-availability-reason") is None
    assert visitor.events() == [{"available": False, "reason": "full"}, {"available": True, "reason": None}]
    assert page.evaluate("window.sameDocument") is True  # no reload: the widget asked again by itself
    assert len(visitor.checks) > checked

    # The chat starts and reaches Alice; no check runs while it is open.
    visitor.launcher.click()
    write(page, "Hello, is anyone there?")
    offer = alice.next("offer")
    assert [m["text"] for m in offer["messages"]] == ["Hello, is anyone there?"]
    assert offer["conversation"]["custom"] == {"shop": "a b&c", "vip": "true"}
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible()
    checked = len(visitor.checks)
    page.wait_for_timeout(2500)  # more than two intervals
    assert len(visitor.checks) == checked
    assert visitor.dialogs == []


# ---------------------------------------------------------------- data-unavailable="message"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_with_data_unavailable_message_the_launcher_opens_on_the_tenants_unavailable_text(
        synchronous_stack: str, visit: Visit, desks: Callable[[str, str], Desk], lang: str) -> None:
    url = synchronous_stack
    visitor = visit(url, attributes=' data-unavailable="message" data-availability-interval="1"', lang=lang)
    page = visitor.page
    expect(visitor.launcher).to_be_visible()
    expect(visitor.host).to_have_attribute("data-availability", "unavailable")

    # With the keyboard alone: the launcher opens on the text, which takes the focus (read out by screen readers).
    tab_to_launcher(page)
    page.keyboard.press("Enter")
    expect(visitor.notice).to_have_text(UNAVAILABLE[lang])
    expect(visitor.notice).to_have_attribute("role", "status")
    expect(visitor.notice).to_be_focused()
    expect(visitor.input).to_be_hidden()  # no chat can be started
    expect(page.get_by_test_id("guichet-send")).to_be_hidden()
    expect(page.get_by_test_id("guichet-welcome")).to_be_hidden()
    assert visitor.stored(VISITOR_KEY) is None  # nothing was asked of the chat API
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    expect(visitor.launcher).to_be_focused()

    # Alice frees up while the panel is open: the message box replaces the text, and the visitor can chat.
    page.keyboard.press("Enter")
    expect(visitor.notice).to_be_focused()
    alice = desks(url, "alice")
    alice.set_status("available")
    expect(visitor.input).to_be_visible(timeout=WAIT)
    expect(visitor.input).to_be_focused()
    expect(visitor.notice).to_have_text("")
    page.keyboard.type("Bonjour" if lang == "fr" else "Hello")
    page.keyboard.press("Enter")
    assert [m["text"] for m in alice.next("offer")["messages"]] == ["Bonjour" if lang == "fr" else "Hello"]


# ---------------------------------------------------------------- the queue the page asks for


def test_a_page_asking_for_a_queue_is_routed_by_the_rule_of_that_queue(
        start_stack: Callable[..., str], visit: Visit) -> None:
    url = start_stack()
    set_routing(url, {"groups": [{"id": "default", "name": "Default", "threshold": 100}],
                      "rules": [{"id": "billing", "groups": ["default"], "match": {"queue": "billing"}}]})
    until_answered(url, {"available": False, "reason": "no_rule", "asynchronous": False})  # names no queue

    elsewhere = visit(url, attributes=' data-unavailable="message"')
    expect(elsewhere.host).to_have_attribute("data-availability", "unavailable")
    expect(elsewhere.host).to_have_attribute("data-availability-reason", "no_rule")
    elsewhere.launcher.click()
    expect(elsewhere.notice).to_have_text(UNAVAILABLE["en"])

    billing = visit(url, attributes=' data-queue="billing"')
    expect(billing.launcher).to_be_visible()
    expect(billing.host).to_have_attribute("data-availability", "available")
    assert parse_qs(urlsplit(billing.checks[0]).query)["queue"] == ["billing"]
    # The chat request names the queue too: the billing rule takes it (it waits, threshold 100, nobody available),
    # where a request without it would match no rule and be refused as unavailable.
    billing.launcher.click()
    write(billing.page, "About my invoice")
    expect(billing.page.get_by_test_id("guichet-waiting")).to_be_visible()
    expect(billing.page.get_by_test_id("guichet-position")).to_have_text("1", timeout=WAIT)
    expect(billing.notice).to_have_text("")


# ---------------------------------------------------------------- refused at start


def test_a_chat_refused_as_unavailable_at_start_shows_the_text_and_keeps_the_draft(
        synchronous_stack: str, visit: Visit, desks: Callable[[str, str], Desk]) -> None:
    url = synchronous_stack
    alice = desks(url, "alice")
    alice.set_status("available")
    visitor = visit(url, attributes=' data-availability-interval="600"')  # no periodic check during the test
    page = visitor.page
    visitor.launcher.click()
    draft = f"{XSS} Do you deliver to Corsica?"
    visitor.input.fill(draft)
    expect(page.get_by_test_id("guichet-connection")).to_be_hidden()

    alice.set_status("away")  # every group is full now; the widget checked before and does not know
    assert availability(url) == FULL
    visitor.input.press("Enter")

    expect(visitor.notice).to_have_text(UNAVAILABLE["en"])
    expect(visitor.notice).to_have_attribute("role", "status")
    expect(visitor.notice).to_be_focused()  # the message box is gone
    expect(visitor.input).to_be_hidden()
    expect(visitor.input).to_have_value(draft)  # kept, as text
    expect(page.locator("[data-testid=guichet-message]")).to_have_count(0)  # not shown as sent
    expect(visitor.host).to_have_attribute("data-availability", "unavailable")
    assert visitor.events()[-1] == {"available": False, "reason": "full"}
    token = visitor.stored(VISITOR_KEY)
    assert token
    open_ones = rest(url, "GET", "/tenants/demo/conversations", token=token)["conversations"]
    assert open_ones == []  # no conversation was engaged

    # Checks go on: Alice frees up, the page becomes visible again, and the draft is back in the message box.
    alice.set_status("available")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(visitor.input).to_be_visible(timeout=WAIT)
    expect(visitor.input).to_have_value(draft)
    expect(visitor.notice).to_have_text("")
    visitor.input.press("Enter")
    offer = alice.next("offer")
    assert [m["text"] for m in offer["messages"]] == [draft]
    expect(page.locator("[data-testid=guichet-message][data-kind=visitor]")).to_have_text([draft])
    assert visitor.dialogs == []


# ---------------------------------------------------------------- resume, network errors


def test_a_visitor_with_an_open_conversation_resumes_it_without_a_check(
        synchronous_stack: str, visit: Visit, desks: Callable[[str, str], Desk]) -> None:
    url = synchronous_stack
    alice = desks(url, "alice")
    alice.set_status("available")
    visitor = visit(url, attributes=' data-availability-interval="1"')
    page = visitor.page
    visitor.launcher.click()
    write(page, "Hello")
    offer = alice.next("offer")
    conversation_id = offer["conversation"]["id"]
    alice.ask("accept_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])
    expect(page.get_by_test_id("guichet-status")).to_contain_text("Alice", timeout=WAIT)
    alice.set_status("away")
    until_answered(url, FULL)

    visitor.checks.clear()
    page.reload()
    expect(page.get_by_test_id("guichet-status")).to_contain_text("Alice", timeout=WAIT)
    expect(visitor.launcher).to_be_visible()
    expect(visitor.input).to_be_visible()
    page.wait_for_timeout(1500)  # more than an interval
    assert visitor.checks == []
    assert visitor.host.get_attribute("data-availability") is None

    # The chat ends: checks start again; the end screen stays, the message box gives way to the text.
    alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
    expect(page.get_by_test_id("guichet-end")).to_be_visible(timeout=WAIT)
    expect(visitor.host).to_have_attribute("data-availability", "unavailable", timeout=WAIT)
    expect(visitor.notice).to_have_text(UNAVAILABLE["en"])
    expect(visitor.input).to_be_hidden()
    expect(page.get_by_test_id("guichet-rating")).to_be_visible()
    expect(visitor.launcher).to_be_visible()


def test_a_failed_first_check_shows_no_launcher_until_a_retry_answers(stack_url: str, visit: Visit) -> None:
    pattern = "**/tenants/demo/availability?**"
    failed: list[str] = []

    def unreachable(context: BrowserContext) -> None:
        context.route(pattern, lambda route: route.abort("internetdisconnected"))

    visitor = visit(stack_url, attributes=' data-availability-interval="1"', prepare=unreachable)
    page = visitor.page
    page.on("requestfailed", lambda request: failed.append(request.url))
    expect(visitor.host).to_have_attribute("data-availability", "unavailable")
    expect(visitor.host).to_have_attribute("data-availability-reason", "unreachable")
    expect(visitor.launcher).to_be_hidden()

    page.context.unroute(pattern)  # the default routing (threshold 100) takes anyone
    expect(visitor.launcher).to_be_visible(timeout=WAIT)
    expect(visitor.host).to_have_attribute("data-availability", "available")
    assert visitor.events() == [{"available": False, "reason": "unreachable"}, {"available": True, "reason": None}]

    # Later failures keep the state the widget had.
    failed.clear()
    page.context.route(pattern, lambda route: route.abort("internetdisconnected"))
    wait_for(lambda: len(failed) >= 2, page)
    expect(visitor.launcher).to_be_visible()
    expect(visitor.host).to_have_attribute("data-availability", "available")
    assert visitor.events()[-1] == {"available": True, "reason": None}
