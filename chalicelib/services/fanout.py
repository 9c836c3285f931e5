"""Pushing one frame to the connections of a conversation's participants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.domain.errors import ConnectionGone
from chalicelib.domain.model import Conversation
from chalicelib.ports import Deps


def to_connections(deps: Deps, connection_ids: Iterable[str], frame: Mapping[str, Any]) -> list[str]:
    """Send to each connection; returns the ones that are gone. One gone connection never stops the others."""
    gone: list[str] = []
    for connection_id in connection_ids:
        try:
            deps.push.send(connection_id, frame)
        except ConnectionGone:
            gone.append(connection_id)
    return gone


def to_conversation(
    deps: Deps, conversation: Conversation, frame: Mapping[str, Any], *, exclude: str | None = None
) -> None:
    """Fan a frame out to the conversation's connections (read by key with it) and forget the gone ones."""
    targets = sorted(c for c in conversation.connections if c != exclude)
    gone = to_connections(deps, targets, frame)
    if gone:
        forget(deps, conversation, gone)


def forget(deps: Deps, conversation: Conversation, gone: list[str]) -> None:
    """A gone connection missed its $disconnect: drop it from the conversation and from its owner's list."""
    deps.conversations.remove_connections(conversation.tenant, conversation.id, gone)
    for owner in conversation.participants():
        for connection_id in gone:
            deps.connections.remove(owner, connection_id)
