"""The console's Routing page (issue 16) in a real browser against the local stack, in one journey: Ada moves a rule
up from the keyboard and the preview says the waiting conversation stays where it is while new ones would go
elsewhere; removing a group a rule still sends to is refused, naming the rule; she retargets the rule, removes the
group, and the preview names the waiting conversation that would move; a bad threshold is refused at its input; she
saves and the conversation waits in its new group. Sam reads the page but cannot change it, nor save through the
API. The page is axe-clean."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Pages, axe_violations, connect_desk, expect_refused_at, login, rest, rest_status
from tests.e2e.test_supervisor_waiting import start_chat

WAIT = 10_000  # ms
StartStack = Callable[..., str]
ROUTING = {
    "fairness": "longest_idle",
    "skills": [],
    "groups": [{"id": "sales", "name": "Sales", "threshold": 10}, {"id": "help", "name": "Help", "threshold": 10}],
    "rules": [{"id": "shop", "name": "Shop pages", "groups": ["sales"], "match": {"url_contains": "/shop"}},
              {"id": "rest", "name": "Everything else", "groups": ["help"]}],
}


def open_routing(desk: Page) -> Page:
    """Administration, then its Routing page, from the keyboard."""
    for test_id in ("admin-tab", "admin-page-routing"):
        control = desk.get_by_test_id(test_id)
        expect(control).to_be_visible(timeout=WAIT)
        control.focus()
        desk.keyboard.press("Enter")
    expect(desk.get_by_test_id("routing-page")).to_have_attribute("data-state", "loaded", timeout=WAIT)
    return desk


def test_ada_previews_what_a_routing_change_does_to_a_waiting_conversation_and_saves_it_sam_reads_only(
        start_stack: StartStack, pages: Pages) -> None:
    url = start_stack()
    admin = login(url, "ada")["id_token"]
    rest(url, "PUT", "/tenants/demo/routing", ROUTING, token=admin)
    with ExitStack() as stack:
        waiting = start_chat(stack, url, 1, f"{url}/shop/cart", "Noor")  # nobody online: it waits in Sales
        desk = open_routing(connect_desk(pages.new(), url, "ada"))
        preview = desk.get_by_test_id("routing-preview")
        expect(preview).to_contain_text("No change yet")
        assert axe_violations(desk, "#admin-view") == []

        # "Everything else" moved above "Shop pages" from the keyboard; the focus stays on the moved rule.
        desk.get_by_test_id("rt-rule-1-up").focus()
        desk.keyboard.press("Enter")
        expect(desk.get_by_test_id("rt-rule-0").locator("legend")).to_have_text("Rule 1: Everything else")
        expect(desk.get_by_test_id("rt-rule-0-down")).to_be_focused()
        expect(preview).to_contain_text("No waiting conversation would move (1 waiting).", timeout=WAIT)
        expect(preview).to_contain_text("1 waiting conversation would stay in Sales (a waiting conversation keeps "
                                        "its group); new ones like it would go to Help.")

        # Sales cannot go while "Shop pages" sends to it: the refusal names the rule, at the button, focused.
        desk.get_by_test_id("rt-groups-0-remove").click()
        refusal = desk.get_by_test_id("rt-groups-0-error")
        expect(refusal).to_have_text('Not removed: the rule "Shop pages" sends conversations to it; change it '
                                     "first.")
        expect(desk.get_by_test_id("rt-groups-0-remove")).to_be_focused()

        # Shop pages now go to Help and Sales is removed: the waiting conversation would move, and is named.
        desk.get_by_test_id("rt-rules-1-groups-0").select_option("help")
        desk.get_by_test_id("rt-groups-0-remove").click()
        expect(desk.get_by_test_id("rt-groups")).not_to_contain_text("Sales")
        expect(preview).to_contain_text("1 waiting conversation would move from Sales to Help.", timeout=WAIT)
        moving = desk.get_by_test_id(f"routing-preview-{waiting}")
        expect(moving).to_contain_text("Noor")
        expect(moving).to_contain_text("Sales → Help")
        assert axe_violations(desk, "#admin-view") == []

        # A bad threshold: refused by the server, shown at its input, which gets the focus; nothing saved.
        threshold = desk.get_by_test_id("rt-groups-0-threshold")
        threshold.fill("-1")
        desk.get_by_test_id("routing-save").click()
        expect_refused_at(desk, "rt-groups-0-threshold", "from 0 to 100000")
        assert [g["id"] for g in rest(url, "GET", "/tenants/demo/routing", token=admin)["groups"]] == ["sales", "help"]

        threshold.fill("12")
        desk.get_by_test_id("routing-save").click()
        expect(desk.get_by_test_id("routing-outcome")).to_have_text("Routing saved.", timeout=WAIT)
        stored = rest(url, "GET", "/tenants/demo/routing", token=admin)
        assert [(g["id"], g["threshold"]) for g in stored["groups"]] == [("help", 12)]
        assert [(r["id"], r["groups"]) for r in stored["rules"]] == [("rest", ["help"]), ("shop", ["help"])]
        rows = rest(url, "GET", "/tenants/demo/waiting", token=admin)["waiting"]
        assert [(r["conversation_id"], r["group"]) for r in rows] == [(waiting, "help")]
        expect(preview).to_contain_text("No change yet")

    # Sam, a supervisor, reads the page: every control disabled, no Save, and the API refuses his PUT.
    sam = open_routing(connect_desk(pages.new(), url, "sam"))
    expect(sam.get_by_test_id("admin-read-only")).to_be_visible()
    expect(sam.get_by_test_id("rt-groups-0-name")).to_have_value("Help")
    expect(sam.get_by_test_id("rt-groups-0-name")).to_be_disabled()
    expect(sam.get_by_test_id("rt-rule-1-up")).to_be_disabled()
    expect(sam.get_by_test_id("routing-save")).to_have_count(0)
    sam_token: str = login(url, "sam")["id_token"]
    assert rest_status(url, "PUT", "/tenants/demo/routing", ROUTING, token=sam_token)[0] == 403
    assert axe_violations(sam, "#admin-view") == []
    assert pages.dialogs == []
