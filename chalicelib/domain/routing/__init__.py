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

By concern: `rules` (rules and groups), `fairness`, `media` (media priority, capacity and exclusivity, skills),
`stuck` (stuck reasons), `index` (what the adapters keep sorted), `config` and `agent_settings` (JSON, checked).
Every public name stays importable as `chalicelib.domain.routing.<name>`.
"""

from chalicelib.domain.routing.agent_settings import (
    MAX_CAPACITY,
    AgentSettings,
    agent_settings_from_json,
    with_settings,
)
from chalicelib.domain.routing.config import config_from_json, config_to_json, skill_need_from_json
from chalicelib.domain.routing.fairness import Fairness, fairness_key, rank
from chalicelib.domain.routing.index import (
    MAX_READY_ENTRIES,
    ReadyEntry,
    candidate_order,
    check_ready_entries,
    conversation_list,
    conversation_need,
    parse_queue_list,
    queue_list,
    ready_entries,
    ready_lists,
    routing_view,
    shard_capacity,
    shard_of,
)
from chalicelib.domain.routing.media import (
    DEFAULT_CAPACITY,
    MAX_LEVEL,
    MEDIA_PRIORITY,
    AgentRouting,
    Channel,
    Medium,
    SkillNeed,
    Waiting,
    can_take,
    eligible,
    has_skill,
    next_for,
    waiting_key,
)
from chalicelib.domain.routing.rules import (
    DEFAULT_GROUP,
    DEFAULT_THRESHOLD,
    MAX_SHARDS,
    MAX_THRESHOLD,
    Group,
    GroupState,
    Match,
    Mode,
    Placement,
    Route,
    RoutingConfig,
    RoutingContext,
    Rule,
    matches,
    place,
    route_for,
)
from chalicelib.domain.routing.stuck import StuckReason, why_stuck

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_GROUP",
    "DEFAULT_THRESHOLD",
    "MAX_CAPACITY",
    "MAX_LEVEL",
    "MAX_READY_ENTRIES",
    "MAX_SHARDS",
    "MAX_THRESHOLD",
    "MEDIA_PRIORITY",
    "AgentRouting",
    "AgentSettings",
    "Channel",
    "Fairness",
    "Group",
    "GroupState",
    "Match",
    "Medium",
    "Mode",
    "Placement",
    "ReadyEntry",
    "Route",
    "RoutingConfig",
    "RoutingContext",
    "Rule",
    "SkillNeed",
    "StuckReason",
    "Waiting",
    "agent_settings_from_json",
    "can_take",
    "candidate_order",
    "check_ready_entries",
    "config_from_json",
    "config_to_json",
    "conversation_list",
    "conversation_need",
    "eligible",
    "fairness_key",
    "has_skill",
    "matches",
    "next_for",
    "parse_queue_list",
    "place",
    "queue_list",
    "rank",
    "ready_entries",
    "ready_lists",
    "route_for",
    "routing_view",
    "shard_capacity",
    "shard_of",
    "skill_need_from_json",
    "waiting_key",
    "why_stuck",
    "with_settings",
]
