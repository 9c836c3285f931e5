"""The routing preview (issue 16): for each waiting conversation, where it waits, where it would wait once a draft is
saved and where a new one like it would go, with sentences that count them exactly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain import routing as policy
from chalicelib.domain.model import Conversation, PageContext, VisitorInfo
from chalicelib.services.routing_preview import preview
from tests.unit.fakes import FakeClock

NOW = FakeClock().now()


def config(groups: list[tuple[str, str]], rules: list[dict[str, Any]]) -> policy.RoutingConfig:
    return policy.config_from_json({"groups": [{"id": g, "name": n} for g, n in groups], "rules": rules})


def waiting(n: int, queue: str, rule: str, url: str = "", name: str = "") -> Conversation:
    return Conversation(tenant="demo", id=f"c{n}", visitor_id=f"v{n}", created_at=NOW + timedelta(seconds=n),
                        queue=queue, rule=rule, page=PageContext(url=url) if url else None,
                        visitor=VisitorInfo(name=name))


CURRENT = config([("sales", "Sales"), ("help", "Help")],
                 [{"id": "shop", "groups": ["sales"], "match": {"url_contains": "/shop"}},
                  {"id": "rest", "groups": ["help"]}])


def test_removing_a_group_moves_its_conversations_and_counts_them_by_where_they_go() -> None:
    draft = config([("help", "Help"), ("support", "Support")],
                   [{"id": "shop", "groups": ["support"], "match": {"url_contains": "/shop"}},
                    {"id": "rest", "groups": ["help"]}])
    queue = [waiting(3, "sales", "shop", "https://b.example/shop/1", "Zoé"), waiting(1, "sales", "shop"),
             waiting(2, "help", "rest"), waiting(4, "sales", "shop")]

    report = preview(CURRENT, draft, queue)

    assert [(r["conversation_id"], r["group"]["id"], r["after"]["id"]) for r in report["waiting"]] == [
        ("c1", "sales", "support"), ("c2", "help", "help"), ("c3", "sales", "support"), ("c4", "sales", "support")]
    assert report["waiting"][2]["visitor_name"] == "Zoé"
    assert report["waiting"][2]["after"] == {"id": "support", "name": "Support"}
    assert report["moving"] == 3
    assert report["summary"] == [
        "3 waiting conversations would move from Sales to Support (Support is a new group with no agents yet: they "
        "would wait there until an admin adds agents to it on the Agents page)."]


def test_a_rule_retargeted_to_a_kept_group_moves_nothing_but_says_where_new_ones_go() -> None:
    draft = config([("sales", "Sales"), ("help", "Help")],
                   [{"id": "shop", "groups": ["help"], "match": {"url_contains": "/shop"}},
                    {"id": "rest", "groups": ["help"]}])
    queue = [waiting(1, "sales", "shop", "https://b.example/shop/1"), waiting(2, "sales", "shop",
                                                                              "https://b.example/shop/2"),
             waiting(3, "help", "rest", "https://b.example/faq")]

    report = preview(CURRENT, draft, queue)

    assert report["moving"] == 0
    assert [r["new_route"]["id"] for r in report["waiting"]] == ["help", "help", "help"]
    assert report["summary"] == [
        "No waiting conversation would move (3 waiting).",
        "2 waiting conversations would stay in Sales (a waiting conversation keeps its group); new ones like them "
        "would go to Help."]


def test_a_conversation_no_rule_of_the_draft_takes_is_said_so() -> None:
    draft = config([("sales", "Sales"), ("help", "Help")],
                   [{"id": "shop", "groups": ["sales"], "match": {"url_contains": "/shop"}}])
    report = preview(CURRENT, draft, [waiting(1, "help", "rest", "https://b.example/faq")])
    assert report["waiting"][0]["new_route"] is None and report["waiting"][0]["after"]["id"] == "help"
    assert report["summary"] == [
        "No waiting conversation would move (1 waiting).",
        "1 waiting conversation would stay in Help (a waiting conversation keeps its group); no rule would take a new "
        "one like it."]


def test_moves_to_a_group_that_exists_name_no_missing_agents_and_nothing_waiting_is_said_plainly() -> None:
    draft = config([("help", "Help")], [{"id": "rest", "groups": ["help"]}])
    report = preview(CURRENT, draft, [waiting(1, "sales", "shop", "https://b.example/shop/1")])
    assert report["summary"] == ["1 waiting conversation would move from Sales to Help."]
    assert preview(CURRENT, draft, [])["summary"] == [
        "No conversation is waiting now: the change applies to the conversations that start after it."]
