"""The widget's end screen asks the NPS question when the tenant turns it on (issue 15), in a real browser against
the local stack: Alice closes a chat; the visitor rates it 5, then answers 9 to "How likely are you to recommend Demo
Brand…" with the keyboard alone (Tab, Enter, the arrow keys of the radio group); the stored conversation has both,
and the end screen with the question passes axe. The question in French, again after a reload, and not sent without
a score. When nps.js cannot load, the thanks show rather than an empty end screen. A tenant with NPS off does not
ask it, and its widget never loads nps.js."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import Pages, axe_violations
from tests.e2e.helpers import rest_status as rest
from tests.e2e.test_accessibility import accepted_chat
from tests.e2e.test_live_chat_widget import VISITOR_KEY, stored
from tests.e2e.test_widget_embed import deep_focus, press_until_focused

WAIT = 10_000  # ms
StartStack = Callable[..., str]


def closed_by_alice(start_stack: StartStack, pages: Pages, **settings: object) -> tuple[str, Page, str]:
    """A visitor's chat that Alice accepted and closed: (stack url, the visitor's page on the end screen, its id)."""
    url = start_stack(**settings)
    page, alice, conversation_id = accepted_chat(url, pages, "Do you deliver to Lyon?")
    alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
    alice.close()
    expect(page.get_by_test_id("guichet-rating")).to_be_visible(timeout=WAIT)
    return url, page, conversation_id


def rate_five_with_the_keyboard(page: Page) -> None:
    page.get_by_test_id("guichet-rate-1").focus()
    press_until_focused(page, "Tab", "guichet-rate-5")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("guichet-rate-5")).to_have_attribute("aria-pressed", "true")
    press_until_focused(page, "Tab", "guichet-rating-submit")
    page.keyboard.press("Enter")


def conversation(url: str, page: Page, conversation_id: str) -> dict[str, object]:
    status, read = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}", token=stored(page, VISITOR_KEY))
    assert status == 200
    return read


def loaded_scripts(page: Page) -> list[str]:
    names: list[str] = page.evaluate("performance.getEntriesByType('resource').map((entry) => entry.name)")
    return [name.rsplit("/", 1)[-1] for name in names if "/widget/" in name]


def test_the_visitor_rates_then_answers_nps_with_the_keyboard(start_stack: StartStack, pages: Pages) -> None:
    url, page, conversation_id = closed_by_alice(start_stack, pages, nps_enabled=True)
    expect(page.get_by_test_id("guichet-nps")).to_have_count(0)  # asked after the rating: not loaded yet
    rate_five_with_the_keyboard(page)

    question = page.get_by_test_id("guichet-nps")
    expect(question).to_be_visible(timeout=WAIT)
    expect(question.locator("legend")).to_have_text(
        "How likely are you to recommend Demo Brand to a friend or colleague?")
    expect(question).to_contain_text("0 = not at all likely, 10 = extremely likely")
    expect(page.get_by_test_id("guichet-rating-done")).to_be_hidden()
    assert deep_focus(page) == "guichet-nps-0"  # the question takes the focus; nothing is chosen yet
    expect(page.get_by_test_id("guichet-nps-0")).not_to_be_checked()
    for _ in range(9):
        page.keyboard.press("ArrowRight")  # a radio group: the arrows move and choose
    expect(page.get_by_test_id("guichet-nps-9")).to_be_checked()
    assert page.get_by_test_id("guichet-nps-9").get_attribute("aria-label") == "9"
    assert page.get_by_test_id("guichet-nps-10").get_attribute("aria-label") == "10, extremely likely"
    assert axe_violations(page) == []  # the end screen with the question, a score chosen
    press_until_focused(page, "Tab", "guichet-nps-submit")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("guichet-rating-done")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("guichet-rating-done")).to_be_focused()
    expect(question).to_be_hidden()
    read = conversation(url, page, conversation_id)
    assert (read["status"], read["rating"], read["nps_asked"], read["nps"]) == ("closed", 5, True, 9)
    assert axe_violations(page) == []
    # Answered once: a second answer is refused naming `score`.
    status, refused = rest(url, "POST", f"/tenants/demo/conversations/{conversation_id}/nps", {"score": 0},
                           token=stored(page, VISITOR_KEY))
    assert (status, refused["code"], refused["field"]) == (409, "conflict", "score")


@pytest.mark.demo_settings(nps_enabled=True)
def test_the_question_in_french_after_a_reload_refuses_a_send_without_a_score(start_stack: StartStack,
                                                                             pages: Pages) -> None:
    url, page, conversation_id = closed_by_alice(start_stack, pages)
    page.evaluate("document.documentElement.lang = 'fr'")
    page.get_by_test_id("guichet-rate-4").click()
    page.get_by_test_id("guichet-rating-submit").click()
    question = page.get_by_test_id("guichet-nps")
    expect(question.locator("legend")).to_have_text(
        "Quelle est la probabilité que vous recommandiez Demo Brand à un ami ou un collègue ?", timeout=WAIT)
    # A reload comes back to the question (the survey is not done), in the page's language again.
    page.reload()
    expect(question.locator("legend")).to_have_text(
        "How likely are you to recommend Demo Brand to a friend or colleague?", timeout=WAIT)
    expect(page.get_by_test_id("guichet-rating")).to_be_hidden()
    page.evaluate("document.documentElement.lang = 'fr'")
    page.get_by_test_id("guichet-nps-submit").click()
    expect(page.get_by_test_id("guichet-error")).to_have_text("Choisissez d'abord une note de 0 à 10.")
    assert deep_focus(page) == "guichet-nps-0"
    assert conversation(url, page, conversation_id)["nps"] is None


def test_a_tenant_with_nps_off_does_not_ask_it(start_stack: StartStack, pages: Pages) -> None:
    url, page, conversation_id = closed_by_alice(start_stack, pages)
    rate_five_with_the_keyboard(page)
    expect(page.get_by_test_id("guichet-rating-done")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("guichet-rating-done")).to_be_focused()
    expect(page.get_by_test_id("guichet-nps")).to_have_count(0)
    assert "nps.js" not in loaded_scripts(page) and "end.js" in loaded_scripts(page)
    read = conversation(url, page, conversation_id)
    assert (read["rating"], read["nps_asked"], read["nps"]) == (5, False, None)


@pytest.mark.demo_settings(nps_enabled=True)
def test_when_the_question_cannot_load_the_thanks_show(start_stack: StartStack, pages: Pages) -> None:
    url, page, conversation_id = closed_by_alice(start_stack, pages)
    page.route("**/widget/nps.js", lambda route: route.abort())  # the network fails just then
    page.get_by_test_id("guichet-rate-3").click()
    page.get_by_test_id("guichet-rating-submit").click()
    expect(page.get_by_test_id("guichet-rating-done")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("guichet-nps")).to_have_count(0)
    read = conversation(url, page, conversation_id)
    assert (read["rating"], read["nps_asked"], read["nps"]) == (3, True, None)
