"""The widget as a brand embeds it, in a real browser: one plain script tag (or a module one), a signed visitor
identity, the delivery state of each message, a network loss, the keyboard alone and the browser's language.

Brand pages are served on the stack's origin by Playwright (`page.route`), next to the real /widget/ files; the
agent's side goes through the WebSocket API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, WebSocket, expect

from chalicelib.domain import identity
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import rest, watch_dialogs, write
from tests.e2e.test_live_chat_widget import CONVERSATION_KEY, VISITOR_KEY, Client, agent, stored

PLAIN_TAG = '<script src="/widget/widget.js" data-tenant="demo"{attributes}></script>'
MODULE_TAG = '<script type="module" src="/widget/widget.js" data-tenant="demo"{attributes}></script>'
BRAND_PAGE = "/brand-page.html"  # answered by page.route, not by the stack


def page_context(context: dict[str, Any]) -> str:
    """A brand page's script setting window.guichetContext."""
    return f"<script>window.guichetContext = {json.dumps(context)};</script>"


def brand_page(tag: str, *, lang: str | None = "en", head: str = "", in_head: bool = False, attributes: str = "",
               body: str = "<p>A brand's page.</p>") -> str:
    widget = tag.format(attributes=attributes)
    lang_attribute = f' lang="{lang}"' if lang else ""
    return (f'<!doctype html><html{lang_attribute}><head><meta charset="utf-8"><title>Brand page</title>'
            f'{head}{widget if in_head else ""}</head><body>{body}{"" if in_head else widget}</body></html>')


Visit = Callable[..., tuple[Page, list[str]]]


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    """visit(url, html, **context_options): a new visitor (own browser context) on a brand page with that HTML,
    served on the stack's origin; returns the page and the alert() dialogs it opens (there must be none)."""
    contexts: list[BrowserContext] = []

    def open_page(url: str, html: str, **context_options: Any) -> tuple[Page, list[str]]:
        context = browser.new_context(**context_options)
        contexts.append(context)
        # A routed page has no IP address, so Chromium counts it as public and blocks its WebSocket to 127.0.0.1
        # (Local Network Access); a real brand page and a deployed stack are both public.
        context.grant_permissions(["local-network-access"])
        context.route(f"{url}{BRAND_PAGE}", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=html))
        page = context.new_page()
        dialogs = watch_dialogs(page)
        page.goto(f"{url}{BRAND_PAGE}")
        return page, dialogs

    yield open_page
    for context in contexts:
        context.close()


def visitor_messages(page: Page) -> Locator:
    return page.locator("[data-testid=guichet-message][data-kind=visitor]")


def delivery_label(message: Locator) -> str:
    """What the message shows under its text: the stylesheet's ::after content, in the page's language."""
    content: str = message.evaluate("element => getComputedStyle(element, '::after').content")
    return json.loads(content) if content.startswith('"') else content


def expect_delivery(message: Locator, label: str, timeout: float = 10_000) -> None:
    message.page.wait_for_function(
        "([element, label]) => getComputedStyle(element, '::after').content === JSON.stringify(label)",
        arg=[message.element_handle(), label], timeout=timeout)


def accepted_chat(page: Page, alice: Client, first_message: str) -> dict[str, Any]:
    """The visitor writes; Alice accepts the offer; returns the conversation as offered."""
    page.get_by_test_id("guichet-launcher").click()
    write(page, first_message)
    offer = alice.expect("offer")
    conversation: dict[str, Any] = offer["conversation"]
    alice.ask("accept_offer", conversation_id=conversation["id"], offer_id=offer["offer"]["id"])
    expect(page.get_by_test_id("guichet-status")).to_contain_text("Alice", timeout=10_000)
    return conversation


def messages_until(alice: Client, text: str) -> list[str]:
    """The texts of every message pushed to Alice, up to and including the one with `text`."""
    texts = []
    pending = [frame for frame in alice.pushes if frame.get("type") == "message"]
    alice.pushes = [frame for frame in alice.pushes if frame.get("type") != "message"]
    while True:
        frame = pending.pop(0) if pending else json.loads(alice.socket.recv(timeout=15))
        if frame.get("type") != "message":
            alice.pushes.append(frame)
            continue
        texts.append(frame["message"]["text"])
        if frame["message"]["text"] == text:
            return texts


