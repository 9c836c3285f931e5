"""The routing engine's policy, as pure functions (ROUTE-1 to ROUTE-7, CHAT-12).

Words used throughout:
- A *group* (distribution group) is a set of agents with a queue of its own; the desk shows an agent's groups as
  their queues, and the agent switches them on and off (CHAT-4). Its `threshold` is how many conversations may
  wait in it: 0 means synchronous (engage a visitor only if an agent can answer now), N >= 1 up to N waiting.
- A *rule* matches conversations by requested queue, channel and page context (URL, custom data), may require a
  skill at a minimum level, and lists groups in order: `cascade` fills group 1 then group 2; `equal` sends each
  new conversation to the group with the fewest waiting.
- *Fairness* orders the eligible agents of a group: longest idle (default), least loaded, highest skill level;
  agents marked "route to me first" (ROUTE-6) come before the others whatever the mode.
- *Media priority* (CHAT-12): an agent who frees capacity gets an inbound call, then an outbound call, then a chat,
  then an email; within a medium, priority first, then arrival order (ROUTE-5).

The adapters keep, per group, the eligible agents sorted by `fairness_key` and the waiting conversations sorted by
`waiting_key`, so that one decision reads the head of a few sorted partitions whatever the number of agents.
"""

from __future__ import annotations

import enum
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Agent, AgentStatus, Conversation

MAX_LEVEL = 5
DEFAULT_GROUP = "default"
DEFAULT_THRESHOLD = 100
MAX_THRESHOLD = 100_000
MAX_SHARDS = 16
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_E = TypeVar("_E", bound=enum.StrEnum)


class Channel(enum.StrEnum):
    CHAT = "chat"
    CALL = "call"
    EMAIL = "email"


class Medium(enum.StrEnum):
    """What waits in a group's queue; its order in MEDIA_PRIORITY is the order an agent is served (CHAT-12)."""

    INBOUND_CALL = "inbound_call"
    OUTBOUND_CALL = "outbound_call"
    CHAT = "chat"
    EMAIL = "email"

    @property
    def channel(self) -> Channel:
        if self in (Medium.INBOUND_CALL, Medium.OUTBOUND_CALL):
            return Channel.CALL
        return Channel(self.value)


MEDIA_PRIORITY: tuple[Medium, ...] = (Medium.INBOUND_CALL, Medium.OUTBOUND_CALL, Medium.CHAT, Medium.EMAIL)
DEFAULT_CAPACITY: Mapping[Channel, int] = {Channel.CHAT: 6, Channel.CALL: 1, Channel.EMAIL: 0}  # email: opt-in


class Fairness(enum.StrEnum):
    LONGEST_IDLE = "longest_idle"
    LEAST_LOADED = "least_loaded"
    HIGHEST_SKILL = "highest_skill"


class Mode(enum.StrEnum):
    CASCADE = "cascade"
    EQUAL = "equal"


@dataclass(frozen=True)
class SkillNeed:
    skill: str
    min_level: int = 1


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


# --- agents -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRouting:
    """An agent as routing sees them: per-channel capacity and load, skills, groups switched on."""

    id: str
    available: bool
    groups_on: frozenset[str]
    capacity: Mapping[Channel, int] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    active: Mapping[Channel, int] = field(default_factory=dict)
    skills: Mapping[str, int] = field(default_factory=dict)
    first: bool = False  # "route to me first" (ROUTE-6)
    multi_channel: bool = False  # allowed to hold a call and chats at once (ROUTE-7)
    idle_since: datetime | None = None

    def load(self, channel: Channel) -> int:
        return int(self.active.get(channel, 0))

    def free(self, channel: Channel) -> int:
        return max(0, int(self.capacity.get(channel, 0)) - self.load(channel))


