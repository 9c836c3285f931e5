"""The console's Texts and look page (issue 16, docs/admin.md), one journey in a real browser against the local
stack: Ada changes the widget's colour and welcome texts; the live preview (the real widget in an iframe) shows them
before anything is saved, and warns of a colour too light for the widget's white text; Save sends only them, and the
demo page's widget then shows them; the snippets name the tenant. On Answers and surveys she adds and reorders a
canned answer, a refusal lands at its field, and open desks get the saved settings at once (settings.updated); the
pages are axe-clean and usable with the keyboard. On the Opening hours page she sets hours that close now (today a
holiday, with an out-of-hours text) and the demo page's widget says it is closed. Sam (a supervisor) reads but
cannot save, and the server refuses his PUT anyway. The snippets' signatures: tests/unit/test_admin_look_snippets.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Pages, axe_violations, connect_desk, login, rest, rest_status
from tests.e2e.test_live_chat_widget import agent

WAIT = 10_000  # ms
COLOUR = "#7a1f5c"
RGB = "rgb(122, 31, 92)"
WELCOME = "Welcome to Demo Bikes! Ask us about sizes <b>and</b> repairs."
CLOSED = "Closed today: leave us a message."
WELCOME_WAIT = "Welcome to Demo Bikes! Leave us a message, we answer within the hour."


def open_look(pages: Pages, url: str, username: str) -> Page:
    page = connect_desk(pages.new(), url, username)
    page.get_by_test_id("admin-tab").click()
    page.get_by_test_id("admin-page-look").click()
    expect(page.get_by_test_id("look-text-welcome")).to_be_visible(timeout=WAIT)
    return page


def launcher_colour(page: Page, frame: str | None = None) -> str:
    where = page.frame_locator(frame) if frame else page
    launcher = where.get_by_test_id("guichet-launcher")
    expect(launcher).to_be_visible(timeout=WAIT)
    return str(launcher.evaluate("(element) => getComputedStyle(element).backgroundColor"))


def closes_now(ada: Page, pages: Pages, url: str) -> None:
    """On the Opening hours page, Ada keeps hours in Paris with today (there) a holiday and an out-of-hours text;
    the demo page's widget then says it is closed."""
    ada.get_by_test_id("hours-enabled").check()
    ada.get_by_test_id("hours-time-zone").select_option("Europe/Paris")
    ada.get_by_test_id("hours-holiday-add").click()
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    ada.get_by_test_id("hours-holiday-0").fill(today.isoformat())
    ada.get_by_test_id("hours-closed-en").fill(CLOSED)
    ada.get_by_test_id("hours-save").click()
    expect(ada.get_by_test_id("hours-save-outcome")).to_have_text("Saved.", timeout=WAIT)
    visitor = pages.new()
    visitor.goto(url)
    expect(visitor.get_by_test_id("guichet-launcher")).to_have_text(CLOSED, timeout=WAIT)


