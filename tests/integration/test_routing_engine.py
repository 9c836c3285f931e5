"""The routing engine against moto's server: thresholds and cascade (ROUTE-3, ROUTE-4), synchronous groups, skill
levels (ROUTE-1), fairness (ROUTE-2, ROUTE-6), media priority and exclusivity (CHAT-12, ROUTE-7), both directions,
stuck reasons (ASYNC-19), and the re-index after an admin changes the configuration."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.errors import Unavailable
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    Principal,
    PrincipalKind,
    Role,
)
from chalicelib.domain.routing import Channel, Group, RoutingContext, SkillNeed
from chalicelib.ports import Deps
from chalicelib.services import agents as agent_service
from chalicelib.services import conversations, routing, routing_admin, supervision, timers
from chalicelib.services.conversations import ChatRequest

EPOCH = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def deps() -> Deps:
    return bootstrap.container().deps


def admin(tenant: str) -> Principal:
    return Principal(tenant=tenant, id="boss", kind=PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))


def configure(tenant: str, groups: list[dict[str, Any]], rules: list[dict[str, Any]], **extra: Any) -> None:
    routing_admin.replace_routing_config(deps(), admin(tenant), {"groups": groups, "rules": rules, **extra})


def hire(tenant: str, agent_id: str, *, groups: tuple[str, ...] = ("default",), idle_minutes: int = 0,
         online: bool = True, **kw: Any) -> Agent:
    """An agent idle since EPOCH + idle_minutes (smaller = idle longer)."""
    agent = Agent(tenant=tenant, id=agent_id, name=agent_id.upper(), queues=groups,
                  status=AgentStatus.AVAILABLE if online else AgentStatus.OFFLINE,
                  idle_since=EPOCH + timedelta(minutes=idle_minutes), **kw)
    deps().agents.put(agent)
    return agent


def start(tenant: str, visitor: str, **request: Any) -> Conversation:
    who = Principal(tenant=tenant, id=visitor, kind=PrincipalKind.VISITOR)
    return conversations.start_conversation(deps(), who, None, ChatRequest(consent=True, **request))


def status(tenant: str, agent_id: str, wanted: str) -> Agent:
    return agent_service.set_status(deps(), Principal(tenant=tenant, id=agent_id, kind=PrincipalKind.AGENT), wanted)


def stored(tenant: str, conversation_id: str) -> Conversation:
    found = deps().conversations.get(tenant, conversation_id)
    assert found is not None
    return found


def test_cascade_fills_group_1_then_group_2_and_the_next_visitor_is_not_engaged(tenant: str) -> None:
    configure(tenant, [{"id": "g1", "threshold": 3}, {"id": "g2", "threshold": 2}],
              [{"id": "all", "groups": ["g1", "g2"]}])
    hire(tenant, "a1", groups=("g1",), online=False, capacity=1)
    placed = [start(tenant, f"v{i}") for i in range(5)]
    assert [c.queue for c in placed] == ["g1", "g1", "g1", "g2", "g2"]
    assert all(c.status is ConversationStatus.WAITING and c.queue_shard is not None for c in placed)
    assert routing.availability(deps(), tenant, RoutingContext()) == routing.Availability(False, "full", True)

    with pytest.raises(Unavailable):
        start(tenant, "v5")
    assert deps().conversations.open_for_visitor(tenant, "v5") == []  # nothing left open for them
    counts = deps().routing.counts(tenant, [Group("g1", threshold=3), Group("g2", threshold=2)])
    assert (counts["g1"].waiting, counts["g2"].waiting) == (3, 2)

    status(tenant, "a1", "available")  # pulls the oldest of g1 (ROUTE-5): one place frees
    assert stored(tenant, placed[0].id).status is ConversationStatus.OFFERED
    assert [stored(tenant, c.id).status for c in placed[1:]] == [ConversationStatus.WAITING] * 4
    assert routing.availability(deps(), tenant, RoutingContext()).available is True
    assert start(tenant, "v6").queue == "g1"


def test_a_synchronous_group_engages_only_when_an_agent_can_answer_now(tenant: str) -> None:
    configure(tenant, [{"id": "live", "threshold": 0}], [{"id": "all", "groups": ["live"]}])
    hire(tenant, "a1", groups=("live",), online=False, capacity=1)
    assert routing.availability(deps(), tenant, RoutingContext()) == routing.Availability(False, "full", False)
    with pytest.raises(Unavailable):
        start(tenant, "v1")

    status(tenant, "a1", "available")
    first = start(tenant, "v2")
    assert first.status is ConversationStatus.OFFERED and first.offer is not None and first.offer.agent_id == "a1"
    assert first.queue_shard is None  # never queued
    with pytest.raises(Unavailable):  # a1 is full now
        start(tenant, "v3")


def test_no_rule_means_no_chat(tenant: str) -> None:
    configure(tenant, [{"id": "sales"}], [{"id": "sales", "groups": ["sales"], "match": {"queue": "sales"}}])
    assert routing.availability(deps(), tenant, RoutingContext(queue="support")) == \
        routing.Availability(False, "no_rule")
    with pytest.raises(Unavailable):
        start(tenant, "v1", queue="support")
    assert start(tenant, "v2", queue="sales").queue == "sales"


def test_a_required_skill_level_picks_the_agent_and_explains_why_a_conversation_is_stuck(tenant: str) -> None:
    configure(tenant, [{"id": "billing"}],
              [{"id": "invoices", "name": "Invoices", "groups": ["billing"], "match": {"url_contains": "/invoice"},
                "skill": {"skill": "billing", "min_level": 3}},
               {"id": "rest", "groups": ["billing"]}], skills=["billing"])
    hire(tenant, "novice", groups=("billing",), idle_minutes=0, skills={"billing": 2}, capacity=1)
    hire(tenant, "expert", groups=("billing",), idle_minutes=5, skills={"billing": 4}, capacity=1)

    first = start(tenant, "v1", page={"url": "https://shop.example/invoice/12"})
    assert first.skill == ("billing", 3) and first.rule == "invoices"
    assert first.offer is not None and first.offer.agent_id == "expert"  # the novice idled longer but lacks level

    waiting = start(tenant, "v2", page={"url": "https://shop.example/invoice/13"})
    assert waiting.status is ConversationStatus.WAITING
    report = supervision.waiting_report(deps(), admin(tenant))
    row = next(r for r in report["waiting"] if r["conversation_id"] == waiting.id)
    assert (row["group"], row["rule"], row["rule_name"], row["skill"]) == \
        ("billing", "invoices", "Invoices", {"skill": "billing", "min_level": 3})
    assert row["stuck"]["reason"] == "all_at_capacity"

    status(tenant, "expert", "offline")
    report = supervision.waiting_report(deps(), admin(tenant))
    assert report["waiting"][0]["stuck"] == {"reason": "skill_level_missing",
                                             "text": "No agent has the required skill level"}
    status(tenant, "novice", "offline")
    report = supervision.waiting_report(deps(), admin(tenant))
    assert report["waiting"][0]["stuck"]["reason"] == "no_eligible_agent_online"
    assert report["groups"] == [{"id": "billing", "name": "billing", "threshold": 100, "waiting": 1}]

    plain = start(tenant, "v3")  # no skill asked: the novice can take it when back
    status(tenant, "novice", "available")
    assert stored(tenant, plain.id).status is ConversationStatus.OFFERED
    assert stored(tenant, waiting.id).status is ConversationStatus.WAITING  # still needs level 3


@pytest.mark.parametrize(("fairness", "expected"), [
    ("longest_idle", ["first", "idle", "busy", "skilled"]),
    ("least_loaded", ["first", "idle", "skilled", "busy"]),
    ("highest_skill", ["first", "skilled", "busy", "idle"]),
])
def test_each_fairness_mode_orders_the_ready_list(tenant: str, fairness: str, expected: list[str]) -> None:
    configure(tenant, [{"id": "default"}], [{"id": "all", "groups": ["default"]}], skills=["wine"],
              fairness=fairness)
    hire(tenant, "idle", idle_minutes=0, skills={"wine": 2})
    hire(tenant, "busy", idle_minutes=1, active=3, skills={"wine": 3})
    hire(tenant, "skilled", idle_minutes=2, active=1, skills={"wine": 5})
    hire(tenant, "first", idle_minutes=9, active=2, route_first=True, skills={"wine": 1})  # ROUTE-6 wins
    need = SkillNeed("wine", 1)
    assert deps().routing.ready(tenant, Group("default"), Channel.CHAT, need, 10) == expected
    if fairness != "highest_skill":
        assert deps().routing.ready(tenant, Group("default"), Channel.CHAT, None, 10) == expected
    assert deps().routing.ready(tenant, Group("default"), Channel.CHAT, SkillNeed("wine", 3), 10) == \
        [a for a in expected if a in ("busy", "skilled")]


def test_an_agent_who_frees_capacity_gets_a_call_before_a_chat_before_an_email(tenant: str) -> None:
    configure(tenant, [{"id": "default"}], [{"id": "all", "groups": ["default"]}])
    group = Group("default")
    for n, medium in enumerate(["email", "chat", "inbound_call", "outbound_call", "chat"]):
        c = Conversation(tenant=tenant, id=f"c{n}-{medium}", visitor_id=f"v{n}", created_at=EPOCH + timedelta(
            seconds=n), medium=medium, queue="default")
        deps().conversations.create(c)
        assert deps().routing.enqueue(c, group) is not None
    hire(tenant, "a1", online=False, capacity=2, call_capacity=1, email_capacity=1, takes_calls=True,
         own_line="+15550100001")
    taken = [c.id for c in routing.pull(deps(), deps().agents.set_status(tenant, "a1", AgentStatus.AVAILABLE, EPOCH))]
    # The inbound call first; on a call, no chat or email (ROUTE-7).
    assert taken == ["c2-inbound_call"]
    held = deps().agents.get(tenant, "a1")
    assert held is not None and (held.call_active, held.active) == (1, 0)

    deps().agents.put(replace(held, multi_channel=True))  # allowed to mix: chats (oldest first), then the email
    more = routing.pull(deps(), deps().agents.get(tenant, "a1"))  # type: ignore[arg-type]
    assert [c.id for c in more] == ["c1-chat", "c4-chat", "c0-email"]
    assert stored(tenant, "c3-outbound_call").status is ConversationStatus.WAITING  # call capacity 1 is used


def test_a_higher_priority_rule_is_served_first_then_arrival_order(tenant: str) -> None:
    configure(tenant, [{"id": "default"}], [
        {"id": "vip", "groups": ["default"], "priority": 5, "match": {"custom": {"plan": "gold"}}},
        {"id": "all", "groups": ["default"]}])
    hire(tenant, "a1", online=False, capacity=3)
    plain1 = start(tenant, "v1")
    gold = start(tenant, "v2", custom={"plan": "gold"})
    plain2 = start(tenant, "v3")
    assert (gold.rule, gold.priority) == ("vip", 5)
    offered = routing.pull(deps(), deps().agents.set_status(tenant, "a1", AgentStatus.AVAILABLE, EPOCH))
    assert [c.id for c in offered] == [gold.id, plain1.id, plain2.id]


def test_equal_distribution_balances_waiting_conversations_across_groups(tenant: str) -> None:
    configure(tenant, [{"id": "paris"}, {"id": "lyon"}], [{"id": "all", "groups": ["paris", "lyon"], "mode": "equal"}])
    placed = [start(tenant, f"v{i}").queue for i in range(5)]
    assert placed == ["paris", "lyon", "paris", "lyon", "paris"]


def test_after_a_routing_change_every_member_is_indexed_the_new_way(tenant: str) -> None:
    configure(tenant, [{"id": "default"}], [{"id": "all", "groups": ["default"]}])
    for n in range(6):
        hire(tenant, f"a{n}", idle_minutes=n)
    configure(tenant, [{"id": "default", "shards": 4}], [{"id": "all", "groups": ["default"]}])
    spread = {key.split("|")[0] for n in range(6) for key in deps().agents.get(tenant, f"a{n}").index_keys}  # type: ignore[union-attr]
    assert len(spread) > 1  # the agents now sit in several shards of the ready list
    assert deps().routing.ready(tenant, Group("default", shards=4), Channel.CHAT, None, 10) == \
        [f"a{n}" for n in range(6)]  # read across shards, still longest idle first
    assert routing_admin.reindex(deps(), tenant, {"groups": ["default"]}) is False  # the timer's pass: no change


def test_the_timer_pass_repairs_an_index_written_with_an_older_configuration(tenant: str) -> None:
    """A warm container with the old configuration (cached up to 5 s) may index agents the old way; the timer
    armed by the change puts them right."""
    configure(tenant, [{"id": "default", "shards": 4}], [{"id": "all", "groups": ["default"]}])
    for n in range(8):
        hire(tenant, f"a{n}", idle_minutes=n)
    stale = deps().tenants.get(tenant)
    assert stale is not None
    one_shard = routing_admin.policy.config_from_json(
        {"groups": [{"id": "default", "shards": 1}], "rules": [{"id": "all", "groups": ["default"]}]})
    deps().tenants.put(replace(stale, routing=one_shard))  # changed without the re-index, as a stale writer would
    seen = deps().routing.ready(tenant, Group("default"), Channel.CHAT, None, 10)
    assert len(seen) < 8  # the agents of shards 1 to 3 are not where the new layout reads

    body = json.dumps({"kind": routing_admin.REINDEX, "tenant": tenant, "groups": ["default"]})
    assert timers.fire(deps(), body) is True
    assert deps().routing.ready(tenant, Group("default"), Channel.CHAT, None, 10) == [f"a{n}" for n in range(8)]
    assert timers.fire(deps(), body) is False  # delivered twice: nothing more to do


def test_a_conversation_declined_three_times_says_so_in_the_stuck_list(tenant: str) -> None:
    """Issue 15's stuck list: each offer of the chat is refused (the agent goes Away); from the third refusal the
    reason says how often it was declined."""
    from chalicelib.services import offers

    configure(tenant, [{"id": "sales", "threshold": 10}], [{"id": "sales", "groups": ["sales"]}])
    hire(tenant, "ann", groups=("sales",), capacity=1)
    chat = start(tenant, "v1")
    ann = Principal(tenant=tenant, id="ann", kind=PrincipalKind.AGENT)
    texts = []
    for refusals in (1, 2, 3):
        offered = stored(tenant, chat.id)
        assert offered.status is ConversationStatus.OFFERED and offered.offer is not None
        offers.reject(deps(), ann, chat.id, offered.offer.id)  # Ann goes Away; the chat waits again
        row = next(r for r in supervision.waiting_report(deps(), admin(tenant))["waiting"]
                   if r["conversation_id"] == chat.id)
        assert (row["declined"], row["stuck"]["reason"]) == (refusals, "no_eligible_agent_online")
        texts.append(row["stuck"]["text"])
        status(tenant, "ann", "available")  # offered to her again at once
    assert texts == ["No eligible agent online", "No eligible agent online",
                     "No eligible agent online (offered and declined 3 times)"]
    assert supervision.stuck_of(None, 4) == {"reason": "offers_declined", "text": "Offered and declined 4 times"}