def can_take(agent: AgentRouting, channel: Channel) -> bool:
    """Capacity per channel (chat 6, call 1 by default) and exclusivity between calls and the other channels."""
    if not agent.available or agent.free(channel) <= 0:
        return False
    if agent.multi_channel:
        return True
    others = sum(agent.load(c) for c in Channel if c is not channel)
    if channel is Channel.CALL:
        return others == 0  # on chats or emails: no call (ROUTE-7)
    return agent.load(Channel.CALL) == 0  # on a call: no chat or email


def has_skill(agent: AgentRouting, need: SkillNeed | None) -> bool:
    return need is None or agent.skills.get(need.skill, 0) >= need.min_level


def eligible(agent: AgentRouting, group: str, channel: Channel, need: SkillNeed | None) -> bool:
    return group in agent.groups_on and can_take(agent, channel) and has_skill(agent, need)


def fairness_key(agent: AgentRouting, fairness: Fairness, channel: Channel, skill: str | None = None) -> str:
    """A string that sorts the best candidate first; the adapters store it as the sort key of the ready list.

    ROUTE-6 agents first; then by the tenant's mode; ties always go to the longest idle, then to the agent id."""
    first = "0" if agent.first else "1"
    idle = agent.idle_since.strftime("%Y%m%d%H%M%S%f") if agent.idle_since else "0" * 20
    if fairness is Fairness.LEAST_LOADED:
        middle = f"{sum(agent.active.values()):04d}"
    elif fairness is Fairness.HIGHEST_SKILL and skill is not None:
        middle = str(MAX_LEVEL - agent.skills.get(skill, 0))
    else:
        middle = ""
    return f"{first}{middle}#{idle}#{agent.id}"


def rank(agents: Iterable[AgentRouting], group: str, channel: Channel, need: SkillNeed | None,
         fairness: Fairness) -> list[AgentRouting]:
    """The eligible agents of a group, best first (what the ready lists give, in one sort)."""
    skill = need.skill if need else None
    chosen = [a for a in agents if eligible(a, group, channel, need)]
    return sorted(chosen, key=lambda a: fairness_key(a, fairness, channel, skill))


# --- placing a new conversation -------------------------------------------------------------------------------------


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


# --- an agent pulls work --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A waiting conversation as the group's queue keeps it."""

    conversation_id: str
    group: str
    medium: Medium
    priority: int
    arrived_at: datetime
    skill: SkillNeed | None = None


def waiting_key(priority: int, arrived_at: datetime, conversation_id: str) -> str:
    """Sorts a group's queue within a medium: higher priority first, then arrival order (ROUTE-5)."""
    return f"{999 - max(0, min(priority, 999)):03d}#{arrived_at.strftime('%Y%m%d%H%M%S%f')}#{conversation_id}"


def next_for(agent: AgentRouting, heads: Sequence[Waiting]) -> Waiting | None:
    """What an agent who freed capacity gets next among the heads of their groups' queues (CHAT-12, ROUTE-5):
    the first medium in priority order the agent can take, then priority, then arrival; only what they may take
    (group switched on, capacity and exclusivity of the medium's channel, skill level)."""
    best: tuple[int, int, datetime, str] | None = None
    chosen: Waiting | None = None
    for item in heads:
        if not eligible(agent, item.group, item.medium.channel, item.skill):
            continue
        key = (MEDIA_PRIORITY.index(item.medium), -item.priority, item.arrived_at, item.conversation_id)
        if best is None or key < best:
            best, chosen = key, item
    return chosen


# --- why a conversation is stuck (ASYNC-19) -------------------------------------------------------------------------


class StuckReason(enum.StrEnum):
    NO_AGENT_ONLINE = "no_eligible_agent_online"
    ALL_AT_CAPACITY = "all_at_capacity"
    SKILL_MISSING = "skill_level_missing"


def why_stuck(agents: Iterable[AgentRouting], group: str, channel: Channel,
              need: SkillNeed | None) -> StuckReason | None:
    """Why a waiting conversation is not distributed; None when an agent could take it now."""
    members = [a for a in agents if group in a.groups_on and a.available]
    if not members:
        return StuckReason.NO_AGENT_ONLINE
    skilled = [a for a in members if has_skill(a, need)]
    if not skilled:
        return StuckReason.SKILL_MISSING
    if not any(can_take(a, channel) for a in skilled):
        return StuckReason.ALL_AT_CAPACITY
    return None


