"""Channels and media, an agent's capacity per channel and its exclusivity (ROUTE-7), skill levels, and what an
agent who frees capacity gets next: media priority, then priority, then arrival (CHAT-12, ROUTE-5).

The words used: chalicelib/domain/routing/__init__.py.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

MAX_LEVEL = 5


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


@dataclass(frozen=True)
class SkillNeed:
    skill: str
    min_level: int = 1


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
