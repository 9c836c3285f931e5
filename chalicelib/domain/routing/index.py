"""The routing index: what the adapters keep sorted (ready lists of agents, queues of conversations), and its
shards (docs/scaling.md).

The words used: chalicelib/domain/routing/__init__.py.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Agent, AgentStatus, Conversation
from chalicelib.domain.routing.fairness import fairness_key
from chalicelib.domain.routing.media import MAX_LEVEL, AgentRouting, Channel, Medium, SkillNeed, can_take
from chalicelib.domain.routing.rules import Group, RoutingConfig


def routing_view(agent: Agent) -> AgentRouting:
    return AgentRouting(
        id=agent.id,
        available=agent.status is AgentStatus.AVAILABLE,
        groups_on=frozenset(agent.active_queues),
        # Calls go only to an agent who takes them and answers on the desk or has a phone to ring (CB-6).
        capacity={Channel.CHAT: agent.capacity,
                  Channel.CALL: agent.call_capacity if agent.takes_calls and (
                      agent.answers_on_desk or agent.call_line) else 0,
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