# --- the routing index: what the adapters keep sorted -----------------------------------------------------------


def routing_view(agent: Agent) -> AgentRouting:
    return AgentRouting(
        id=agent.id,
        available=agent.status is AgentStatus.AVAILABLE,
        groups_on=frozenset(agent.active_queues),
        capacity={Channel.CHAT: agent.capacity, Channel.CALL: agent.call_capacity,
                  Channel.EMAIL: agent.email_capacity},
        active={Channel.CHAT: agent.active, Channel.CALL: agent.call_active, Channel.EMAIL: agent.email_active},
        skills=dict(agent.skills),
        first=agent.route_first,
        multi_channel=agent.multi_channel,
        idle_since=agent.idle_since,
    )


def shard_of(key: str, shards: int) -> int:
    """A stable partition number for an agent or a conversation (docs/scaling.md)."""
    return zlib.crc32(key.encode("utf-8")) % max(1, shards)


def shard_capacity(group: Group, shard: int) -> int:
    """The group's threshold split over its shards; the shares add up to the threshold exactly."""
    base, extra = divmod(group.threshold, max(1, group.shards))
    return base + (1 if shard < extra else 0)


@dataclass(frozen=True, order=True)
class ReadyEntry:
    """One line of a ready list: `list_key` is "<group>#<channel>[#<skill>]#<shard>" and `sort_key` sorts the
    best candidate first (skill lists are prefixed by 5 - level, so that one level is one key prefix)."""

    list_key: str
    sort_key: str

    def encode(self) -> str:
        return f"{self.list_key}|{self.sort_key}"

    @staticmethod
    def decode(value: str) -> ReadyEntry:
        list_key, sort_key = value.split("|", 1)
        return ReadyEntry(list_key, sort_key)


def ready_entries(agent: AgentRouting, config: RoutingConfig) -> frozenset[ReadyEntry]:
    """Every ready list the agent belongs in now: per group switched on and channel they can take, one plain entry
    and one per skill (ROUTE-1). An agent who can take nothing is in no list."""
    entries: set[ReadyEntry] = set()
    for group_id in sorted(agent.groups_on):
        group = config.groups.get(group_id)
        if group is None:
            continue
        shard = shard_of(agent.id, group.shards)
        for channel in Channel:
            if not can_take(agent, channel):
                continue
            plain = fairness_key(agent, config.fairness, channel)
            entries.add(ReadyEntry(f"{group_id}#{channel.value}#{shard}", plain))
            for skill, level in sorted(agent.skills.items()):
                if skill in config.skills:
                    key = fairness_key(agent, config.fairness, channel, skill)
                    entries.add(ReadyEntry(f"{group_id}#{channel.value}#{skill}#{shard}", f"{MAX_LEVEL - level}#{key}"))
    return frozenset(entries)


MAX_READY_ENTRIES = 45  # an offer rewrites them all in one transaction (100 items), with 5 items of its own


def check_ready_entries(agent: Agent, config: RoutingConfig) -> None:
    """Refuse settings that would list an agent in more ready lists than one transaction can move."""
    groups = [g for g in agent.queues if g in config.groups]
    channels = [c for c in (agent.capacity, agent.call_capacity, agent.email_capacity) if c > 0]
    skills = [s for s in agent.skills if s in config.skills]
    most = len(groups) * len(channels) * (1 + len(skills))
    if most > MAX_READY_ENTRIES:
        raise InvalidInput(f"these settings would list the agent in {most} ready lists (groups x channels with a "
                           f"capacity x (1 + skills)); the most is {MAX_READY_ENTRIES}: see docs/scaling.md",
                           field="groups")


