"""The supervisor page of the routing engine (issue 4, ASYNC-19) on the desk, in a real browser against the local
stack: supervisors and admins get a Waiting view listing each waiting conversation with its group and rule, and
for a stuck one why it is not distributed; agents without those roles get neither the view nor the endpoint.
Visitors are plain WebSocket clients; the routing configuration is set by the demo admin through the REST API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from playwright.sync_api import Page, Route, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.helpers import Pages, ask, connect_desk, login, rest, rest_status, ws_url

WAIT = 10_000  # ms: REST and pushes on the local stack take well under a second
REFRESH_WAIT = 12_000  # ms: the view reloads every 5 s
StartStack = Callable[..., str]
XSS = "<img src=x onerror=alert(1)>"
SINCE = re.compile(r"^\d+ (s|min)$")

# Level 1 has Alice online, but billing pages need a level nobody has; the night shift has only Bob, offline.
ROUTING = {
    "fairness": "longest_idle",
    "skills": ["billing"],
    "groups": [{"id": "level1", "name": "Level 1", "threshold": 10},
               {"id": "night", "name": "Night shift", "threshold": 5}],
    "rules": [{"id": "billing", "name": "Billing pages", "groups": ["level1"],
               "skill": {"skill": "billing", "min_level": 5}, "match": {"url_contains": "/billing"}},
              {"id": "after-hours", "name": "After hours", "groups": ["night"], "match": {"url_contains": "/night"}},
              {"id": "rest", "name": "Everything else", "groups": ["level1"]}],
}


# ---------------------------------------------------------------- fixtures and helpers


def open_waiting(desk: Page) -> None:
    """Open the Waiting view from the keyboard: focus the top bar's toggle and press Enter."""
    tab = desk.get_by_test_id("waiting-tab")
    expect(tab).to_be_visible(timeout=WAIT)
    tab.focus()
    desk.keyboard.press("Enter")
    expect(tab).to_have_attribute("aria-pressed", "true")
    expect(desk.get_by_test_id("waiting-view")).to_be_visible()


def start_chat(stack: ExitStack, url: str, n: int, page_url: str, name: str) -> str:
    """A visitor opens a chat from `page_url` with a first message; returns its id once the server says it waits."""
    token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    socket: ClientConnection = stack.enter_context(connect(ws_url(url, token), open_timeout=10))
    started = ask(socket, {"action": "start_conversation", "consent": True, "id": f"start-{n}", "visitor_name": name,
                           "page": {"url": page_url, "title": f"Page {n}"},
                           "message": {"client_message_id": f"m-{n}", "text": f"Hello from visitor {n}"}})
    assert started["type"] == "ack", started
    assert started["conversation"]["status"] == "waiting", started
    conversation_id: str = started["conversation"]["id"]
    return conversation_id


def row(desk: Page, conversation_id: str) -> Any:
    return desk.locator(f"[data-testid=waiting-row][data-conversation-id='{conversation_id}']")


def summary(desk: Page, group: str) -> Any:
    return desk.locator(f"[data-testid=waiting-group-summary][data-group='{group}']")


# ---------------------------------------------------------------- against the routing engine


