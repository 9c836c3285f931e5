"""WebSocket connections coming and going."""

from __future__ import annotations

from chalicelib.domain.model import Principal, Role
from chalicelib.ports import Deps
from chalicelib.services import board, presence
from chalicelib.services.conversations import open_conversations


def connect(deps: Deps, principal: Principal, connection_id: str) -> None:
    """Record the connection and subscribe it to the principal's open conversations, so fan-out is by key."""
    deps.connections.add(principal, connection_id, deps.clock.now())
    for conversation in open_conversations(deps, principal):
        if conversation.is_participant(principal):  # a pending offer is not yet the agent's to read
            deps.conversations.add_connections(principal.tenant, conversation.id, [connection_id])


def disconnect(deps: Deps, principal: Principal, connection_id: str) -> None:
    deps.connections.remove(principal, connection_id)
    if principal.roles & {Role.SUPERVISOR, Role.ADMIN}:
        board.unwatch(deps, principal, connection_id)  # one delete; a missed one is forgotten at the next push
    for conversation in open_conversations(deps, principal):
        deps.conversations.remove_connections(principal.tenant, conversation.id, [connection_id])
    presence.agent_left(deps, principal)