def ready_lists(group: Group, channel: Channel, need: SkillNeed | None) -> list[tuple[str, str]]:
    """The (list key, sort-key prefix) pairs to read for eligible agents of a group: every shard, and for a skill
    every level from the minimum up. Bounded by the configuration, never by the number of agents."""
    lists: list[tuple[str, str]] = []
    for shard in range(group.shards):
        if need is None:
            lists.append((f"{group.id}#{channel.value}#{shard}", ""))
        else:
            for level in range(need.min_level, MAX_LEVEL + 1):
                lists.append((f"{group.id}#{channel.value}#{need.skill}#{shard}", f"{MAX_LEVEL - level}#"))
    return lists


def candidate_order(sort_key: str, skilled: bool) -> str:
    """Merges heads read from several lists: a skill list's level prefix is dropped (the fairness key already
    carries the level when the tenant ranks by skill)."""
    return sort_key.split("#", 1)[1] if skilled else sort_key


def queue_list(medium: Medium, need: SkillNeed | None) -> str:
    """Which of its group's queues a conversation waits in: one per medium and required skill level, so that
    the head of every queue is a conversation the reader may take."""
    return medium.value if need is None else f"{medium.value}#{need.skill}#{need.min_level}"


def parse_queue_list(key: str) -> tuple[Medium, SkillNeed | None]:
    parts = key.split("#")
    medium = Medium(parts[0])
    return medium, (SkillNeed(parts[1], int(parts[2])) if len(parts) == 3 else None)


def conversation_need(conversation: Conversation) -> SkillNeed | None:
    return SkillNeed(*conversation.skill) if conversation.skill else None


def conversation_list(conversation: Conversation) -> str:
    return queue_list(Medium(conversation.medium), conversation_need(conversation))


# --- configuration from JSON, each field checked ------------------------------------------------------------------


def _only(raw: Mapping[str, object], known: set[str], where: str) -> None:
    for key in raw:
        if key not in known:
            raise InvalidInput(f"unknown field; use {', '.join(sorted(known))}", field=f"{where}.{key}")


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidInput("use 1 to 40 lowercase letters, digits, '-' or '_'", field=where)
    return value


def _int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=where)
    return value


def _text(value: object, where: str, limit: int = 120) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"must be text of at most {limit} characters", field=where)
    return value


def _enum(kind: type[_E], value: object, where: str) -> _E:
    for member in kind:
        if member.value == value:
            return member
    raise InvalidInput(f"must be one of {', '.join(m.value for m in kind)}", field=where)


def skill_need_from_json(value: object, where: str, skills: Sequence[str] | None = None) -> SkillNeed | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("must be an object {skill, min_level}", field=where)
    skill = _identifier(value.get("skill"), f"{where}.skill")
    if skills is not None and skill not in skills:
        raise InvalidInput(f"unknown skill '{skill}'", field=f"{where}.skill")
    return SkillNeed(skill, _int(value.get("min_level", 1), f"{where}.min_level", 1, MAX_LEVEL))


