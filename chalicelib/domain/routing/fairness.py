"""Fairness: the order of a group's eligible agents (longest idle, least loaded, highest skill; ROUTE-6 first).

The words used: chalicelib/domain/routing/__init__.py.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from chalicelib.domain.routing.media import MAX_LEVEL, AgentRouting, Channel, SkillNeed, eligible


class Fairness(enum.StrEnum):
    LONGEST_IDLE = "longest_idle"
    LEAST_LOADED = "least_loaded"
    HIGHEST_SKILL = "highest_skill"


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
