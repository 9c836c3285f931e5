"""The JSON shapes of conversations, messages and agents, shared by REST answers and WebSocket frames."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.model import Agent, Conversation, Message


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def conversation(c: Conversation, last_seq: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "status": c.status.value,
        "queue": c.queue,
        "visitor_id": c.visitor_id,
        "agent": {"id": c.agent_id, "name": c.agent_name or ""} if c.agent_id else None,
        "page": {"url": c.page.url, "title": c.page.title} if c.page else None,
        "created_at": iso(c.created_at),
    }
    if last_seq is not None:
        out["last_seq"] = last_seq
    return out


def message(m: Message) -> dict[str, Any]:
    return {
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "client_message_id": m.client_message_id,
        "sender": {"kind": m.sender.kind.value, "id": m.sender.id, "name": m.sender.name},
        "text": m.text,
        "sent_at": iso(m.sent_at),
    }


def agent(a: Agent) -> dict[str, Any]:
    return {
        "kind": "agent",
        "id": a.id,
        "name": a.name,
        "status": a.status.value,
        "capacity": a.capacity,
        "active": a.active,
        "queues": list(a.queues),
    }