def deep_focus(page: Page) -> str | None:
    """The data-testid of the focused element, looking into the widget's shadow root."""
    testid: str | None = page.evaluate("""() => {
        let element = document.activeElement;
        while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
        return element?.getAttribute('data-testid') ?? null;
    }""")
    return testid


def press_until_focused(page: Page, key: str, testid: str, limit: int = 25) -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if deep_focus(page) == testid:
            return
    raise AssertionError(f"{key} never reached {testid}; focus is on {deep_focus(page)}")


# ---------------------------------------------------------------- embedding


@pytest.mark.parametrize(("tag", "in_head"), [(PLAIN_TAG, True), (PLAIN_TAG, False), (MODULE_TAG, False)],
                         ids=["plain-tag-in-head", "plain-tag-in-body", "module-tag"])
def test_one_script_tag_embeds_the_widget_and_starts_a_chat(
        visit: Visit, start_stack: Callable[..., str], tag: str, in_head: bool) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, dialogs = visit(url, brand_page(tag, in_head=in_head, attributes=""" data-custom='{"shop": "tag-test"}'"""))

    expect(page.get_by_test_id("guichet-launcher")).to_contain_text("Chat with us")
    page.get_by_test_id("guichet-launcher").click()
    write(page, "Hello from a plain tag")
    offer = alice.expect("offer")
    assert offer["conversation"]["custom"] == {"shop": "tag-test"}  # the tag's attributes were read
    assert offer["conversation"]["page"]["url"] == f"{url}{BRAND_PAGE}"
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible()
    assert page.locator(".guichet-widget-host").count() == 1
    assert dialogs == []
    alice.close()


