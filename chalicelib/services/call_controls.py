"""The call card's controls (issue 14, CB-10), for the agent who holds a callback's call. Each is one conditional
change of the callback, then one command to the visitor's call; every desk of the agent hears the new state
(`callback.updated`).

- Hold: the visitor leaves the room and hears the tenant's hold music in a loop; the card shows the time on hold.
- Resume: the visitor joins the room again (a new seat), which interrupts the music.
- Transfer to a queue: the visitor is put on hold, the agent's call is hung up, and the call waits in that group's
  queue with its original request time, routed like a new call; the agent who answers joins the visitor, whose
  music stops (the visitor-first path of services/call_flow.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.callbacks.model import Callback, CallbackState, CallPhase, TransferState
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.model import Principal, Role
from chalicelib.domain.telephony.commands import hang_up, hold, join_room
from chalicelib.ports import Deps, Room
from chalicelib.services import call_attempts, callback_notices, frames, holding, tenants
from chalicelib.services.auth import require_role


def held_call(deps: Deps, agent: Principal, conversation_id: str) -> Callback:
    """The callback whose call this conversation is, connected now, and the caller's."""
    if not agent.is_agent:
        raise Forbidden("agents only", field="conversation_id")
    conversation = deps.conversations.get(agent.tenant, conversation_id)
    found = call_attempts.attempt_of(conversation) if conversation is not None else None
    callback = call_attempts.store(deps).get(agent.tenant, found[0]) if found else None
    if callback is None or found is None or callback.attempt != found[1]:
        raise NotFound("no call of yours in this conversation", field="conversation_id")
    if callback.agent_id != agent.id:
        raise Forbidden("this call is not yours", field="conversation_id")
    if callback.state is not CallbackState.CONNECTED or not callback.visitor_call or deps.telephony is None:
        raise Conflict("the call is not in progress", field="conversation_id")
    return callback


def hold_call(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    callback = held_call(deps, agent, conversation_id)
    held = _change(deps, callback, deps.clock.now(), expected=None, refusal="the visitor is on hold already")
    assert deps.telephony is not None
    if not deps.telephony.command(callback.visitor_call, hold()):
        call_gone(deps, held)
        raise Conflict("the visitor's call has ended", field="conversation_id")
    callback_notices.tell(deps, held)
    return callback_notices.agent_view(held, callback_notices.attempts_of(deps, agent.tenant))


def resume_call(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    callback = held_call(deps, agent, conversation_id)
    if callback.held_since is None:
        raise Conflict("the visitor is not on hold", field="conversation_id")
    if callback.consult_state in ("ringing", "talking"):  # the visitor must never hear a consult (call_consult.py)
        raise Conflict("return to the visitor or join the conference", field="conversation_id")
    back = _change(deps, callback, None, expected=callback.held_since, refusal="the call changed meanwhile")
    assert deps.telephony is not None
    seat = deps.telephony.add_member(Room(callback.room), "visitor")
    if not deps.telephony.command(callback.visitor_call, join_room(callback.room, seat.join_token)):
        call_gone(deps, back)
        raise Conflict("the visitor's call has ended", field="conversation_id")
    callback_notices.tell(deps, back)
    return callback_notices.agent_view(back, callback_notices.attempts_of(deps, agent.tenant))


def transfer_to_queue(deps: Deps, agent: Principal, conversation_id: str, queue: str) -> dict[str, Any]:
    callback = held_call(deps, agent, conversation_id)
    if callback.consult_state:
        raise Conflict("end the consult first", field="conversation_id")
    if callback.transfer_state == TransferState.OFFERED:  # call_transfers: one move of the call at a time
        raise Conflict("a transfer of this call waits for its answer", field="conversation_id")
    if queue not in tenants.routing_of(deps, agent.tenant).groups:
        raise InvalidInput("'to_queue' must be one of the tenant's groups", field="to_queue")
    waiting = leave_agent(deps, callback, agent, queue)
    holding.transfer(deps, agent, conversation_id, to_queue=queue)  # routed: the next agent's phone rings
    now_held = call_attempts.store(deps).get(callback.tenant, callback.id) or waiting
    return callback_notices.agent_view(now_held, callback_notices.attempts_of(deps, agent.tenant))


def leave_agent(deps: Deps, callback: Callback, agent: Principal, queue: str,
                also: dict[str, Any] | None = None) -> Callback:
    """The call leaves the agent for `queue` (a transfer to a queue, a requalify): one conditional change back to
    waiting for an agent (with `also`), then the visitor on hold (the music) and the agent's leg hung up; the room
    stays. The caller queues the call's conversation."""
    now = deps.clock.now()
    waiting = call_attempts.store(deps).change(callback.tenant, callback.id, {
        "state": CallbackState.CALLING, "phase": CallPhase.WAITING_AGENT, "since": now, "queue": queue,
        "held_since": callback.held_since or now, "agent_id": "", "agent_name": "", "agent_call": "", **(also or {})},
        expect={"attempt": callback.attempt, "state": CallbackState.CONNECTED, "agent_id": agent.id})
    if waiting is None:
        raise Conflict("the call changed meanwhile", field="conversation_id")
    assert deps.telephony is not None
    if callback.held_since is None:
        deps.telephony.command(callback.visitor_call, hold())
    if callback.agent_call:
        deps.telephony.command(callback.agent_call, hang_up())  # the agent's leg ends; the room stays
    callback_notices.tell(deps, waiting, agent.id)
    return waiting


def call_gone(deps: Deps, callback: Callback) -> None:
    """UpdateSipMediaApplicationCall found the visitor's call gone (it ended, and its HANGUP is not handled yet or
    was lost): the callback ends now as if the visitor hung up, so that the agent's leg is hung up and the room
    closes; a HANGUP that comes later finds it ended (one conditional change wins)."""
    if callback.state is CallbackState.CONNECTED:
        call_attempts.ended(deps, callback, "visitor_hung_up")


def _change(deps: Deps, callback: Callback, held_since: datetime | None, *, expected: datetime | None,
            refusal: str) -> Callback:
    """One conditional write: a second hold (another desk, a double click) finds the first one done."""
    changed = call_attempts.store(deps).change(
        callback.tenant, callback.id, {"held_since": held_since},
        expect={"attempt": callback.attempt, "state": CallbackState.CONNECTED, "held_since": expected})
    if changed is None:
        raise Conflict(refusal, field="conversation_id")
    return changed


def live_calls(deps: Deps, supervisor: Principal) -> dict[str, Any]:
    """The tenant's calls going on, oldest first, for the supervisors' Calls view: who, with whom, how long, on
    hold or not (issue 14)."""
    require_role(supervisor, Role.SUPERVISOR, Role.ADMIN)
    attempts = callback_notices.attempts_of(deps, supervisor.tenant)
    live = call_attempts.store(deps).live(supervisor.tenant)
    return {"calls": [callback_notices.agent_view(callback, attempts) for callback in live],
            "now": frames.iso(deps.clock.now())}