def test_the_supervisor_sees_each_waiting_conversation_with_its_group_rule_and_why_it_is_stuck(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    rest(url, "PUT", "/tenants/demo/routing", ROUTING, token=admin)
    alice, bob = login(url, "alice"), login(url, "bob")
    rest(url, "PUT", f"/tenants/demo/agents/{alice['agent']['id']}/settings",
         {"groups": ["level1"], "skills": {"billing": 2}}, token=admin)
    rest(url, "PUT", f"/tenants/demo/agents/{bob['agent']['id']}/settings", {"groups": ["night"]}, token=admin)

    with ExitStack() as stack:
        # Alice is online in Level 1 (a desk's socket, Available); Bob, the night shift, never signs in.
        desk_socket = stack.enter_context(connect(ws_url(url, alice["id_token"]), open_timeout=10))
        went = ask(desk_socket, {"action": "set_status", "id": "s1", "status": "available"})
        assert went["type"] == "ack" and went["agent"]["status"] == "available", went
        billing = start_chat(stack, url, 1, f"{url}/billing/invoices?<b>x</b>", XSS)
        night = start_chat(stack, url, 2, f"{url}/night/help", "Noor")

        desk = connect_desk(pages.new(), url, "sam")
        open_waiting(desk)

        first = row(desk, billing)
        expect(first).to_have_count(1, timeout=WAIT)
        expect(first).to_have_attribute("data-group", "level1")
        expect(first).to_have_attribute("data-rule", "billing")
        expect(first.get_by_test_id("waiting-group")).to_have_text("Level 1")
        expect(first.get_by_test_id("waiting-rule")).to_have_text("Billing pages")
        expect(first.get_by_test_id("waiting-medium")).to_have_text("Chat")
        expect(first.get_by_test_id("waiting-position")).to_have_text("1")
        expect(first.get_by_test_id("waiting-since")).to_have_text(SINCE)
        expect(first.get_by_test_id("waiting-skill")).to_have_text("billing ≥ 5")
        expect(first).to_have_attribute("data-stuck", "skill_level_missing")
        expect(first.get_by_test_id("waiting-stuck")).to_have_text("No agent has the required skill level")
        # Visitor text is text: the name shows as typed and no element came out of it.
        expect(first.get_by_test_id("waiting-visitor")).to_have_text(XSS)
        expect(first.get_by_test_id("waiting-visitor").locator("img")).to_have_count(0)
        expect(first.get_by_test_id("waiting-page")).to_have_text(f"{url}/billing/invoices?<b>x</b>")
        expect(first.get_by_test_id("waiting-page").locator("b")).to_have_count(0)

        second = row(desk, night)
        expect(second).to_have_attribute("data-group", "night")
        expect(second.get_by_test_id("waiting-group")).to_have_text("Night shift")
        expect(second.get_by_test_id("waiting-rule")).to_have_text("After hours")
        expect(second.get_by_test_id("waiting-visitor")).to_have_text("Noor")
        expect(second.get_by_test_id("waiting-skill")).to_have_text("—")
        expect(second).to_have_attribute("data-stuck", "no_eligible_agent_online")
        expect(second.get_by_test_id("waiting-stuck")).to_have_text("No eligible agent online")

        expect(summary(desk, "level1").get_by_test_id("waiting-group-count")).to_have_text("1 / 10")
        expect(summary(desk, "night").get_by_test_id("waiting-group-count")).to_have_text("1 / 5")
        expect(desk.get_by_test_id("waiting-count")).to_have_text("2")

        # The view reloads by itself: a third visitor on a night page shows up behind the second, no click needed.
        later = start_chat(stack, url, 3, f"{url}/night/late", "Ines")
        third = row(desk, later)
        expect(third).to_have_count(1, timeout=REFRESH_WAIT)
        expect(third.get_by_test_id("waiting-position")).to_have_text("2")
        expect(summary(desk, "night").get_by_test_id("waiting-group-count")).to_have_text("2 / 5")
        rows = desk.get_by_test_id("waiting-row")
        expect(rows).to_have_count(3)
        assert [rows.nth(i).get_attribute("data-conversation-id") for i in range(3)] == [billing, night, later]

        # Back to the conversations with the same toggle.
        desk.get_by_test_id("waiting-tab").press("Enter")
        expect(desk.get_by_test_id("waiting-view")).to_be_hidden()
        expect(desk.get_by_test_id("active-list")).to_be_attached()
        expect(desk.locator("#workspace")).to_be_visible()
    assert pages.dialogs == []


def test_only_supervisors_and_admins_get_the_waiting_view(stack_url: str, pages: Pages) -> None:
    alice = connect_desk(pages.new(), stack_url, "alice")
    expect(alice.get_by_test_id("agent-load")).to_be_visible(timeout=WAIT)  # /me has answered
    expect(alice.get_by_test_id("waiting-tab")).to_be_hidden()
    expect(alice.get_by_test_id("waiting-view")).to_be_hidden()

    status, body = rest_status(stack_url, "GET", "/tenants/demo/waiting", token=login(stack_url, "alice")["id_token"])
    assert status == 403, body
    assert body["code"] == "forbidden", body

    for username in ("sam", "ada"):  # supervisor, admin
        desk = connect_desk(pages.new(), stack_url, username)
        open_waiting(desk)
        expect(desk.get_by_test_id("waiting-view")).to_have_attribute("data-state", "loaded", timeout=WAIT)
        expect(desk.get_by_test_id("waiting-error")).to_be_hidden()
    assert pages.dialogs == []


# ---------------------------------------------------------------- the page itself, with a stubbed answer


STUB = {
    "waiting": [
        {"conversation_id": "c-1", "group": "level1", "group_name": "Level 1", "rule": "billing",
         "rule_name": "Billing pages", "medium": "inbound_call", "priority": 5,
         "skill": {"skill": "billing", "min_level": 4}, "waiting_since": "2020-01-01T00:00:00Z", "position": 1,
         "visitor_name": XSS, "page_url": "javascript:alert(2)",
         "stuck": {"reason": "all_at_capacity", "text": "All eligible agents are at capacity"}},
        {"conversation_id": "c-2", "group": "level1", "group_name": "Level 1", "rule": "rest",
         "rule_name": "Everything else", "medium": "email", "priority": 0, "skill": None,
         "waiting_since": "2020-01-01T00:00:00Z", "position": 2, "visitor_name": "", "page_url": None,
         "stuck": None},
    ],
    "groups": [{"id": "level1", "name": "Level 1", "threshold": 2, "waiting": 2}],
}


def test_the_view_shows_a_banner_when_loading_fails_and_recovers_on_refresh(stack_url: str, pages: Pages) -> None:
    """The endpoint stubbed in the browser: a failure shows the banner and keeps retrying; the Refresh button
    loads again at once; hostile visitor text stays text."""
    answers: list[tuple[int, Any]] = [(500, {"code": "internal", "message": "boom"})]

    def waiting(route: Route) -> None:
        status, body = answers[-1]
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    desk = pages.new()
    desk.route("**/tenants/demo/waiting", waiting)
    connect_desk(desk, stack_url, "sam")
    open_waiting(desk)
    banner = desk.get_by_test_id("waiting-error")
    expect(banner).to_be_visible(timeout=WAIT)
    expect(banner).to_contain_text("Could not load the waiting conversations: boom (HTTP 500)")

    answers.append((200, STUB))
    with desk.expect_request("**/tenants/demo/waiting"):
        desk.get_by_test_id("waiting-refresh").click()
    expect(banner).to_be_hidden(timeout=WAIT)
    expect(desk.get_by_test_id("waiting-row")).to_have_count(2)

    stuck = row(desk, "c-1")
    expect(stuck.get_by_test_id("waiting-medium")).to_have_text("Inbound call")
    expect(stuck.get_by_test_id("waiting-since")).to_have_text(re.compile(r"^\d+ d( \d+ h)?$"))
    expect(stuck.get_by_test_id("waiting-stuck")).to_have_text("All eligible agents are at capacity")
    expect(stuck.get_by_test_id("waiting-visitor")).to_have_text(XSS)
    expect(stuck.get_by_test_id("waiting-page")).to_have_text("javascript:alert(2)")
    expect(stuck.get_by_test_id("waiting-page").locator("a")).to_have_count(0)  # not a link
    expect(stuck).to_have_class(re.compile(r"waiting-row--stuck"))

    calm = row(desk, "c-2")
    expect(calm.get_by_test_id("waiting-stuck")).to_have_text("")
    expect(calm.get_by_test_id("waiting-visitor")).to_have_text("Not given")
    expect(calm.get_by_test_id("waiting-skill")).to_have_text("—")
    expect(calm).not_to_have_class(re.compile(r"waiting-row--stuck"))
    expect(summary(desk, "level1")).to_contain_text("Level 1 2 / 2")

    # A failure after a success keeps the last list and says so; the next good answer clears the banner.
    answers.append((403, {"code": "forbidden", "message": "this requires the supervisor or admin role"}))
    expect(banner).to_have_text(re.compile("supervisor or admin role"), timeout=REFRESH_WAIT)
    expect(desk.get_by_test_id("waiting-row")).to_have_count(2)
    answers.append((200, {"waiting": [], "groups": STUB["groups"]}))
    expect(desk.get_by_test_id("waiting-empty")).to_be_visible(timeout=REFRESH_WAIT)
    expect(banner).to_be_hidden()
    assert pages.dialogs == []