def test_the_demo_page_embeds_the_widget_with_the_plain_tag(stack_url: str, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(stack_url)
    tag = page.locator("script[src='/widget/widget.js']")
    expect(tag).to_have_count(1)
    assert tag.get_attribute("type") is None
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible()
    context.close()


# ---------------------------------------------------------------- signed identity


def identity_secret(url: str) -> str:
    login = rest(url, "POST", "/auth/login", {"username": "ada", "password": DEMO_PASSWORD})  # the demo's admin
    secret: str = rest(url, "GET", "/tenants/demo/identity-secret", token=login["id_token"])["secret"]
    return secret


@pytest.mark.parametrize("given_by", ["page-context", "tag-attribute"])
def test_a_brand_signed_identity_from_the_page_reaches_the_agent_as_verified(
        visit: Visit, start_stack: Callable[..., str], given_by: str) -> None:
    url = start_stack()
    signed = {"external_id": "C-1234", "name": "Zoé Martin", "email": "zoe@example.org",
              "signature": identity.sign(identity_secret(url), "C-1234", "Zoé Martin", "zoe@example.org")}
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    if given_by == "page-context":
        html = brand_page(PLAIN_TAG, head=page_context({"identity": signed}))
    else:
        attribute = json.dumps(signed).replace("&", "&amp;").replace("'", "&#39;")
        html = brand_page(PLAIN_TAG, attributes=f" data-identity='{attribute}'")
    page, _ = visit(url, html)

    page.get_by_test_id("guichet-launcher").click()
    write(page, "Where is my order?")
    visitor = alice.expect("offer")["conversation"]["visitor"]
    assert visitor["verified"] is True
    assert (visitor["external_id"], visitor["name"], visitor["email"]) == ("C-1234", "Zoé Martin", "zoe@example.org")
    alice.close()


def test_a_forged_identity_is_dropped_and_the_visitor_still_chats(
        visit: Visit, start_stack: Callable[..., str]) -> None:
    url = start_stack()
    forged = {"external_id": "C-1", "name": "Somebody Else", "email": "", "signature": "0" * 64}
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, _ = visit(url, brand_page(PLAIN_TAG, head=page_context({"identity": forged})))

    page.get_by_test_id("guichet-launcher").click()
    write(page, "Hello")
    visitor = alice.expect("offer")["conversation"]["visitor"]
    assert visitor["verified"] is False and visitor.get("external_id") in (None, "")
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible()
    alice.close()


# ---------------------------------------------------------------- delivery state and network loss


def test_a_message_shows_sent_once_the_server_acknowledged_it(visit: Visit, start_stack: Callable[..., str]) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, _ = visit(url, brand_page(PLAIN_TAG))
    accepted_chat(page, alice, "Hello")

    write(page, "Is the Urbana in stock?")
    message = visitor_messages(page).last
    expect(message).to_have_attribute("data-state", "sent")
    assert delivery_label(message) == "Sent"
    assert delivery_label(visitor_messages(page).first) == "Sent"
    expect(page.get_by_test_id("guichet-retry")).to_have_count(0)
    alice.close()


def test_a_message_written_offline_shows_not_sent_and_is_delivered_once_back_online(
        visit: Visit, start_stack: Callable[..., str]) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, _ = visit(url, brand_page(PLAIN_TAG))
    accepted_chat(page, alice, "Hello")
    expect_delivery(visitor_messages(page).first, "Sent")  # on a busy machine its ack may still be on its way

    page.context.set_offline(True)
    expect(page.get_by_test_id("guichet-connection")).to_have_text("Reconnecting…")
    write(page, "Written in a tunnel")
    message = visitor_messages(page).last
    expect(message).to_have_text("Written in a tunnel")
    assert delivery_label(message) == "Sending…"
    expect_delivery(message, "Not sent")
    retry = page.get_by_test_id("guichet-retry")
    expect(retry).to_have_text("Retry")
    retry.click()  # still offline: sending again, then not sent again
    assert delivery_label(message) == "Sending…"
    expect(retry).to_have_count(0)
    expect_delivery(message, "Not sent")

    page.context.set_offline(False)
    expect_delivery(message, "Sent", timeout=20_000)
    expect(page.get_by_test_id("guichet-retry")).to_have_count(0)
    expect(page.get_by_test_id("guichet-connection")).to_be_hidden()
    write(page, "Out of the tunnel")
    assert messages_until(alice, "Out of the tunnel") == ["Written in a tunnel", "Out of the tunnel"]

    # Stored once, in the order written.
    conversation_id = stored(page, CONVERSATION_KEY)
    history = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}/messages?after_seq=0&limit=100",
                   token=stored(page, VISITOR_KEY))["messages"]
    assert [m["text"] for m in history if m["sender"]["kind"] == "visitor"] == [
        "Hello", "Written in a tunnel", "Out of the tunnel"]
    expect(visitor_messages(page)).to_have_text(["Hello", "Written in a tunnel", "Out of the tunnel"])
    alice.close()


def test_a_network_loss_resumes_the_same_conversation_with_what_the_agent_wrote_meanwhile(
        visit: Visit, start_stack: Callable[..., str]) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, _ = visit(url, brand_page(PLAIN_TAG))
    conversation_id = accepted_chat(page, alice, "Hello")["id"]
    page.evaluate("window.sameDocument = true")
    sockets: list[WebSocket] = []
    page.on("websocket", lambda socket: sockets.append(socket))

    # Chromium's offline emulation leaves open WebSockets alone, as a real network loss often seems to for
    # minutes: the widget must notice by itself, and get back what it missed on a new connection.
    page.context.set_offline(True)
    expect(page.get_by_test_id("guichet-connection")).to_have_text("Reconnecting…")
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="while-away",
              text="Your bike ships tomorrow.")
    page.wait_for_timeout(1000)
    agent_messages = page.locator("[data-testid=guichet-message][data-kind=agent]")
    expect(agent_messages).to_have_count(0)  # not connected
    page.context.set_offline(False)

    expect(agent_messages).to_have_text(["Your bike ships tomorrow."], timeout=20_000)
    assert len(sockets) == 1  # a new connection
    expect(page.get_by_test_id("guichet-connection")).to_be_hidden()
    assert page.evaluate("window.sameDocument") is True  # no reload
    assert stored(page, CONVERSATION_KEY) == conversation_id
    assert agent_messages.get_attribute("data-conversation-id") == conversation_id
    expect(page.get_by_test_id("guichet-status")).to_contain_text("Alice")

    write(page, "Great, thanks")
    assert messages_until(alice, "Great, thanks")[-1] == "Great, thanks"
    alice.close()


