"""The console's Agents page (issue 16, docs/admin.md "Agents") in a real browser against the local stack, as one
journey, the issue's own: Ada (admin) invites a new agent, Lina (POST /users); Lina finds her temporary password in
the local outbox, signs in on the desk with it and chooses her own password there, and goes Available. Ada opens
Administration > Agents from the keyboard and puts Lina in the Billing group with the billing skill; a refused value
shows the server's error at its input and changes nothing; the save sends only what changed; Lina's open desk shows
her new queue without a reload; a visitor's chat from a billing page, which needs that skill, is offered to Lina,
not to Alice or Bob (Available too, without the skill). Sam (supervisor) reads the same page with every control
disabled and no Save, and his PUT answers 403. The page is axe-clean. (The invitation's own rules and page:
test_admin_users.py and tests/integration/test_users.py.)

The journey ends on the Audit log page (admin-audit.js) on the real GET /audit, read by Sam: Ada's change of Lina
is the newest entry, with who, action, target and before -> after; the invitation and the settings changes made
before it fill more than a page, so "Load more" brings the rest; a refused filter shows at its input; filters by
actor and action narrow it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from playwright.sync_api import Page, Request, expect
from websockets.sync.client import ClientConnection, connect

from chalicelib.domain.audit import PAGE_SIZE
from tests.e2e.helpers import (
    Pages,
    ask,
    axe_violations,
    connect_desk,
    expect_refused_at,
    first_sign_in,
    go_available,
    login,
    rest,
    rest_status,
    temporary_password,
    ws_url,
)
from tests.e2e.test_live_chat_widget import Client, agent

WAIT = 10_000  # ms
StartStack = Callable[..., str]
# Billing pages need the billing skill at level 3 in the Billing group; everything else goes to the default group.
ROUTING = {
    "fairness": "longest_idle",
    "skills": ["billing", "german"],
    "groups": [{"id": "default", "name": "Everyone", "threshold": 50},
               {"id": "billing", "name": "Billing", "threshold": 10}],
    "rules": [{"id": "billing", "name": "Billing pages", "groups": ["billing"],
               "skill": {"skill": "billing", "min_level": 3}, "match": {"url_contains": "/billing"}},
              {"id": "rest", "name": "Everything else", "groups": ["default"]}],
}
# Settings changes before Ada's change of Lina: with it, the invitation and the routing, one more than a page.
FILLERS = PAGE_SIZE - 2
# Ada's change of Lina as the Audit log page shows it: only what changed, before -> after, a line a setting.
CHANGE_OF_LINA = ['queues: ["default"] → ["default","billing"]', 'skills: {} → {"billing":4}']


def open_agents_page(desk: Page) -> None:
    """From the keyboard: the top bar's Administration, then the Agents page of its list."""
    toggle = desk.get_by_test_id("admin-tab")
    expect(toggle).to_be_visible(timeout=WAIT)
    toggle.focus()
    desk.keyboard.press("Enter")
    desk.get_by_test_id("admin-page-agents").focus()
    desk.keyboard.press("Enter")
    expect(desk.get_by_test_id("admin-agents")).to_be_visible(timeout=WAIT)


def pick(desk: Page, agent_id: str) -> None:
    button = desk.locator(f"[data-testid=aa-row][data-agent-id='{agent_id}'] [data-testid=aa-pick]")
    button.focus()
    desk.keyboard.press("Enter")
    expect(desk.locator(f"[data-testid=aa-form][data-agent-id='{agent_id}']")).to_be_visible(timeout=WAIT)


def offers_to(client: Client) -> list[dict[str, Any]]:
    """The offers pushed to this agent's socket so far, once nothing more has come for half a second."""
    while True:
        try:
            client.pushes.append(json.loads(client.socket.recv(timeout=0.5)))
        except TimeoutError:
            return [frame for frame in client.pushes if frame.get("type") == "offer"]


