"""The JSON shapes of conversations, messages and agents, shared by REST answers and WebSocket frames."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain.contacts import Case, Contact
from chalicelib.domain.model import Agent, Conversation, ConversationStatus, Message, Principal


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def conversation(c: Conversation, last_seq: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "status": c.status.value,
        "queue": c.queue,
        "medium": c.medium,  # "chat", "email", or "inbound_call" for a callback's call (issue 13)
        "visitor_id": c.visitor_id,
        "visitor": {"name": c.visitor.name, "email": c.visitor.email, "ip": c.visitor.ip,
                    "external_id": c.visitor.external_id, "verified": bool(c.visitor.external_id)},
        "custom": dict(c.custom),
        "agent": {"id": c.agent_id, "name": c.agent_name or ""} if c.agent_id else None,
        "page": {"url": c.page.url, "title": c.page.title} if c.page else None,
        "created_at": iso(c.created_at),
        "closed_at": iso(c.wrap_up.closed_at) if c.wrap_up else None,
        "disposition": c.wrap_up.disposition if c.wrap_up else None,
        "rating": c.rating,
        "offer": {"id": c.offer.id, "agent_id": c.offer.agent_id, "expires_at": iso(c.offer.expires_at)}
        if c.offer else None,
        "asynchronous": c.asynchronous,
        "snooze": snooze(c),
        "reservation": reservation(c),
        "visitor_blocked": c.visitor_blocked,
    }
    if last_seq is not None:
        out["last_seq"] = last_seq
    return out


def snooze(c: Conversation) -> dict[str, Any] | None:
    return {"until": iso(c.snooze.until), "kept": c.snooze.kept} if c.snooze else None


def reservation(c: Conversation) -> dict[str, Any] | None:
    if c.reservation is None:
        return None
    return {"until": iso(c.reservation.until), "transfer_from": c.reservation.transfer_from or None}


def for_visitor(c: Conversation) -> dict[str, Any]:
    """What the visitor's side may see: not the IP, the wrap-up or the offer. An offer is internal: the visitor
    is still waiting."""
    full = conversation(c)
    view = {k: full[k] for k in ("id", "status", "agent", "created_at", "closed_at", "rating", "page", "asynchronous")}
    view["notification"] = {"email": c.notification.email, "enabled": c.notification.enabled}
    # The end screen's NPS question: asked when the chat closed with the tenant's `nps_enabled` on; the answer.
    view["nps_asked"] = bool(c.survey and c.survey.nps)
    view["nps"] = c.nps
    if c.status in (ConversationStatus.OFFERED, ConversationStatus.SNOOZED, ConversationStatus.RESERVED):
        view["status"] = ConversationStatus.WAITING.value  # who holds it meanwhile is internal
        view["agent"] = None
    return view


def for_principal(c: Conversation, principal: Principal) -> dict[str, Any]:
    return conversation(c) if principal.is_agent else for_visitor(c)


def offer(c: Conversation, reject_allowed: bool) -> dict[str, Any]:
    assert c.offer is not None
    return {"id": c.offer.id, "conversation_id": c.id, "expires_at": iso(c.offer.expires_at),
            "reject_allowed": reject_allowed}


def message(m: Message) -> dict[str, Any]:
    return {
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "client_message_id": m.client_message_id,
        "sender": {"kind": m.sender.kind.value, "id": m.sender.id, "name": m.sender.name},
        "text": m.text,
        "sent_at": iso(m.sent_at),
    }


PUSH_BYTES = 128 * 1024  # API Gateway refuses a bigger frame (PostToConnection): the whole push would fail
_ENVELOPE_BYTES = 1024  # what ws.py adds to an ack ("type", "action" and an "id" of up to 64 characters)


def size(frame: Mapping[str, Any]) -> int:
    """The bytes of `frame` as adapters/push.py sends it: compact JSON in UTF-8."""
    return len(json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))


#: A REST answer stays well under Lambda's 6 MB response limit, with room for the rest of it and JSON's spacing.
REST_BYTES = 4_500_000


def rows_that_fit(rows: list[dict[str, Any]], budget: int = REST_BYTES) -> tuple[list[dict[str, Any]], bool]:
    """The first `rows` whose JSON fits in `budget` bytes, and whether any was left out (a report over many groups,
    or of conversations holding long texts, would otherwise fail as a whole)."""
    for n, row in enumerate(rows):
        budget -= size(row) + 2
        if budget < 0:
            return rows[:n], True
    return rows, False


def messages_that_fit(frame: Mapping[str, Any], messages: list[dict[str, Any]], *, newest: bool
                      ) -> list[dict[str, Any]]:
    """As many of `messages` (frame.message shapes) as fit in one push of `frame`: the newest ones (an offer, an
    assignment: the desk reads the rest with GET .../messages) or the oldest ones (a sync page: `more` asks for the
    rest). A text of 1,940 control characters takes 11,640 bytes (each escaped as \\u0000), so the 10 or 15 messages a
    frame may carry do not always fit."""
    room = PUSH_BYTES - _ENVELOPE_BYTES - size({**frame, "messages": []})
    kept: list[dict[str, Any]] = []
    for m in reversed(messages) if newest else messages:
        room -= size(m) + 1  # and its comma
        if room < 0:
            break
        kept.append(m)
    return kept[::-1] if newest else kept


def agent(a: Agent) -> dict[str, Any]:
    return {
        "kind": "agent",
        "id": a.id,
        "name": a.name,
        "status": a.status.value,
        "status_since": iso(a.status_since) if a.status_since else None,
        "capacity": a.capacity,
        "active": a.active,
        "queues": list(a.queues),
        "queues_off": list(a.queues_off),
        "capacities": {"chat": a.capacity, "call": a.call_capacity, "email": a.email_capacity},
        "skills": dict(a.skills),
        "route_first": a.route_first,
        "multi_channel": a.multi_channel,
        "takes_calls": a.takes_calls,
        "own_line": a.own_line,
        "ask_line_at_login": a.ask_line_at_login,
        "call_line": a.call_line,
        "answer_calls": a.answer_calls,
        "auto_answer": a.auto_answer,
        "auto_answer_seconds": a.auto_answer_seconds,
        "keypad_id": a.keypad_id,
    }


def directory_entry(a: Agent) -> dict[str, Any]:
    """An agent as a transfer picker lists them (GET /tenants/{t}/agents)."""
    return {"id": a.id, "name": a.name, "status": a.status.value, "queues": list(a.queues),
            "takes_calls": a.takes_calls}  # a call is transferred to these only (issue 14)


def contact(c: Contact | None, case_count: int = 0) -> dict[str, Any] | None:
    """A customer's record (CHAT-8), with how many cases it holds; None for no record."""
    if c is None:
        return None
    return {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone, "external_id": c.external_id,
            "created_at": iso(c.created_at) if c.created_at else None, "case_count": case_count}


def case(c: Case) -> dict[str, Any]:
    return {"conversation_id": c.conversation_id, "disposition": c.disposition, "notes": c.notes,
            "saved_as": c.saved_as, "closed_at": iso(c.closed_at)}
