"""Table-driven tests of the routing engine's pure policy (ROUTE-1 to ROUTE-7, CHAT-12)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.routing import (
    DEFAULT_CAPACITY,
    AgentRouting,
    Channel,
    Fairness,
    Group,
    GroupState,
    Match,
    Medium,
    Mode,
    Placement,
    Route,
    RoutingConfig,
    RoutingContext,
    Rule,
    SkillNeed,
    StuckReason,
    Waiting,
    can_take,
    config_from_json,
    config_to_json,
    eligible,
    matches,
    next_for,
    place,
    rank,
    route_for,
    why_stuck,
)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def agent(agent_id: str = "a", *, groups: tuple[str, ...] = ("g1",), **kw: Any) -> AgentRouting:
    """An agent of the given groups who also handles emails (email capacity is opt-in, 0 by default)."""
    kw.setdefault("available", True)
    kw.setdefault("capacity", {Channel.CHAT: 6, Channel.CALL: 1, Channel.EMAIL: 10})
    return AgentRouting(id=agent_id, groups_on=frozenset(groups), **kw)


# --- route_for / matches -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("match", "context", "expected"), [
    pytest.param(Match(), RoutingContext(), True, id="empty-match-takes-everything"),
    pytest.param(Match(queue="sales"), RoutingContext(queue="sales"), True, id="queue-equal"),
    pytest.param(Match(queue="sales"), RoutingContext(queue="support"), False, id="queue-different"),
    pytest.param(Match(channel=Channel.CALL), RoutingContext(channel=Channel.CALL), True, id="channel-equal"),
    pytest.param(Match(channel=Channel.CALL), RoutingContext(channel=Channel.CHAT), False, id="channel-different"),
    pytest.param(Match(url_contains="/pricing"), RoutingContext(url="https://x.test/pricing?a=1"), True,
                 id="url-contains"),
    pytest.param(Match(url_contains="/PRICING"), RoutingContext(url="https://x.test/Pricing"), True,
                 id="url-contains-case-insensitive"),
    pytest.param(Match(url_contains="/pricing"), RoutingContext(url="https://x.test/about"), False,
                 id="url-does-not-contain"),
    pytest.param(Match(url_contains="/pricing"), RoutingContext(url=""), False, id="url-empty"),
    pytest.param(Match(custom={"plan": "gold"}), RoutingContext(custom={"plan": "gold", "lang": "fr"}), True,
                 id="custom-subset"),
    pytest.param(Match(custom={"plan": "gold"}), RoutingContext(custom={"plan": "silver"}), False,
                 id="custom-other-value"),
    pytest.param(Match(custom={"plan": "gold"}), RoutingContext(), False, id="custom-key-absent"),
    pytest.param(Match(custom={"plan": "gold", "lang": "fr"}), RoutingContext(custom={"plan": "gold"}), False,
                 id="custom-every-key-must-hold"),
    pytest.param(Match(queue="sales", channel=Channel.CHAT, url_contains="shop", custom={"vip": "yes"}),
                 RoutingContext(queue="sales", channel=Channel.CHAT, url="https://SHOP.test", custom={"vip": "yes"}),
                 True, id="all-criteria-hold"),
    pytest.param(Match(queue="sales", channel=Channel.CHAT, url_contains="shop", custom={"vip": "yes"}),
                 RoutingContext(queue="sales", channel=Channel.CALL, url="https://SHOP.test", custom={"vip": "yes"}),
                 False, id="one-criterion-fails"),
])
def test_matches(match: Match, context: RoutingContext, expected: bool) -> None:
    assert matches(match, context) is expected


GROUPS = {g: Group(g, g.upper()) for g in ("g1", "g2", "g3")}
RULES_CONFIG = RoutingConfig(
    groups=GROUPS,
    rules=(
        Rule("vip", ("g1",), match=Match(custom={"vip": "yes"}), skill=SkillNeed("french", 3), priority=5),
        Rule("calls", ("g2",), match=Match(channel=Channel.CALL)),
        Rule("pricing", ("g2", "g1"), match=Match(url_contains="/pricing")),
        Rule("sales", ("g3", "unknown", "g1"), match=Match(queue="sales")),
    ),
)


@pytest.mark.parametrize(("context", "rule_id", "groups", "skill", "priority"), [
    pytest.param(RoutingContext(custom={"vip": "yes"}, channel=Channel.CALL, queue="sales"), "vip", ("g1",),
                 SkillNeed("french", 3), 5, id="first-matching-rule-wins"),
    pytest.param(RoutingContext(channel=Channel.CALL, url="/pricing"), "calls", ("g2",), None, 0,
                 id="channel-rule-before-url-rule"),
    pytest.param(RoutingContext(url="https://x.test/PRICING", queue="sales"), "pricing", ("g2", "g1"), None, 0,
                 id="url-rule-case-insensitive-keeps-group-order"),
    pytest.param(RoutingContext(queue="sales"), "sales", ("g3", "g1"), None, 0,
                 id="queue-rule-unknown-group-skipped"),
    pytest.param(RoutingContext(queue="sales", skill=SkillNeed("german", 2)), "sales", ("g3", "g1"),
                 SkillNeed("german", 2), 0, id="context-skill-when-rule-has-none"),
    pytest.param(RoutingContext(custom={"vip": "yes"}, skill=SkillNeed("german", 2)), "vip", ("g1",),
                 SkillNeed("french", 3), 5, id="rule-skill-wins-over-context"),
])
def test_route_for(context: RoutingContext, rule_id: str, groups: tuple[str, ...], skill: SkillNeed | None,
                   priority: int) -> None:
    route = route_for(RULES_CONFIG, context)
    assert route is not None
    assert route.rule.id == rule_id
    assert tuple(g.id for g in route.groups) == groups
    assert route.skill == skill
    assert route.priority == priority


@pytest.mark.parametrize("context", [
    pytest.param(RoutingContext(), id="default-context"),
    pytest.param(RoutingContext(queue="support", url="https://x.test/about", custom={"vip": "no"}),
                 id="nothing-matches"),
])
def test_route_for_no_match_is_none(context: RoutingContext) -> None:
    assert route_for(RULES_CONFIG, context) is None


def test_default_config_routes_everything_to_default_group() -> None:
    route = route_for(RoutingConfig(), RoutingContext(queue="anything", channel=Channel.EMAIL))
    assert route is not None and [g.id for g in route.groups] == ["default"]


# --- place ---------------------------------------------------------------------------------------------------------


def route_of(mode: Mode, *groups: Group) -> Route:
    config = RoutingConfig(groups={g.id: g for g in groups}, rules=(Rule("r", tuple(g.id for g in groups), mode=mode),))
    route = route_for(config, RoutingContext())
    assert route is not None
    return route


def st(waiting: int, free: bool = False) -> GroupState:
    return GroupState(waiting=waiting, agent_free_now=free)


@pytest.mark.parametrize(("mode", "thresholds", "states", "expected"), [
    # cascade (ROUTE-3): fill group 1, then group 2
    pytest.param(Mode.CASCADE, (3, 3), {}, Placement("g1", False), id="cascade-empty-goes-to-group-1"),
    pytest.param(Mode.CASCADE, (3, 3), {"g1": st(2)}, Placement("g1", False), id="cascade-group-1-has-room"),
    pytest.param(Mode.CASCADE, (3, 3), {"g1": st(3)}, Placement("g2", False), id="cascade-group-1-full-overflows"),
    pytest.param(Mode.CASCADE, (3, 3), {"g1": st(0), "g2": st(0, True)}, Placement("g1", False),
                 id="cascade-fills-group-1-even-if-group-2-has-agent-free"),
    pytest.param(Mode.CASCADE, (3, 3), {"g1": st(3, True)}, Placement("g1", True),
                 id="cascade-full-group-with-agent-free-now-takes-it"),
    pytest.param(Mode.CASCADE, (3, 3), {"g1": st(3), "g2": st(3)}, None, id="cascade-all-full-none"),
    pytest.param(Mode.CASCADE, (3, 3), {"g1": st(5), "g2": st(2, True)}, Placement("g2", True),
                 id="cascade-offer-now-reported"),
    # equal distribution
    pytest.param(Mode.EQUAL, (10, 10), {"g1": st(4), "g2": st(2)}, Placement("g2", False),
                 id="equal-fewest-waiting"),
    pytest.param(Mode.EQUAL, (10, 10), {"g1": st(2), "g2": st(2)}, Placement("g1", False),
                 id="equal-tie-list-order"),
    pytest.param(Mode.EQUAL, (10, 10), {"g1": st(0), "g2": st(5, True)}, Placement("g2", True),
                 id="equal-agent-free-now-preferred-over-fewest-waiting"),
    pytest.param(Mode.EQUAL, (10, 10, 10), {"g1": st(3, True), "g2": st(1, True), "g3": st(0)},
                 Placement("g2", True), id="equal-among-free-now-fewest-waiting"),
    pytest.param(Mode.EQUAL, (10, 10), {"g1": st(1, True), "g2": st(1, True)}, Placement("g1", True),
                 id="equal-free-now-tie-list-order"),
    pytest.param(Mode.EQUAL, (2, 10), {"g1": st(2), "g2": st(5)}, Placement("g2", False),
                 id="equal-skips-full-group"),
    pytest.param(Mode.EQUAL, (2, 2), {"g1": st(2), "g2": st(2)}, None, id="equal-all-full-none"),
    # thresholds (ROUTE-4): 0 = synchronous, N places
    pytest.param(Mode.CASCADE, (0,), {"g1": st(0)}, None, id="threshold-0-no-agent-free-none"),
    pytest.param(Mode.CASCADE, (0,), {}, None, id="threshold-0-no-state-none"),
    pytest.param(Mode.CASCADE, (0,), {"g1": st(0, True)}, Placement("g1", True), id="threshold-0-agent-free-now"),
    pytest.param(Mode.CASCADE, (0, 5), {"g1": st(0)}, Placement("g2", False),
                 id="threshold-0-group-skipped-in-cascade"),
    pytest.param(Mode.EQUAL, (0, 5), {"g1": st(0), "g2": st(4)}, Placement("g2", False),
                 id="threshold-0-group-skipped-in-equal"),
    pytest.param(Mode.CASCADE, (1,), {"g1": st(0)}, Placement("g1", False), id="threshold-1-one-place"),
    pytest.param(Mode.CASCADE, (1,), {"g1": st(1)}, None, id="threshold-1-taken"),
    pytest.param(Mode.CASCADE, (5,), {"g1": st(4)}, Placement("g1", False), id="threshold-n-last-place"),
    pytest.param(Mode.CASCADE, (5,), {"g1": st(5)}, None, id="threshold-n-full"),
])
def test_place(mode: Mode, thresholds: tuple[int, ...], states: dict[str, GroupState],
               expected: Placement | None) -> None:
    groups = [Group(f"g{i + 1}", threshold=t) for i, t in enumerate(thresholds)]
    assert place(route_of(mode, *groups), states) == expected


@pytest.mark.parametrize("mode", [Mode.CASCADE, Mode.EQUAL], ids=["cascade", "equal"])
def test_route_4_example_141st_visitor_is_not_engaged(mode: Mode) -> None:
    route = route_of(mode, Group("g1", threshold=100), Group("g2", threshold=40))
    waiting = {"g1": 0, "g2": 0}
    for visitor in range(1, 141):
        placement = place(route, {g: GroupState(w, agent_free_now=False) for g, w in waiting.items()})
        assert placement is not None, f"visitor {visitor} not engaged"
        assert placement.offer_now is False
        if mode is Mode.CASCADE:
            assert placement.group == ("g1" if visitor <= 100 else "g2")
        waiting[placement.group] += 1
    assert waiting == {"g1": 100, "g2": 40}
    assert place(route, {g: GroupState(w, agent_free_now=False) for g, w in waiting.items()}) is None


# --- can_take / eligible -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kw", "channel", "expected"), [
    pytest.param({}, Channel.CHAT, True, id="idle-takes-chat"),
    pytest.param({}, Channel.CALL, True, id="idle-takes-call"),
    pytest.param({}, Channel.EMAIL, True, id="idle-takes-email"),
    pytest.param({"capacity": dict(DEFAULT_CAPACITY)}, Channel.EMAIL, False, id="email-is-opt-in-by-default"),
    pytest.param({"capacity": dict(DEFAULT_CAPACITY)}, Channel.CHAT, True, id="default-chat-capacity"),
    pytest.param({"active": {Channel.CHAT: 5}}, Channel.CHAT, True, id="chat-5-of-6"),
    pytest.param({"active": {Channel.CHAT: 6}}, Channel.CHAT, False, id="chat-6-of-6-full"),
    pytest.param({"active": {Channel.CALL: 1}}, Channel.CALL, False, id="call-1-of-1-full"),
    pytest.param({"capacity": {Channel.CHAT: 2}, "active": {Channel.CHAT: 2}}, Channel.CHAT, False,
                 id="custom-chat-capacity-full"),
    pytest.param({"capacity": {Channel.CHAT: 2}}, Channel.CALL, False, id="channel-without-capacity"),
    pytest.param({"capacity": {Channel.CALL: 2}, "active": {Channel.CALL: 1}}, Channel.CALL, True,
                 id="second-call-if-capacity-2"),
    # exclusivity (ROUTE-7)
    pytest.param({"active": {Channel.CALL: 1}}, Channel.CHAT, False, id="on-call-no-chat"),
    pytest.param({"active": {Channel.CALL: 1}}, Channel.EMAIL, False, id="on-call-no-email"),
    pytest.param({"active": {Channel.CHAT: 1}}, Channel.CALL, False, id="on-chat-no-call"),
    pytest.param({"active": {Channel.EMAIL: 1}}, Channel.CALL, False, id="on-email-no-call"),
    pytest.param({"active": {Channel.CHAT: 1}}, Channel.EMAIL, True, id="chat-and-email-mix"),
    pytest.param({"active": {Channel.CALL: 0, Channel.CHAT: 0}}, Channel.CALL, True, id="zero-loads-not-busy"),
    pytest.param({"active": {Channel.CALL: 1}, "multi_channel": True}, Channel.CHAT, True,
                 id="multi-channel-on-call-takes-chat"),
    pytest.param({"active": {Channel.CHAT: 3}, "multi_channel": True}, Channel.CALL, True,
                 id="multi-channel-on-chat-takes-call"),
    pytest.param({"active": {Channel.CHAT: 6}, "multi_channel": True}, Channel.CHAT, False,
                 id="multi-channel-still-capped"),
    pytest.param({"available": False}, Channel.CHAT, False, id="unavailable"),
    pytest.param({"available": False, "multi_channel": True}, Channel.CALL, False, id="unavailable-multi-channel"),
])
def test_can_take(kw: dict[str, Any], channel: Channel, expected: bool) -> None:
    assert can_take(agent(**kw), channel) is expected


@pytest.mark.parametrize(("kw", "group", "channel", "need", "expected"), [
    pytest.param({}, "g1", Channel.CHAT, None, True, id="member-no-skill-needed"),
    pytest.param({"groups": ("g2",)}, "g1", Channel.CHAT, None, False, id="group-switched-off"),
    pytest.param({"groups": ()}, "g1", Channel.CHAT, None, False, id="no-group-on"),
    pytest.param({"available": False}, "g1", Channel.CHAT, None, False, id="unavailable"),
    pytest.param({"active": {Channel.CHAT: 6}}, "g1", Channel.CHAT, None, False, id="at-capacity"),
    pytest.param({"active": {Channel.CALL: 1}}, "g1", Channel.CHAT, None, False, id="exclusivity"),
    pytest.param({"skills": {"fr": 3}}, "g1", Channel.CHAT, SkillNeed("fr", 3), True, id="skill-level-exact"),
    pytest.param({"skills": {"fr": 5}}, "g1", Channel.CHAT, SkillNeed("fr", 3), True, id="skill-level-above"),
    pytest.param({"skills": {"fr": 2}}, "g1", Channel.CHAT, SkillNeed("fr", 3), False, id="skill-level-below"),
    pytest.param({"skills": {"de": 5}}, "g1", Channel.CHAT, SkillNeed("fr", 1), False, id="skill-absent"),
    pytest.param({}, "g1", Channel.CHAT, SkillNeed("fr"), False, id="no-skills-at-all"),
])
def test_eligible(kw: dict[str, Any], group: str, channel: Channel, need: SkillNeed | None, expected: bool) -> None:
    assert eligible(agent(**kw), group, channel, need) is expected


# --- fairness via rank() (ROUTE-2, ROUTE-6) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fairness", "need", "agents", "expected"), [
    pytest.param(Fairness.LONGEST_IDLE, None, [
        agent("a", idle_since=at(10)), agent("b", idle_since=at(1)), agent("c", idle_since=at(5)),
    ], ["b", "c", "a"], id="longest-idle"),
    pytest.param(Fairness.LONGEST_IDLE, None, [
        agent("b", idle_since=at(1)), agent("a", idle_since=at(1)),
    ], ["a", "b"], id="longest-idle-tie-by-id"),
    pytest.param(Fairness.LONGEST_IDLE, None, [
        agent("a", idle_since=at(1)), agent("b", idle_since=at(9), first=True), agent("c", idle_since=at(5)),
    ], ["b", "a", "c"], id="longest-idle-route-to-me-first"),
    pytest.param(Fairness.LEAST_LOADED, None, [
        agent("a", idle_since=at(1), active={Channel.CHAT: 3}),
        agent("b", idle_since=at(5), active={Channel.CHAT: 1}),
        agent("c", idle_since=at(2)),
    ], ["c", "b", "a"], id="least-loaded"),
    pytest.param(Fairness.LEAST_LOADED, None, [
        agent("a", idle_since=at(9), active={Channel.CHAT: 2}),
        agent("b", idle_since=at(3), active={Channel.CHAT: 2}),
        agent("c", idle_since=at(6), active={Channel.CHAT: 2}),
    ], ["b", "c", "a"], id="least-loaded-tie-longest-idle"),
    pytest.param(Fairness.LEAST_LOADED, None, [
        agent("a", active={Channel.CHAT: 1, Channel.EMAIL: 4}, idle_since=at(1)),
        agent("b", active={Channel.CHAT: 3}, idle_since=at(2)),
    ], ["b", "a"], id="least-loaded-counts-every-channel"),
    pytest.param(Fairness.LEAST_LOADED, None, [
        agent("a", idle_since=at(1)),
        agent("b", idle_since=at(2), active={Channel.CHAT: 5}, first=True),
    ], ["b", "a"], id="least-loaded-route-to-me-first"),
    pytest.param(Fairness.HIGHEST_SKILL, SkillNeed("fr", 2), [
        agent("a", idle_since=at(1), skills={"fr": 2}),
        agent("b", idle_since=at(5), skills={"fr": 5}),
        agent("c", idle_since=at(3), skills={"fr": 4}),
    ], ["b", "c", "a"], id="highest-skill"),
    pytest.param(Fairness.HIGHEST_SKILL, SkillNeed("fr", 2), [
        agent("a", idle_since=at(8), skills={"fr": 4}),
        agent("b", idle_since=at(2), skills={"fr": 4}),
        agent("c", idle_since=at(1), skills={"fr": 3}),
    ], ["b", "a", "c"], id="highest-skill-tie-longest-idle"),
    pytest.param(Fairness.HIGHEST_SKILL, SkillNeed("fr", 2), [
        agent("a", idle_since=at(1), skills={"fr": 5}),
        agent("b", idle_since=at(5), skills={"fr": 2}, first=True),
    ], ["b", "a"], id="highest-skill-route-to-me-first"),
    pytest.param(Fairness.HIGHEST_SKILL, None, [
        agent("a", idle_since=at(4), skills={"fr": 5}), agent("b", idle_since=at(2), skills={"fr": 1}),
    ], ["b", "a"], id="highest-skill-without-need-is-longest-idle"),
    pytest.param(Fairness.LONGEST_IDLE, None, [
        agent("a", idle_since=at(3), first=True), agent("b", idle_since=at(1), first=True),
        agent("c", idle_since=at(0)),
    ], ["b", "a", "c"], id="several-first-agents-ordered-by-mode"),
])
def test_rank_fairness(fairness: Fairness, need: SkillNeed | None, agents: list[AgentRouting],
                       expected: list[str]) -> None:
    assert [a.id for a in rank(agents, "g1", Channel.CHAT, need, fairness)] == expected


def test_rank_keeps_only_eligible_agents() -> None:
    agents = [
        agent("ok", idle_since=at(5), skills={"fr": 3}),
        agent("off", groups=("g2",), idle_since=at(0), skills={"fr": 3}),
        agent("away", available=False, idle_since=at(0), skills={"fr": 3}),
        agent("full", active={Channel.CHAT: 6}, idle_since=at(0), skills={"fr": 3}),
        agent("oncall", active={Channel.CALL: 1}, idle_since=at(0), skills={"fr": 3}),
        agent("weak", idle_since=at(0), skills={"fr": 1}),
    ]
    assert [a.id for a in rank(agents, "g1", Channel.CHAT, SkillNeed("fr", 2), Fairness.LONGEST_IDLE)] == ["ok"]


# --- next_for (CHAT-12, ROUTE-5) --------------------------------------------------------------------------------------


def w(cid: str, medium: Medium, arrived: int, *, group: str = "g1", priority: int = 0,
      skill: SkillNeed | None = None) -> Waiting:
    return Waiting(cid, group, medium, priority, at(arrived), skill)


@pytest.mark.parametrize(("kw", "heads", "expected"), [
    pytest.param({}, [w("e", Medium.EMAIL, 0), w("c", Medium.CHAT, 1), w("o", Medium.OUTBOUND_CALL, 2),
                      w("i", Medium.INBOUND_CALL, 3)], "i", id="inbound-call-first"),
    pytest.param({}, [w("e", Medium.EMAIL, 0), w("c", Medium.CHAT, 1), w("o", Medium.OUTBOUND_CALL, 2)], "o",
                 id="outbound-call-before-chat"),
    pytest.param({}, [w("e", Medium.EMAIL, 0), w("c", Medium.CHAT, 1)], "c", id="chat-before-email"),
    pytest.param({}, [w("e", Medium.EMAIL, 0)], "e", id="email-last"),
    pytest.param({}, [w("c1", Medium.CHAT, 0), w("c2", Medium.CHAT, 5, priority=3)], "c2",
                 id="priority-within-medium"),
    pytest.param({}, [w("c2", Medium.CHAT, 5, group="g2"), w("c1", Medium.CHAT, 2)], "c1",
                 id="arrival-order-across-groups"),
    pytest.param({}, [w("e2", Medium.EMAIL, 9), w("e1", Medium.EMAIL, 3)], "e1", id="arrival-order-same-group"),
    pytest.param({}, [w("c2", Medium.CHAT, 1, priority=9), w("i", Medium.INBOUND_CALL, 5)], "i",
                 id="medium-beats-priority"),
    pytest.param({}, [w("b", Medium.CHAT, 1), w("a", Medium.CHAT, 1)], "a", id="same-arrival-tie-by-id"),
    pytest.param({"active": {Channel.CHAT: 1}}, [w("i", Medium.INBOUND_CALL, 0), w("c", Medium.CHAT, 1)], "c",
                 id="on-chat-skips-call"),
    pytest.param({"active": {Channel.CALL: 1}}, [w("c", Medium.CHAT, 0), w("e", Medium.EMAIL, 1)], None,
                 id="on-call-skips-chat-and-email"),
    pytest.param({"active": {Channel.CHAT: 1}, "multi_channel": True},
                 [w("c", Medium.CHAT, 0), w("i", Medium.INBOUND_CALL, 1)], "i", id="multi-channel-gets-call"),
    pytest.param({"active": {Channel.CHAT: 6}}, [w("c", Medium.CHAT, 0), w("e", Medium.EMAIL, 1)], "e",
                 id="chat-full-gets-email"),
    pytest.param({"skills": {"fr": 1}},
                 [w("i", Medium.INBOUND_CALL, 0, skill=SkillNeed("fr", 2)), w("c", Medium.CHAT, 1)], "c",
                 id="skips-skill-level-missing"),
    pytest.param({"skills": {"fr": 2}},
                 [w("i", Medium.INBOUND_CALL, 0, skill=SkillNeed("fr", 2)), w("c", Medium.CHAT, 1)], "i",
                 id="skill-level-met"),
    pytest.param({}, [w("i", Medium.INBOUND_CALL, 0, group="g3"), w("c", Medium.CHAT, 1)], "c",
                 id="skips-group-switched-off"),
    pytest.param({"available": False}, [w("c", Medium.CHAT, 0)], None, id="unavailable-gets-nothing"),
    pytest.param({}, [], None, id="nothing-waiting"),
])
def test_next_for(kw: dict[str, Any], heads: list[Waiting], expected: str | None) -> None:
    chosen = next_for(agent(groups=("g1", "g2"), **kw), heads)
    assert (chosen.conversation_id if chosen else None) == expected


# --- why_stuck (ASYNC-19) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("agents", "channel", "need", "expected"), [
    pytest.param([], Channel.CHAT, None, StuckReason.NO_AGENT_ONLINE, id="nobody"),
    pytest.param([agent(available=False)], Channel.CHAT, None, StuckReason.NO_AGENT_ONLINE, id="member-offline"),
    pytest.param([agent(groups=("g2",))], Channel.CHAT, None, StuckReason.NO_AGENT_ONLINE, id="group-switched-off"),
    pytest.param([agent(skills={"fr": 1})], Channel.CHAT, SkillNeed("fr", 3), StuckReason.SKILL_MISSING,
                 id="skill-level-too-low"),
    pytest.param([agent()], Channel.CHAT, SkillNeed("fr"), StuckReason.SKILL_MISSING, id="skill-absent"),
    pytest.param([agent("a", active={Channel.CHAT: 6}), agent("b", active={Channel.CHAT: 6})], Channel.CHAT, None,
                 StuckReason.ALL_AT_CAPACITY, id="all-at-capacity"),
    pytest.param([agent(active={Channel.CALL: 1})], Channel.CHAT, None, StuckReason.ALL_AT_CAPACITY,
                 id="busy-on-other-channel"),
    pytest.param([agent("a", skills={"fr": 3}, active={Channel.CHAT: 6}), agent("b", skills={"fr": 1})],
                 Channel.CHAT, SkillNeed("fr", 2), StuckReason.ALL_AT_CAPACITY, id="skilled-ones-at-capacity"),
    pytest.param([agent("a", active={Channel.CHAT: 6}), agent("b", active={Channel.CHAT: 2})], Channel.CHAT, None,
                 None, id="someone-can-take-it"),
    pytest.param([agent(skills={"fr": 3})], Channel.CALL, SkillNeed("fr", 3), None, id="skilled-and-free"),
])
def test_why_stuck(agents: list[AgentRouting], channel: Channel, need: SkillNeed | None,
                   expected: StuckReason | None) -> None:
    assert why_stuck(agents, "g1", channel, need) == expected


# --- config_from_json / config_to_json -----------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "fairness": "highest_skill",
    "skills": ["french", "billing"],
    "groups": [
        {"id": "front", "name": "Front desk", "threshold": 100, "shards": 4},
        {"id": "back", "name": "Back office", "threshold": 0, "shards": 1},
    ],
    "rules": [
        {"id": "vip", "name": "VIP", "groups": ["back", "front"], "mode": "equal", "priority": 7,
         "skill": {"skill": "french", "min_level": 3},
         "match": {"queue": "sales", "channel": "chat", "url_contains": "/Pricing", "custom": {"plan": "gold"}}},
        {"id": "rest", "name": "Everything", "groups": ["front"], "mode": "cascade", "priority": 0,
         "skill": None, "match": {}},
    ],
}


def test_valid_config_round_trips() -> None:
    config = config_from_json(copy.deepcopy(VALID))
    assert config.fairness is Fairness.HIGHEST_SKILL
    assert config.groups["back"].threshold == 0 and config.groups["front"].shards == 4
    assert config.rules[0].mode is Mode.EQUAL and config.rules[0].skill == SkillNeed("french", 3)
    assert config.rules[0].match == Match("sales", Channel.CHAT, "/Pricing", {"plan": "gold"})
    assert config_to_json(config) == VALID
    assert config_from_json(config_to_json(config)) == config


def test_minimal_config_gets_defaults() -> None:
    config = config_from_json({"groups": [{"id": "g"}], "rules": [{"id": "r", "groups": ["g"]}]})
    assert config == RoutingConfig(groups={"g": Group("g", "g")}, rules=(Rule("r", ("g",), name="r"),))
    assert config_from_json(config_to_json(config)) == config


def test_default_config_round_trips() -> None:
    assert config_from_json(config_to_json(RoutingConfig())) == RoutingConfig()


def with_(path: str, value: Any) -> dict[str, Any]:
    """VALID with one field replaced (or removed, for value ...): path like "rules.0.skill.min_level"."""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is ...:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(("data", "field"), [
    pytest.param([], "body", id="body-not-object"),
    pytest.param(with_("colour", "red"), "colour", id="unknown-top-level-key"),
    pytest.param(with_("skills", "french"), "skills", id="skills-not-list"),
    pytest.param(with_("skills", ["french", "french"]), "skills", id="skills-duplicate"),
    pytest.param(with_("skills.1", "Billing!"), "skills[1]", id="skill-bad-identifier"),
    pytest.param(with_("groups", ...), "groups", id="groups-missing"),
    pytest.param(with_("groups", []), "groups", id="groups-empty"),
    pytest.param(with_("groups", [{"id": f"g{i}"} for i in range(201)]), "groups", id="groups-too-many"),
    pytest.param(with_("groups.1", "back"), "groups[1]", id="group-not-object"),
    pytest.param(with_("groups.1.id", ...), "groups[1].id", id="group-id-missing"),
    pytest.param(with_("groups.1.id", "Back"), "groups[1].id", id="group-id-uppercase"),
    pytest.param(with_("groups.1.id", "x" * 41), "groups[1].id", id="group-id-too-long"),
    pytest.param(with_("groups.1.id", "front"), "groups[1].id", id="group-id-twice"),
    pytest.param(with_("groups.1.name", 5), "groups[1].name", id="group-name-not-text"),
    pytest.param(with_("groups.1.name", "x" * 121), "groups[1].name", id="group-name-too-long"),
    pytest.param(with_("groups.1.threshold", -1), "groups[1].threshold", id="threshold-negative"),
    pytest.param(with_("groups.1.threshold", 100_001), "groups[1].threshold", id="threshold-too-big"),
    pytest.param(with_("groups.1.threshold", "10"), "groups[1].threshold", id="threshold-text"),
    pytest.param(with_("groups.1.threshold", True), "groups[1].threshold", id="threshold-bool"),
    pytest.param(with_("groups.1.threshold", 1.5), "groups[1].threshold", id="threshold-float"),
    pytest.param(with_("groups.1.threshold", None), "groups[1].threshold", id="threshold-null"),
    pytest.param(with_("groups.0.shards", 0), "groups[0].shards", id="shards-zero"),
    pytest.param(with_("groups.0.shards", 17), "groups[0].shards", id="shards-too-many"),
    pytest.param(with_("rules", ...), "rules", id="rules-missing"),
    pytest.param(with_("rules", []), "rules", id="rules-empty"),
    pytest.param(with_("rules.1.id", "vip"), "rules", id="rule-id-twice"),
    pytest.param(with_("rules.1", ["front"]), "rules[1]", id="rule-not-object"),
    pytest.param(with_("rules.0.id", "VIP"), "rules[0].id", id="rule-id-bad"),
    pytest.param(with_("rules.0.groups", []), "rules[0].groups", id="rule-groups-empty"),
    pytest.param(with_("rules.0.groups", "front"), "rules[0].groups", id="rule-groups-not-list"),
    pytest.param(with_("rules.0.groups", ["front"] * 21), "rules[0].groups", id="rule-groups-too-many"),
    pytest.param(with_("rules.0.groups", ["front", "front"]), "rules[0].groups", id="rule-group-twice"),
    pytest.param(with_("rules.0.groups.1", "nowhere"), "rules[0].groups[1]", id="rule-group-unknown"),
    pytest.param(with_("rules.0.groups.1", 7), "rules[0].groups[1]", id="rule-group-number"),
    pytest.param(with_("rules.0.groups.1", {"id": "front"}), "rules[0].groups[1]", id="rule-group-object"),
    pytest.param(with_("rules.0.groups.1", ["front"]), "rules[0].groups[1]", id="rule-group-list"),
    pytest.param(with_("groups.0.colour", "red"), "groups[0].colour", id="group-unknown-key"),
    pytest.param(with_("rules.0.colour", "red"), "rules[0].colour", id="rule-unknown-key"),
    pytest.param(with_("rules.0.match.page", "/x"), "rules[0].match.page", id="match-unknown-key"),
    pytest.param(with_("rules.0.name", 5), "rules[0].name", id="rule-name-not-text"),
    pytest.param(with_("rules.0.match", "sales"), "rules[0].match", id="match-not-object"),
    pytest.param(with_("rules.0.match.queue", "Sales!"), "rules[0].match.queue", id="match-queue-bad"),
    pytest.param(with_("rules.0.match.channel", "fax"), "rules[0].match.channel", id="match-channel-unknown"),
    pytest.param(with_("rules.0.match.channel", ["chat"]), "rules[0].match.channel", id="match-channel-list"),
    pytest.param(with_("rules.0.match.url_contains", "x" * 501), "rules[0].match.url_contains",
                 id="match-url-too-long"),
    pytest.param(with_("rules.0.match.url_contains", 3), "rules[0].match.url_contains", id="match-url-not-text"),
    pytest.param(with_("rules.0.match.custom", ["plan"]), "rules[0].match.custom", id="match-custom-not-object"),
    pytest.param(with_("rules.0.match.custom", {"plan": 1}), "rules[0].match.custom", id="match-custom-not-text"),
    pytest.param(with_("rules.0.mode", "random"), "rules[0].mode", id="mode-unknown"),
    pytest.param(with_("rules.0.skill", "french"), "rules[0].skill", id="skill-not-object"),
    pytest.param(with_("rules.0.skill.skill", "german"), "rules[0].skill.skill", id="skill-unknown"),
    pytest.param(with_("rules.0.skill.skill", ...), "rules[0].skill.skill", id="skill-missing"),
    pytest.param(with_("rules.0.skill.skill", "Fr ench"), "rules[0].skill.skill", id="skill-bad-identifier"),
    pytest.param(with_("rules.0.skill.min_level", 0), "rules[0].skill.min_level", id="min-level-zero"),
    pytest.param(with_("rules.0.skill.min_level", 6), "rules[0].skill.min_level", id="min-level-above-max"),
    pytest.param(with_("rules.0.priority", -1), "rules[0].priority", id="priority-negative"),
    pytest.param(with_("rules.0.priority", 1000), "rules[0].priority", id="priority-too-big"),
    pytest.param(with_("fairness", "random"), "fairness", id="fairness-unknown"),
    pytest.param(with_("fairness", None), "fairness", id="fairness-null"),
])
def test_config_from_json_names_the_bad_field(data: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        config_from_json(data)
    assert raised.value.field == field