def test_an_admin_invites_an_agent_puts_her_in_a_group_with_a_skill_and_a_billing_chat_reaches_her(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    email = f"lina-{uuid.uuid4().hex[:6]}@example.com"
    invited = rest(url, "POST", "/tenants/demo/users", {"email": email, "name": "Lina Moreau", "roles": ["agent"]},
                   token=admin)["user"]
    lina_id = invited["id"]
    rest(url, "PUT", "/tenants/demo/routing", ROUTING, token=admin)
    for n in range(FILLERS):
        rest(url, "PUT", "/tenants/demo/settings", {"acceptance_seconds": 31 + n}, token=admin)

    # Lina's first sign-in: the temporary password from the outbox, then her own; her desk stays open.
    lina = go_available(first_sign_in(pages.new(), url, email, temporary_password(url, email), "Lina-chose-1234"))
    expect(lina.locator("[data-testid=queue-toggle]")).to_have_count(1, timeout=WAIT)

    ada = connect_desk(pages.new(), url, "ada")
    open_agents_page(ada)
    pick(ada, lina_id)
    puts: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.method == "PUT" and request.url.endswith(f"/agents/{lina_id}/settings"):
            puts.append(json.loads(request.post_data or "{}"))

    ada.on("request", record)
    ada.get_by_test_id("aa-groups-billing").check()
    ada.get_by_test_id("aa-skills-billing").select_option("4")

    # A capacity over 50 is refused: the message at that input, which gets the focus; nothing at all is saved.
    chats = ada.get_by_test_id("aa-capacity-chat")
    chats.fill("51")
    ada.get_by_test_id("aa-save").click()
    expect_refused_at(ada, "aa-capacity-chat", "50")
    expect(ada.get_by_test_id("aa-outcome")).to_contain_text("Not saved")
    read = rest(url, "GET", f"/tenants/demo/agents/{lina_id}/settings", token=admin)
    assert (read["queues"], read["skills"], read["capacity"]) == (["default"], {}, 6)
    assert axe_violations(ada, "#admin-view") == []

    chats.fill("6")  # back to what it was: not sent
    ada.get_by_test_id("aa-save").click()
    expect(ada.get_by_test_id("aa-outcome")).to_have_text("Settings of Lina Moreau saved.", timeout=WAIT)
    assert puts[-1] == {"groups": ["default", "billing"], "skills": {"billing": 4}}
    read = rest(url, "GET", f"/tenants/demo/agents/{lina_id}/settings", token=admin)
    assert (sorted(read["queues"]), read["skills"]) == (["billing", "default"], {"billing": 4})
    expect(ada.locator(f"[data-testid=aa-row][data-agent-id='{lina_id}'] [data-testid=aa-row-groups]")).to_have_text(
        "Everyone, Billing")

    # Lina's open desk follows without a reload: a queue toggle for Billing, switched on.
    billing_toggle = lina.locator("[data-testid=queue-toggle][data-queue=billing]")
    expect(billing_toggle).to_be_checked(timeout=WAIT)

    # A billing chat, with Alice and Bob Available too (their sockets): it is offered to Lina, to neither of them.
    with ExitStack() as stack:
        others = [agent(url, "alice"), agent(url, "bob")]
        for other in others:
            stack.callback(other.close)
            other.ask("set_status", status="available")
        token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
        socket: ClientConnection = stack.enter_context(connect(ws_url(url, token), open_timeout=10))
        started = ask(socket, {"action": "start_conversation", "consent": True, "id": "start-1",
                               "visitor_name": "Noor", "page": {"url": f"{url}/billing/invoices", "title": "Invoices"},
                               "message": {"client_message_id": "m-1", "text": "About my invoice"}})
        assert started["type"] == "ack", started
        offer = lina.get_by_test_id("offer")
        expect(offer).to_have_count(1, timeout=WAIT)
        expect(offer.get_by_test_id("offer-visitor-name")).to_have_text("Noor")
        assert [offers_to(other) for other in others] == [[], []]

    # Sam reads the page: every control disabled, no Save; the server refuses his write whatever the page shows.
    sam = connect_desk(pages.new(), url, "sam")
    open_agents_page(sam)
    pick(sam, lina_id)
    expect(sam.get_by_test_id("aa-skills-billing")).to_have_value("4")
    expect(sam.get_by_test_id("aa-skills-billing")).to_be_disabled()
    expect(sam.get_by_test_id("aa-groups-billing")).to_be_disabled()
    expect(sam.get_by_test_id("aa-capacity-chat")).to_be_disabled()
    expect(sam.get_by_test_id("aa-save")).to_have_count(0)
    status, body = rest_status(url, "PUT", f"/tenants/demo/agents/{lina_id}/settings", {"skills": {}},
                               token=login(url, "sam")["id_token"])
    assert status == 403, body
    assert rest(url, "GET", f"/tenants/demo/agents/{lina_id}/settings", token=admin)["skills"] == {"billing": 4}
    assert axe_violations(sam, "#admin-view") == []

    # The Audit log page, read by Sam, on the real GET /audit: Ada's change of Lina is the newest entry, with who,
    # what, on whom and what changed; the invitation and the PUTs made before it fill a page, so "Load more" brings
    # the rest.
    sam.get_by_test_id("admin-page-audit").click()
    rows = sam.get_by_test_id("al-row")
    expect(rows).to_have_count(PAGE_SIZE, timeout=WAIT)
    newest = rows.first
    expect(newest.get_by_test_id("al-row-actor")).to_have_text("Ada Admin")
    expect(newest.get_by_test_id("al-row-action")).to_have_text("agent.settings")
    expect(newest.get_by_test_id("al-row-target")).to_have_text(f"agent:{lina_id}")
    expect(newest.get_by_test_id("al-row-change").locator("p")).to_have_text(CHANGE_OF_LINA)
    expect(rows.nth(1).get_by_test_id("al-row-action")).to_have_text("settings.update")
    sam.get_by_test_id("al-more").click()
    expect(rows).to_have_count(FILLERS + 3, timeout=WAIT)
    expect(rows.nth(FILLERS + 1).get_by_test_id("al-row-action")).to_have_text("routing.update")
    expect(rows.last.get_by_test_id("al-row-action")).to_have_text("user.invite")
    expect(rows.last.get_by_test_id("al-row-target")).to_have_text(f"user:{lina_id}")
    expect(sam.get_by_test_id("al-more")).to_have_count(0)

    # A filter the server refuses shows its message at that filter, which gets the focus.
    action = sam.get_by_test_id("al-action")
    action.fill("not an action")
    sam.get_by_test_id("al-apply").click()
    expect_refused_at(sam, "al-action", "'action' is a dotted name like 'settings.update'")

    # Filters narrow it: Ada's agent settings changes are the one entry; none of her role changes today.
    action.fill("agent.settings")
    sam.get_by_test_id("al-actor").select_option(label="Ada Admin")
    sam.get_by_test_id("al-apply").click()
    expect(rows).to_have_count(1, timeout=WAIT)
    expect(rows.first.get_by_test_id("al-row-target")).to_have_text(f"agent:{lina_id}")
    expect(sam.get_by_test_id("al-more")).to_have_count(0)
    action.fill("user.roles")
    sam.get_by_test_id("al-apply").click()
    expect(sam.get_by_test_id("al-empty")).to_be_visible(timeout=WAIT)
    assert axe_violations(sam, "#admin-view") == []
    assert pages.dialogs == []
