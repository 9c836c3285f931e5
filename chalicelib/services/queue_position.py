"""The waiting screen's live queue position and estimated wait, pushed on every change of a queue."""

from __future__ import annotations

from chalicelib.domain.model import ConversationStatus
from chalicelib.ports import Deps
from chalicelib.services import fanout, tenants

ANNOUNCED = 50  # beyond this many waiting visitors, positions are pushed when they move into the first 50


def announce(deps: Deps, tenant: str, queue: str) -> None:
    settings = tenants.settings_of(deps, tenant)
    ready = max(1, len(deps.agents.longest_idle_available(tenant, queue, 20)))
    for position, conversation_id in enumerate(deps.conversations.oldest_waiting(tenant, queue, ANNOUNCED), 1):
        conversation = deps.conversations.get(tenant, conversation_id)
        if conversation is None or conversation.status is not ConversationStatus.WAITING:
            continue
        fanout.to_conversation(deps, conversation, {
            "type": "queue.position",
            "conversation_id": conversation.id,
            "position": position,
            "estimated_wait_seconds": estimate(position, ready, settings.average_handle_seconds),
        })


def estimate(position: int, ready_agents: int, average_handle_seconds: int) -> int:
    """A visitor in position p waits about ceil(p / ready agents) handling times."""
    return -(-position // max(1, ready_agents)) * average_handle_seconds
