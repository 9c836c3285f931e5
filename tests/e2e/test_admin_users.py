"""The console's Users page (issue 16, docs/admin.md "Users") in a real browser against the local stack, as one
journey: Ada (admin) invites a new agent, with a refused field first (shown at its input); the invitation is in the
local outbox with the temporary password; the new agent signs in with it, chooses a password (twice: a mismatch is
refused at the second box) and reaches the desk; the page is axe-clean. Sam (supervisor) sees the list but no Invite
and no buttons, and the server refuses his invitation (403). The rules themselves: tests/integration/test_users.py."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    Pages,
    axe_violations,
    connect_desk,
    expect_refused_at,
    login,
    rest,
    rest_status,
    submit_sign_in,
)

WAIT = 10_000  # ms
NEW_PASSWORD = "Nina-chose-1234"


def open_users(page: Page) -> None:
    page.get_by_test_id("admin-tab").click()
    expect(page.get_by_test_id("admin-users")).to_be_visible(timeout=WAIT)


def test_ada_invites_an_agent_who_sets_a_password_and_sam_only_reads(stack_url: str, pages: Pages) -> None:
    email = f"nina-{uuid.uuid4().hex[:6]}@example.com"
    ada = connect_desk(pages.new(), stack_url, "ada")
    open_users(ada)
    expect(ada.get_by_test_id("au-row").filter(has_text="Sam Durand")).to_contain_text("Supervisor")

    ada.get_by_test_id("au-email").fill("not an address")
    ada.get_by_test_id("au-name").fill("Nina Petit")
    ada.get_by_test_id("au-invite").click()
    expect_refused_at(ada, "au-email", "'email' must be an email address")
    ada.get_by_test_id("au-email").fill(email)
    ada.get_by_test_id("au-invite").click()
    expect(ada.get_by_test_id("au-invite-outcome")).to_contain_text("is invited", timeout=WAIT)
    row = ada.get_by_test_id("au-row").filter(has_text=email)
    expect(row.get_by_test_id("au-row-status")).to_have_text("Invited")
    expect(row.get_by_test_id("au-row-roles")).to_have_text("Agent")
    assert axe_violations(ada, "#admin-view") == []

    mails = [m for m in rest(stack_url, "GET", "/outbox.json")["emails"] if email in m["to"]]
    assert len(mails) == 1 and f"Username: {email}" in mails[0]["text"] and "/desk" in mails[0]["text"]
    found = re.search(r"Temporary password: (\S+)", mails[0]["text"])
    assert found is not None
    outbox = ada.context.new_page()
    outbox.goto(f"{stack_url}/outbox")
    expect(outbox.locator("article.mail").filter(has_text=email)).to_contain_text("Temporary password")

    nina = submit_sign_in(pages.new(), stack_url, email, found.group(1))
    expect(nina.get_by_test_id("new-password-form")).to_be_visible(timeout=WAIT)
    expect(nina.get_by_test_id("new-password")).to_be_focused()
    assert axe_violations(nina, "#login-view") == []
    nina.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    nina.get_by_label("Repeat the new password").fill("something else 1A")
    nina.get_by_test_id("new-password-submit").click()
    expect(nina.get_by_test_id("new-password-repeat")).to_have_attribute("aria-invalid", "true")
    nina.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    nina.get_by_test_id("new-password-submit").click()
    expect(nina.get_by_test_id("desk-connection")).to_have_text("connected", timeout=15_000)
    assert rest(stack_url, "POST", "/auth/login", {"username": email, "password": NEW_PASSWORD})["id_token"]

    sam = connect_desk(pages.new(), stack_url, "sam")
    open_users(sam)
    expect(sam.get_by_test_id("au-row").filter(has_text=email).get_by_test_id("au-row-status")).to_have_text(
        "Active", timeout=WAIT)
    expect(sam.get_by_test_id("au-invite-form")).to_have_count(0)
    expect(sam.get_by_test_id("au-deactivate")).to_have_count(0)
    expect(sam.get_by_role("button", name=re.compile("Invite|Save"))).to_have_count(0)
    token = login(stack_url, "sam")["id_token"]
    status, answer = rest_status(stack_url, "POST", "/tenants/demo/users",
                                 {"email": "x@example.com", "name": "X", "roles": ["agent"]}, token)
    assert status == 403 and answer["code"] == "forbidden"
