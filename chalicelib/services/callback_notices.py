"""What the visitor's widgets and the agent's desks are told of a callback (issue 13): a `callback.updated` frame at
every change of state or phase. The visitor sees their number masked; the agent sees it whole, with the attempt, the
phase and when it began (the call card's timer), and whether the card may record the call (issue 14, CB-10)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.callbacks import numbers, recording
from chalicelib.domain.callbacks.model import Callback, CallbackState
from chalicelib.domain.model import Conversation, Principal, PrincipalKind
from chalicelib.ports import Deps
from chalicelib.services import board, fanout, frames, tenants


def _iso(moment: Any) -> str | None:
    return frames.iso(moment) if moment is not None else None


def attempts_of(deps: Deps, tenant: str) -> int:
    return tenants.settings_of(deps, tenant).callback.retry.attempts


def visitor_view(callback: Callback, attempts: int) -> dict[str, Any]:
    """A callback as its visitor sees it (the number masked: a page's other scripts need not read it back)."""
    return {"id": callback.id, "mode": callback.mode.value, "state": callback.state.value,
            "at": _iso(callback.at), "slot": callback.slot or None, "phone": numbers.masked(callback.phone),
            "name": callback.name, "attempt": callback.attempt, "attempts": attempts,
            "next_at": _iso(callback.next_at), "phase": callback.phase.value}


def recording_policy(deps: Deps, tenant: str) -> recording.RecordingPolicy:
    return tenants.settings_of(deps, tenant).callback.recording


def agent_view(callback: Callback, attempts: int, policy: recording.RecordingPolicy | None = None
               ) -> dict[str, Any]:
    """A callback as the agent who calls back sees it (the contract of docs/websocket.md, `callback.updated`). With
    the tenant's recording `policy`, also whether the card may record it and why not (`may_record`,
    `no_record_reason`); the desk keeps the last ones it was told when a frame has none."""
    state = recording.current(callback.recording_state, drawn=callback.record, opted_out=callback.no_record,
                              connected=callback.state is CallbackState.CONNECTED)
    view = {"id": callback.id, "conversation_id": callback.call_conversation_id or None,
            "origin_conversation_id": callback.conversation_id or None, "phone": callback.phone,
            "name": callback.name, "state": callback.state.value, "phase": callback.phase.value,
            "since": _iso(callback.since), "attempt": callback.attempt, "attempts": attempts,
            "mode": callback.mode.value, "at": _iso(callback.at), "next_at": _iso(callback.next_at),
            "record": callback.record, "recording": bool(callback.recording_key), "outcome": callback.outcome or None,
            "agent_name": callback.agent_name or None, "queue": callback.queue or None,
            "held_since": _iso(callback.held_since), "recording_state": state.value or "off",
            "consult": consult_view(callback), "transfer": _transfer(callback),
            "note": {"text": callback.note, "by": callback.note_by} if callback.note else None}
    if policy is not None:
        reason = recording.refusal(policy, opted_out=callback.no_record)
        view.update(may_record=reason is None, no_record_reason=reason)
    return view


def consult_view(callback: Callback) -> dict[str, Any] | None:
    """The consult (services/call_consult.py) as the card shows it: whom (an agent's name, or the number masked), its
    state, since when, and how the last one ended; None when there never was one."""
    if not callback.consult_state and not callback.consult_outcome:
        return None
    number = callback.consult_to.startswith("+")
    return {"kind": "number" if number else "agent", "to": None if number else callback.consult_to or None,
            "name": numbers.masked(callback.consult_to) if number else callback.consult_name,
            "state": callback.consult_state or None, "since": _iso(callback.consult_since),
            "outcome": callback.consult_outcome or None}


def _transfer(callback: Callback) -> dict[str, Any] | None:
    """The last transfer to another agent (issue 14, CB-10): to whom, from whom, and where it stands."""
    if not callback.transfer_state:
        return None
    return {"id": callback.transfer_id, "to": callback.transfer_to, "to_name": callback.transfer_name,
            "from": callback.transfer_from, "state": callback.transfer_state}


def tell(deps: Deps, callback: Callback, agent_id: str = "") -> None:
    """Every open widget of the visitor, and every open desk of the agent who holds (or just held) the callback."""
    attempts, policy = attempts_of(deps, callback.tenant), recording_policy(deps, callback.tenant)
    board.changed(deps, callback.tenant)  # a call's state moves the live calls
    visitor = Principal(tenant=callback.tenant, id=callback.visitor_id, kind=PrincipalKind.VISITOR)
    fanout.to_connections(deps, deps.connections.of(visitor),
                          {"type": "callback.updated", "callback": visitor_view(callback, attempts)})
    holder = agent_id or callback.agent_id
    if holder:
        agent = Principal(tenant=callback.tenant, id=holder, kind=PrincipalKind.AGENT)
        fanout.to_connections(deps, deps.connections.of(agent),
                              {"type": "callback.updated", "callback": agent_view(callback, attempts, policy)})


def card_for(deps: Deps, conversation: Conversation) -> dict[str, Any] | None:
    """The call card's callback for an agent's conversation that is a callback's attempt (a reloaded desk shows the
    card again); None for any other conversation."""
    callback_id, _, attempt = conversation.id.rpartition("-")
    if conversation.medium != "inbound_call" or not attempt.isdigit() or deps.callbacks is None:
        return None
    found = deps.callbacks.get(conversation.tenant, callback_id)
    if found is None:
        return None
    return agent_view(found, attempts_of(deps, conversation.tenant), recording_policy(deps, conversation.tenant))
