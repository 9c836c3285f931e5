"""Why a waiting conversation is not distributed (ASYNC-19), as supervisors see it.

The words used: chalicelib/domain/routing/__init__.py.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from chalicelib.domain.routing.media import AgentRouting, Channel, SkillNeed, can_take, has_skill


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