def test_ada_builds_the_widget_with_a_live_preview_and_sam_only_reads(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    ada = open_look(pages, url, "ada")
    preview = ada.frame_locator("[data-testid=look-preview]")
    expect(preview.get_by_test_id("guichet-welcome")).to_have_text("Hello! Ask us anything, an agent will answer.",
                                                                    timeout=WAIT)

    # A light colour: the contrast of the widget's white text on it is under WCAG AA, and the page says so.
    colour = ada.get_by_test_id("look-colour")
    colour.fill("#ffcc00")
    expect(ada.get_by_test_id("look-contrast")).to_have_attribute("data-low", "true")
    expect(ada.get_by_test_id("look-contrast")).to_contain_text("Low contrast")
    # With the keyboard: the colour's text box, then the English welcome.
    colour.focus()
    ada.keyboard.press("Control+A")
    ada.keyboard.type(COLOUR)
    expect(ada.get_by_test_id("look-contrast")).to_have_attribute("data-low", "false")
    welcome = ada.get_by_test_id("look-text-welcome")
    welcome.focus()
    ada.keyboard.press("Control+A")
    ada.keyboard.type(WELCOME)

    # The preview shows both before anything is saved; the markup stays text.
    expect(preview.get_by_test_id("guichet-welcome")).to_have_text(WELCOME, timeout=WAIT)
    assert launcher_colour(ada, "[data-testid=look-preview]") == RGB
    assert preview.locator("b").count() == 0
    # The demo's routing lets conversations wait: its visitors read the other welcome, which the preview shows
    # as soon as its box has the focus.
    ada.keyboard.press("Tab")
    expect(ada.get_by_test_id("look-text-welcome_async")).to_be_focused()
    expect(ada.get_by_test_id("look-stage")).to_have_value("async")
    ada.keyboard.press("Control+A")
    ada.keyboard.type(WELCOME_WAIT)
    expect(preview.get_by_test_id("guichet-welcome")).to_have_text(WELCOME_WAIT, timeout=WAIT)
    saved = rest(url, "GET", "/tenants/demo/widget")
    assert saved["accent_colour"] != COLOUR and saved["texts"]["en"]["welcome"] != WELCOME

    # The French texts are a switch away; the preview follows the language.
    ada.get_by_test_id("look-lang-fr").check()
    expect(ada.get_by_test_id("look-text-welcome")).to_have_value(
        "Bonjour ! Posez-nous votre question, un conseiller vous répond.")
    expect(preview.get_by_test_id("guichet-welcome")).to_contain_text("Bonjour ! Laissez-nous un message",
                                                                       timeout=WAIT)
    ada.get_by_test_id("look-lang-en").check()

    # The snippets name the tenant and this deployment.
    expect(ada.get_by_test_id("look-embed")).to_contain_text(f'src="{url}/widget/widget.js"')
    expect(ada.get_by_test_id("look-embed")).to_contain_text('data-tenant="demo"')
    expect(ada.get_by_test_id("look-sign-node")).to_contain_text("createHmac('sha256'")
    assert axe_violations(ada, "#admin-view") == []

    # Save, with the keyboard: only what changed is sent, and the widget reads it on its next load.
    ada.get_by_test_id("look-save").focus()
    with ada.expect_request(lambda r: r.method == "PUT" and r.url.endswith("/settings")) as put:
        ada.keyboard.press("Enter")
    expect(ada.get_by_test_id("look-save-outcome")).to_have_text("Saved.", timeout=WAIT)
    assert put.value.post_data_json == {"accent_colour": COLOUR,
                                        "texts": {"en": {"welcome": WELCOME, "welcome_async": WELCOME_WAIT}}}
    saved = rest(url, "GET", "/tenants/demo/widget")
    assert saved["accent_colour"] == COLOUR
    assert saved["texts"]["en"]["welcome"] == WELCOME
    assert saved["texts"]["en"]["welcome_async"] == WELCOME_WAIT
    assert saved["texts"]["fr"]["welcome"] == "Bonjour ! Posez-nous votre question, un conseiller vous répond."

    visitor = pages.new()
    visitor.goto(url)
    assert launcher_colour(visitor) == RGB
    visitor.get_by_test_id("guichet-launcher").click()
    expect(visitor.get_by_test_id("guichet-welcome")).to_have_text(WELCOME_WAIT, timeout=WAIT)

    # Answers and surveys: a new canned answer with a variable, moved up with the keyboard, and the NPS question on;
    # Alice's open desk gets them at once (settings.updated).
    alice = agent(url, "alice")
    ada.get_by_test_id("admin-page-answers").click()
    ada.get_by_test_id("answers-add").click()
    expect(ada.get_by_test_id("answers-title-3")).to_be_focused(timeout=WAIT)
    ada.keyboard.type("Sizes")
    ada.get_by_test_id("answers-text-3").fill("Hello {visitor_name}, which size do you ride?")
    ada.get_by_role("button", name='Move "Sizes" up').focus()
    ada.keyboard.press("Enter")
    expect(ada.get_by_test_id("answers-title-2")).to_have_value("Sizes")
    expect(ada.get_by_role("button", name='Move "Sizes" up')).to_be_focused()
    ada.get_by_test_id("answers-nps").check()
    ada.get_by_test_id("answers-disposition-0").fill("  ")
    ada.get_by_test_id("answers-save").click()
    expect(ada.get_by_test_id("answers-disposition-0")).to_be_focused(timeout=WAIT)  # refused: at its field
    expect(ada.get_by_test_id("answers-disposition-0")).to_have_attribute("aria-invalid", "true")
    ada.get_by_test_id("answers-disposition-0").fill("Resolved")
    ada.get_by_test_id("answers-save").click()
    expect(ada.get_by_test_id("answers-save-outcome")).to_have_text("Saved.", timeout=WAIT)
    admin = login(url, "ada")["id_token"]
    settings = rest(url, "GET", "/tenants/demo/settings", token=admin)
    assert [a["title"] for a in settings["canned_answers"]] == ["Greeting", "One moment", "Sizes", "Goodbye"]
    assert settings["nps_enabled"] is True
    pushed = alice.expect("settings.updated", lambda frame: frame["settings"]["nps_enabled"] is True)
    assert pushed["settings"]["canned_answers"] == settings["canned_answers"]
    alice.close()
    assert axe_violations(ada, "#admin-view") == []
    ada.get_by_test_id("admin-page-hours").click()
    expect(ada.get_by_test_id("hours-enabled")).to_be_visible(timeout=WAIT)
    assert axe_violations(ada, "#admin-view") == []
    closes_now(ada, pages, url)

    # Sam, a supervisor, reads the saved settings but has no Save and cannot type; the server refuses him anyway.
    sam = open_look(pages, url, "sam")
    expect(sam.get_by_test_id("look-text-welcome")).to_have_value(WELCOME)
    expect(sam.get_by_test_id("look-text-welcome")).to_have_attribute("readonly", "")
    expect(sam.get_by_test_id("look-save")).to_have_count(0)
    expect(sam.get_by_test_id("admin-read-only")).to_be_visible()
    assert axe_violations(sam, "#admin-view") == []
    token = login(url, "sam")["id_token"]
    status, refusal = rest_status(url, "PUT", "/tenants/demo/settings", {"accent_colour": "#000000"}, token=token)
    assert status == 403, refusal
    assert pages.dialogs == []