def config_from_json(data: object) -> RoutingConfig:
    """A whole routing configuration as the admin API receives it; the first bad field is named."""
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object", field="body")
    known = {"groups", "rules", "skills", "fairness"}
    for key in data:
        if key not in known:
            raise InvalidInput(f"unknown field; use {', '.join(sorted(known))}", field=str(key))
    skills_raw = data.get("skills", [])
    if not isinstance(skills_raw, list) or len(skills_raw) > 200:
        raise InvalidInput("must be a list of at most 200 skill names", field="skills")
    skills = tuple(_identifier(s, f"skills[{i}]") for i, s in enumerate(skills_raw))
    if len(set(skills)) != len(skills):
        raise InvalidInput("a skill is listed twice", field="skills")
    groups_raw = data.get("groups")
    if not isinstance(groups_raw, list) or not groups_raw or len(groups_raw) > 200:
        raise InvalidInput("must be a list of 1 to 200 groups", field="groups")
    groups: dict[str, Group] = {}
    for i, raw in enumerate(groups_raw):
        where = f"groups[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput("must be an object", field=where)
        _only(raw, {"id", "name", "threshold", "shards"}, where)
        group_id = _identifier(raw.get("id"), f"{where}.id")
        if group_id in groups:
            raise InvalidInput(f"group '{group_id}' is defined twice", field=f"{where}.id")
        groups[group_id] = Group(
            id=group_id,
            name=_text(raw.get("name", group_id), f"{where}.name"),
            threshold=_int(raw.get("threshold", DEFAULT_THRESHOLD), f"{where}.threshold", 0, MAX_THRESHOLD),
            shards=_int(raw.get("shards", 1), f"{where}.shards", 1, MAX_SHARDS),
        )
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw or len(rules_raw) > 200:
        raise InvalidInput("must be a list of 1 to 200 rules", field="rules")
    rules: list[Rule] = []
    for i, raw in enumerate(rules_raw):
        rules.append(_rule_from_json(raw, f"rules[{i}]", groups, skills))
    if len({r.id for r in rules}) != len(rules):
        raise InvalidInput("two rules have the same id", field="rules")
    fairness = _enum(Fairness, data.get("fairness", Fairness.LONGEST_IDLE.value), "fairness")
    return RoutingConfig(groups=groups, rules=tuple(rules), skills=skills, fairness=fairness)


def _rule_from_json(raw: object, where: str, groups: Mapping[str, Group], skills: Sequence[str]) -> Rule:
    if not isinstance(raw, dict):
        raise InvalidInput("must be an object", field=where)
    _only(raw, {"id", "name", "groups", "mode", "skill", "priority", "match"}, where)
    rule_id = _identifier(raw.get("id"), f"{where}.id")
    listed = raw.get("groups")
    if not isinstance(listed, list) or not listed or len(listed) > 20:
        raise InvalidInput("must list 1 to 20 group ids, in order", field=f"{where}.groups")
    for j, group_id in enumerate(listed):
        if not isinstance(group_id, str) or group_id not in groups:
            raise InvalidInput(f"unknown group '{group_id}'", field=f"{where}.groups[{j}]")
    if len(set(listed)) != len(listed):
        raise InvalidInput("a group is listed twice", field=f"{where}.groups")
    match_raw = raw.get("match", {})
    if not isinstance(match_raw, dict):
        raise InvalidInput("must be an object", field=f"{where}.match")
    _only(match_raw, {"queue", "channel", "url_contains", "custom"}, f"{where}.match")
    custom = match_raw.get("custom", {})
    if not isinstance(custom, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in custom.items()):
        raise InvalidInput("must map names to texts", field=f"{where}.match.custom")
    channel = match_raw.get("channel")
    queue = match_raw.get("queue")
    url = match_raw.get("url_contains")
    match = Match(
        queue=_identifier(queue, f"{where}.match.queue") if queue is not None else None,
        channel=_enum(Channel, channel, f"{where}.match.channel") if channel is not None else None,
        url_contains=_text(url, f"{where}.match.url_contains", 500) if url is not None else None,
        custom=dict(custom),
    )
    return Rule(
        id=rule_id,
        groups=tuple(listed),
        name=_text(raw.get("name", rule_id), f"{where}.name"),
        match=match,
        mode=_enum(Mode, raw.get("mode", Mode.CASCADE.value), f"{where}.mode"),
        skill=skill_need_from_json(raw.get("skill"), f"{where}.skill", skills),
        priority=_int(raw.get("priority", 0), f"{where}.priority", 0, 999),
    )


@dataclass(frozen=True)
class AgentSettings:
    """An admin's change to one agent; a field left out (None) keeps its value."""

    capacity: Mapping[Channel, int] | None = None
    skills: Mapping[str, int] | None = None
    groups: tuple[str, ...] | None = None
    route_first: bool | None = None
    multi_channel: bool | None = None


MAX_CAPACITY = 50


