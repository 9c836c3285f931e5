"""Rules and groups: which rule takes a new conversation, and which of its groups it goes to (ROUTE-1 to ROUTE-4).

The words used: chalicelib/domain/routing/__init__.py.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.routing.fairness import Fairness
from chalicelib.domain.routing.media import Channel, SkillNeed

DEFAULT_GROUP = "default"
DEFAULT_THRESHOLD = 100
MAX_THRESHOLD = 100_000
MAX_SHARDS = 16


class Mode(enum.StrEnum):
    CASCADE = "cascade"
    EQUAL = "equal"


@dataclass(frozen=True)
class Group:
    id: str
    name: str = ""
    threshold: int = DEFAULT_THRESHOLD
    #: How many partitions share the group's queue and ready list (docs/scaling.md); 1 suits most tenants.
    shards: int = 1


@dataclass(frozen=True)
class Match:
    """Every given criterion must hold; an empty match takes everything."""

    queue: str | None = None
    channel: Channel | None = None
    url_contains: str | None = None
    custom: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    id: str
    groups: tuple[str, ...]
    name: str = ""
    match: Match = field(default_factory=Match)
    mode: Mode = Mode.CASCADE
    skill: SkillNeed | None = None
    priority: int = 0  # higher is served first within a medium (ROUTE-5: arrival order among equals)


@dataclass(frozen=True)
class RoutingConfig:
    groups: Mapping[str, Group] = field(default_factory=lambda: {DEFAULT_GROUP: Group(DEFAULT_GROUP, "Default")})
    rules: tuple[Rule, ...] = (Rule("default", (DEFAULT_GROUP,), name="Everything"),)
    skills: tuple[str, ...] = ()
    fairness: Fairness = Fairness.LONGEST_IDLE


@dataclass(frozen=True)
class RoutingContext:
    """What the widget (or a channel) tells about a new conversation."""

    queue: str = "default"
    channel: Channel = Channel.CHAT
    url: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)
    skill: SkillNeed | None = None  # asked by the brand's page; a rule's requirement wins


@dataclass(frozen=True)
class Route:
    """Where a new conversation goes: its rule's groups in order, the skill it needs and its priority."""

    rule: Rule
    groups: tuple[Group, ...]
    skill: SkillNeed | None
    priority: int


def matches(match: Match, context: RoutingContext) -> bool:
    if match.queue is not None and match.queue != context.queue:
        return False
    if match.channel is not None and match.channel is not context.channel:
        return False
    if match.url_contains and match.url_contains.lower() not in context.url.lower():
        return False
    return all(context.custom.get(key) == value for key, value in match.custom.items())


def route_for(config: RoutingConfig, context: RoutingContext) -> Route | None:
    """The first rule (in the tenant's order) that matches; None if no rule takes this conversation."""
    for rule in config.rules:
        if matches(rule.match, context):
            groups = tuple(config.groups[g] for g in rule.groups if g in config.groups)
            return Route(rule=rule, groups=groups, skill=rule.skill or context.skill, priority=rule.priority)
    return None


@dataclass(frozen=True)
class GroupState:
    """What one decision reads of a group: waiting conversations and whether an eligible agent can answer now."""

    waiting: int
    agent_free_now: bool


@dataclass(frozen=True)
class Placement:
    group: str
    offer_now: bool  # an eligible agent can take it at once; otherwise it waits in the group's queue


def place(route: Route, states: Mapping[str, GroupState]) -> Placement | None:
    """Which group a new conversation goes to, or None: every group is full, so the visitor is not engaged.

    A group has room when an eligible agent can answer now, or when fewer than `threshold` conversations wait in
    it (0 = synchronous). Cascade takes the first group with room (ROUTE-3, ROUTE-4); equal distribution takes,
    among the groups with room, one with an agent free now, else the one with the fewest waiting, then list order.
    """
    open_groups: list[tuple[int, Group, GroupState]] = []
    for order, group in enumerate(route.groups):
        state = states.get(group.id, GroupState(waiting=0, agent_free_now=False))
        if state.agent_free_now or state.waiting < group.threshold:
            open_groups.append((order, group, state))
    if not open_groups:
        return None
    if route.rule.mode is Mode.CASCADE:
        _, group, state = open_groups[0]
    else:
        _, group, state = min(open_groups, key=lambda o: (not o[2].agent_free_now, o[2].waiting, o[0]))
    return Placement(group=group.id, offer_now=state.agent_free_now)