# ---------------------------------------------------------------- keyboard and screen readers


def test_the_whole_chat_works_with_the_keyboard_alone(visit: Visit, start_stack: Callable[..., str]) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page, _ = visit(url, brand_page(PLAIN_TAG, body='<p>A brand\'s page with <a href="#top">a link</a>.</p>'))
    launcher = page.get_by_test_id("guichet-launcher")
    expect(launcher).to_be_visible()

    press_until_focused(page, "Tab", "guichet-launcher")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("guichet-input")).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("Typed on the keyboard")
    page.keyboard.press("Enter")
    offer = alice.expect("offer")
    conversation_id = offer["conversation"]["id"]
    alice.ask("accept_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])
    expect(visitor_messages(page)).to_have_text(["Typed on the keyboard"])

    # New agent messages are announced by a polite live region (the log itself stays quiet).
    announcer = page.get_by_test_id("guichet-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="k-1", text="Happy to help!")
    expect(announcer).to_contain_text("Alice Martin: Happy to help!")

    alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
    expect(page.get_by_test_id("guichet-end")).to_be_visible(timeout=10_000)
    expect(announcer).to_contain_text("This conversation has ended. Thank you!")
    page.get_by_test_id("guichet-input").focus()
    press_until_focused(page, "Shift+Tab", "guichet-rate-5")
    page.keyboard.press("Shift+Tab")
    assert deep_focus(page) == "guichet-rate-4"
    page.keyboard.press("Space")
    expect(page.get_by_test_id("guichet-rate-4")).to_have_attribute("aria-pressed", "true")
    press_until_focused(page, "Tab", "guichet-rating-submit")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("guichet-rating-done")).to_be_focused()
    expect(announcer).to_contain_text("Thank you for your feedback!")

    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # Escape also closes the panel when focus has moved on from it to the launcher.
    page.keyboard.press("Enter")
    expect(page.locator("#panel")).to_be_visible()
    press_until_focused(page, "Tab", "guichet-launcher")
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    alice.close()


# ---------------------------------------------------------------- language


def test_a_page_without_lang_gets_the_browsers_language(visit: Visit, stack_url: str) -> None:
    page, _ = visit(stack_url, brand_page(PLAIN_TAG, lang=None), locale="fr-FR")
    launcher = page.get_by_test_id("guichet-launcher")
    expect(launcher).to_contain_text("Discutez avec nous")
    launcher.click()
    expect(page.get_by_test_id("guichet-input")).to_have_attribute("placeholder", "Écrivez votre message…")
    expect(page.get_by_test_id("guichet-send")).to_have_text("Envoyer")


def test_the_pages_lang_wins_over_the_browsers(visit: Visit, stack_url: str) -> None:
    page, _ = visit(stack_url, brand_page(PLAIN_TAG, lang="en-GB"), locale="fr-FR")
    expect(page.get_by_test_id("guichet-launcher")).to_contain_text("Chat with us")


# ---------------------------------------------------------------- look


def test_the_pages_css_custom_properties_win_over_the_tenants_accent(visit: Visit, stack_url: str) -> None:
    page, _ = visit(stack_url, brand_page(
        PLAIN_TAG, head="<style>:root { --guichet-accent: #c0392b; --guichet-radius: 3px; }</style>"))
    launcher = page.get_by_test_id("guichet-launcher")
    expect(launcher).to_be_visible()
    page.wait_for_function(  # the tenant's settings are in (the texts come with them)
        "() => document.querySelector('.guichet-widget-host').style.getPropertyValue('--guichet-tenant-accent')")
    assert launcher.evaluate("button => getComputedStyle(button).backgroundColor") == "rgb(192, 57, 43)"
    launcher.click()
    assert page.locator("#panel").evaluate("panel => getComputedStyle(panel).borderTopLeftRadius") == "3px"