def agent_settings_from_json(data: object, config: RoutingConfig) -> AgentSettings:
    """Checked against the tenant's routing configuration: known skills and groups only."""
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object", field="body")
    known = {"capacity", "skills", "groups", "route_first", "multi_channel"}
    for key in data:
        if key not in known:
            raise InvalidInput(f"unknown field; use {', '.join(sorted(known))}", field=str(key))
    capacity: dict[Channel, int] | None = None
    if "capacity" in data:
        raw = data["capacity"]
        if not isinstance(raw, dict) or not raw:
            raise InvalidInput("must map channels (chat, call, email) to a number of conversations",
                               field="capacity")
        capacity = {}
        for name, value in raw.items():
            channel = _enum(Channel, name, f"capacity.{name}")
            capacity[channel] = _int(value, f"capacity.{name}", 0, MAX_CAPACITY)
    skills: dict[str, int] | None = None
    if "skills" in data:
        raw = data["skills"]
        if not isinstance(raw, dict) or len(raw) > 50:
            raise InvalidInput("must map at most 50 skill names to a level from 1 to 5", field="skills")
        skills = {}
        for name, level in raw.items():
            if name not in config.skills:
                raise InvalidInput(f"unknown skill '{name}'; the tenant's skills are set in its routing",
                                   field=f"skills.{name}")
            skills[name] = _int(level, f"skills.{name}", 1, MAX_LEVEL)
    groups: tuple[str, ...] | None = None
    if "groups" in data:
        raw = data["groups"]
        if not isinstance(raw, list) or len(raw) > 20:
            raise InvalidInput("must list at most 20 group ids", field="groups")
        for i, group_id in enumerate(raw):
            if not isinstance(group_id, str) or group_id not in config.groups:
                raise InvalidInput(f"unknown group '{group_id}'", field=f"groups[{i}]")
        if len(set(raw)) != len(raw):
            raise InvalidInput("a group is listed twice", field="groups")
        groups = tuple(raw)
    flags: dict[str, bool | None] = {}
    for name in ("route_first", "multi_channel"):
        value = data.get(name)
        if value is not None and not isinstance(value, bool):
            raise InvalidInput("must be true or false", field=name)
        flags[name] = value
    return AgentSettings(capacity=capacity, skills=skills, groups=groups, route_first=flags["route_first"],
                         multi_channel=flags["multi_channel"])


def with_settings(agent: Agent, settings: AgentSettings) -> Agent:
    """The agent after an admin's change; switched-off groups the agent no longer belongs to are forgotten."""
    changed = agent
    if settings.capacity is not None:
        cap = settings.capacity
        changed = replace(changed, capacity=cap.get(Channel.CHAT, changed.capacity),
                          call_capacity=cap.get(Channel.CALL, changed.call_capacity),
                          email_capacity=cap.get(Channel.EMAIL, changed.email_capacity))
    if settings.skills is not None:
        changed = replace(changed, skills=dict(settings.skills))
    if settings.groups is not None:
        changed = replace(changed, queues=settings.groups,
                          queues_off=tuple(q for q in changed.queues_off if q in settings.groups))
    if settings.route_first is not None:
        changed = replace(changed, route_first=settings.route_first)
    if settings.multi_channel is not None:
        changed = replace(changed, multi_channel=settings.multi_channel)
    return changed


def config_to_json(config: RoutingConfig) -> dict[str, object]:
    return {
        "fairness": config.fairness.value,
        "skills": list(config.skills),
        "groups": [{"id": g.id, "name": g.name, "threshold": g.threshold, "shards": g.shards}
                   for g in config.groups.values()],
        "rules": [{
            "id": r.id, "name": r.name, "groups": list(r.groups), "mode": r.mode.value, "priority": r.priority,
            "skill": {"skill": r.skill.skill, "min_level": r.skill.min_level} if r.skill else None,
            "match": {k: v for k, v in {
                "queue": r.match.queue, "channel": r.match.channel.value if r.match.channel else None,
                "url_contains": r.match.url_contains, "custom": dict(r.match.custom) or None}.items()
                if v is not None},
        } for r in config.rules],
    }
