"""The Administration area (issue 16, docs/admin.md) in a real browser against the local stack: admins and
supervisors get its toggle and its list of pages, agents do not; a supervisor is told the pages are read-only; the
list is keyboard-usable and marks the page shown; the area is axe-clean. Each page's own behaviour is tested in the
page's test file (test_admin_*.py)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import Pages, axe_violations, connect_desk

WAIT = 10_000  # ms


def test_the_area_is_for_admins_and_supervisors(stack_url: str, pages: Pages) -> None:
    ada = connect_desk(pages.new(), stack_url, "ada")
    toggle = ada.get_by_test_id("admin-tab")
    toggle.focus()
    ada.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    nav = ada.get_by_role("navigation", name="Administration pages")
    expect(nav.get_by_role("button")).to_have_count(8)
    expect(ada.get_by_test_id("admin-page-users")).to_have_attribute("aria-current", "page")
    ada.get_by_test_id("admin-page-audit").focus()
    ada.keyboard.press("Enter")
    expect(ada.get_by_test_id("admin-page-audit")).to_have_attribute("aria-current", "page", timeout=WAIT)
    expect(ada.locator("#admin-page-title")).to_have_text("Audit log")
    expect(ada.get_by_test_id("admin-read-only")).to_have_count(0)
    assert axe_violations(ada, "#admin-view") == []

    sam = connect_desk(pages.new(), stack_url, "sam")
    sam.get_by_test_id("admin-tab").click()
    expect(sam.get_by_test_id("admin-read-only")).to_be_visible(timeout=WAIT)

    alice = connect_desk(pages.new(), stack_url, "alice")
    expect(alice.get_by_test_id("admin-tab")).to_be_hidden()
