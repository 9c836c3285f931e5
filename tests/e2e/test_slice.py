"""The first slice in a real browser: a visitor on the demo page writes, a logged-in agent sees it and replies,
and the visitor sees the reply. Text stays text on both sides."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import sign_in_desk, watch_dialogs

XSS = "<img src=x onerror=alert(1)>"


def agent_desk(browser: Browser, url: str, username: str) -> tuple[Page, list[str]]:
    page = browser.new_context().new_page()
    dialogs = watch_dialogs(page)
    return sign_in_desk(page, url, username), dialogs


def visitor_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_context().new_page()
    dialogs = watch_dialogs(page)
    page.goto(url)
    page.get_by_test_id("guichet-launcher").click()
    return page, dialogs


def test_a_visitor_message_reaches_the_agent_and_the_reply_comes_back(browser: Browser,
                                                                      start_stack: Callable[..., str]) -> None:
    # A stack of its own: Alice must be offered this chat alone, whatever earlier tests left on the shared one.
    stack_url = start_stack()
    desk, desk_dialogs = agent_desk(browser, stack_url, "alice")
    widget, widget_dialogs = visitor_page(browser, stack_url)

    widget.get_by_test_id("guichet-input").fill(XSS)
    widget.get_by_test_id("guichet-send").click()
    sent = widget.get_by_test_id("guichet-message").last
    expect(sent).to_have_text(XSS)
    expect(sent).to_have_attribute("data-state", "sent", timeout=10_000)

    offer = desk.get_by_test_id("offer")  # the chat is offered to Alice, who accepts it
    expect(offer).to_have_count(1, timeout=10_000)
    offer.get_by_test_id("offer-accept").click()
    expect(offer).to_have_count(0)
    expect(widget.get_by_test_id("guichet-status")).to_contain_text("Alice", timeout=10_000)

    expect(desk.get_by_test_id("conversation-item")).to_have_count(1, timeout=10_000)
    received = desk.get_by_test_id("desk-message").first
    expect(received).to_have_text(XSS, timeout=10_000)
    expect(received).to_have_attribute("data-kind", "visitor")
    assert desk.locator("img[src=x]").count() == 0  # shown as characters, never parsed as HTML

    desk.get_by_test_id("desk-input").fill("Hello! How can I help you?")
    desk.get_by_test_id("desk-send").click()
    reply = widget.locator("[data-testid=guichet-message][data-kind=agent]")
    expect(reply).to_have_text("Hello! How can I help you?", timeout=10_000)
    assert widget.locator("img[src=x]").count() == 0
    assert desk_dialogs == [] and widget_dialogs == []
