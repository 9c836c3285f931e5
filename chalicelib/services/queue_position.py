"""The waiting screen's live queue position and estimated wait, pushed on every change of a queue."""

from __future__ import annotations

from chalicelib.domain.routing import Channel, Group
from chalicelib.ports import Deps
from chalicelib.services import fanout, tenants

ANNOUNCED = 50  # beyond this many waiting visitors, positions are pushed when they move into the first 50


def announce(deps: Deps, tenant: str, queue: str) -> None:
    """Three reads whatever the queue's length (settings, ready agents, the waiting list with connections), then
    one push per waiting visitor's connection."""
    settings = tenants.settings_of(deps, tenant)
    group = tenants.routing_of(deps, tenant).groups.get(queue) or Group(queue)
    ready = max(1, len(deps.routing.ready(tenant, group, Channel.CHAT, None, 20)))
    waiting = deps.conversations.waiting_connections(tenant, queue, ANNOUNCED)
    for position, (conversation_id, connection_ids) in enumerate(waiting, 1):
        gone = fanout.to_connections(deps, sorted(connection_ids), {
            "type": "queue.position",
            "conversation_id": conversation_id,
            "position": position,
            "estimated_wait_seconds": estimate(position, ready, settings.average_handle_seconds),
        })
        if gone:
            deps.conversations.remove_connections(tenant, conversation_id, gone)


def estimate(position: int, ready_agents: int, average_handle_seconds: int) -> int:
    """A visitor in position p waits about ceil(p / ready agents) handling times."""
    return -(-position // max(1, ready_agents)) * average_handle_seconds
