"""Transfer of a call to another agent with consent, and requalify (issue 14, CB-10).

Transfer to an agent (WS `transfer_call` with `to_agent`): the visitor goes on hold (the music), the first agent
stays on their line, and the target is offered the call: their phone rings (a call of party "agent" whose arguments
name the transfer) and their desk shows the offer like any call offer. The offer lives on the callback (its
`transfer_*` fields, TransferState), not on the conversation, which stays on the first agent's desk until the
target answers, so that a refusal brings nothing back: it never left.
- Answered (the target's CALL_ANSWERED): one conditional change of the callback (the transfer still offered, under
  its id) makes the target its agent; then the conversation moves from desk to desk in one transaction
  (Assignments.hand_over), the target joins the room, the first agent's leg is hung up and they wrap up (Away for
  their auto-answer delay, CB-4), and the visitor is resumed into the room. The target's desk gets the conversation
  with the call card and the whole case (the origin chat, the customer's record).
- Refused (the target's desk Reject, or their phone declines: 486), not answered (their phone rings out) or timed
  out (the tenant's acceptance interval, timer `call.transfer_expired`): one conditional change ends the offer, the
  target's phone stops ringing, and the first agent's desk is told (`callback.updated`, its `transfer` says how it
  ended); the visitor stays on hold until the first agent resumes.
Each ending expects the transfer still offered, under its id: of an accept, a refusal and a timeout racing, exactly
one wins (tests/integration/test_call_transfer_race.py). The offer holds no slot of the target's: should routing
give them a call while their phone rings, their answer finds no free slot and the transfer fails back (`failed`).

Requalify (WS `requalify_call`): as the voice menu would, the call leaves the agent and waits in another group's
queue, the visitor hearing the music, with a note for the next agent (kept on the callback, shown on the agents'
call card only; never logged). Unlike a transfer to a queue (call_controls.transfer_to_queue), which keeps the
call's original request time and so its place, a requalified call is a new request: it queues from now, and the
tenant's maximum delay (CB-3) counts again from now.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.callbacks.model import Callback, CallbackState, TransferState
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.model import Agent, Conversation, ConversationStatus, Principal, PrincipalKind
from chalicelib.domain.routing import Channel, can_take, routing_view
from chalicelib.domain.telephony.actions import Hangup, JoinChimeMeeting
from chalicelib.domain.telephony.commands import hang_up, hold, join_room
from chalicelib.domain.telephony.model import CallAnswered, LegTag, SmaEvent
from chalicelib.domain.telephony.model import Hangup as HungUp
from chalicelib.ports import AssignmentLost, Deps, Room, Timer
from chalicelib.services import (
    call_attempts,
    call_cards,
    call_controls,
    callback_notices,
    contacts,
    fanout,
    frames,
    queue_position,
    routing,
    tenants,
)
from chalicelib.services.calls import NOTHING, CallAnswer

log = logging.getLogger("guichet.calls")

TRANSFER_EXPIRED = "call.transfer_expired"
#: A requalify's note: what the next agent must know, in a few sentences.
NOTE_MAX_CHARS = 500
_DECLINED = 486
_HANG_UP = CallAnswer(actions=(Hangup(),))


# ------------------------------------------------------------------------------------------ transfer to an agent


def transfer_to_agent(deps: Deps, agent: Principal, conversation_id: str, to_agent: str) -> dict[str, Any]:
    """Offers the agent's call to `to_agent` (CB-10): their phone rings; the visitor waits on hold meanwhile."""
    callback = call_controls.held_call(deps, agent, conversation_id)
    if to_agent == agent.id:
        raise InvalidInput("the call is yours already: choose another agent", field="to_agent")
    target = deps.agents.get(agent.tenant, to_agent)
    if target is None:
        raise NotFound("no such agent", field="to_agent")
    if not target.takes_calls or not (target.call_line or target.answers_on_desk):
        raise InvalidInput("this agent takes no calls", field="to_agent")
    if not can_take(routing_view(target), Channel.CALL):
        raise Conflict("this agent cannot take a call now", field="to_agent")
    if callback.transfer_state == TransferState.OFFERED:
        raise Conflict("a transfer of this call waits for its answer already", field="conversation_id")
    if callback.consult_state:
        raise Conflict("end the consult first", field="conversation_id")
    now = deps.clock.now()
    transfer_id = deps.ids.new_id()
    store = call_attempts.store(deps)
    offered = store.change(callback.tenant, callback.id, {
        "transfer_id": transfer_id, "transfer_to": target.id, "transfer_name": target.name,
        "transfer_state": TransferState.OFFERED.value, "transfer_call": "", "transfer_from": agent.id,
        "held_since": callback.held_since or now},
        expect={"attempt": callback.attempt, "state": CallbackState.CONNECTED, "agent_id": agent.id,
                "transfer_id": callback.transfer_id, "transfer_state": callback.transfer_state, "consult_state": ""})
    if offered is None:
        raise Conflict("the call changed meanwhile", field="conversation_id")
    assert deps.telephony is not None
    if callback.held_since is None and not deps.telephony.command(callback.visitor_call, hold()):
        _end_offer(deps, offered, TransferState.FAILED)
        call_controls.call_gone(deps, offered)
        raise Conflict("the visitor's call has ended", field="conversation_id")  # its hang-up ends the callback
    expires_at = now + timedelta(seconds=tenants.settings_of(deps, agent.tenant).acceptance_seconds)
    deps.timers.arm(Timer(kind=TRANSFER_EXPIRED, tenant=agent.tenant,
                          payload={"callback_id": callback.id, "transfer_id": transfer_id}), expires_at, now)
    arguments = {"tenant": callback.tenant, "callback": callback.id, "attempt": str(callback.attempt),
                 "party": "agent", "agent": target.id, "transfer": transfer_id}
    if not target.answers_on_desk:  # their phone rings; a desk answerer accepts on the desk (accept_on_desk)
        call_id = deps.telephony.dial(target.call_line, arguments)
        offered = store.change(callback.tenant, callback.id, {"transfer_call": call_id},
                               expect={"transfer_id": transfer_id}) or offered
    _offer_frame(deps, offered, target, expires_at)
    callback_notices.tell(deps, offered)
    deps.metrics.count("CallTransfersOffered")
    return callback_notices.agent_view(offered, callback_notices.attempts_of(deps, agent.tenant))


def on_target_call(deps: Deps, callback: Callback, attributes: Mapping[str, str], event: SmaEvent) -> CallAnswer:
    """An event of the target's call while the transfer is not theirs yet (services/call_flow.py hands it here)."""
    transfer_id = str(attributes.get("transfer", ""))
    if isinstance(event, CallAnswered):
        joined = accept(deps, callback, transfer_id, event.transaction_id)
        if joined is None or deps.telephony is None:
            return _HANG_UP  # refused, timed out or failed meanwhile: nobody is left on a silent line
        seat = deps.telephony.add_member(Room(joined.room), f"agent-{joined.agent_id}")
        return CallAnswer(actions=(JoinChimeMeeting(seat.join_token, joined.room),))
    if isinstance(event, HungUp):
        if event.tag is LegTag.B:
            return _HANG_UP
        if callback.transfer_id == transfer_id and callback.transfer_state == TransferState.OFFERED:
            declined = event.sip_response_code == _DECLINED
            _end_offer(deps, callback, TransferState.REFUSED if declined else TransferState.TIMED_OUT)
    return NOTHING


def accept(deps: Deps, callback: Callback, transfer_id: str, call_id: str) -> Callback | None:
    """The target answered: the call is theirs (None if the offer ended first: the one winner is the conditional
    change below)."""
    if not transfer_id or deps.telephony is None:
        return None
    now = deps.clock.now()
    store = call_attempts.store(deps)
    first = callback.transfer_from or callback.agent_id
    joined = store.change(callback.tenant, callback.id, {
        "agent_id": callback.transfer_to, "agent_name": callback.transfer_name, "agent_call": call_id,
        "transfer_call": call_id, "transfer_state": TransferState.ACCEPTED.value, "held_since": None, "since": now},
        expect={"attempt": callback.attempt, "state": CallbackState.CONNECTED, "transfer_id": transfer_id,
                "transfer_state": TransferState.OFFERED.value, "agent_id": first})
    if joined is None:
        return None
    holder, target = deps.agents.get(callback.tenant, first), deps.agents.get(callback.tenant, joined.agent_id)
    conversation = deps.conversations.get(callback.tenant, callback.call_conversation_id)
    to_desks = deps.connections.of(Principal(callback.tenant, joined.agent_id, PrincipalKind.AGENT))
    try:
        if holder is None or target is None or conversation is None:
            raise AssignmentLost("agent_gone")
        deps.assignments.hand_over(conversation, holder, target, to_desks, now)
    except AssignmentLost as lost:
        log.info("a transferred call could not change desks", extra={"callback": callback.id, "reason": lost.reason})
        back = store.change(callback.tenant, callback.id, {
            "agent_id": first, "agent_name": callback.agent_name, "agent_call": callback.agent_call,
            "transfer_state": TransferState.FAILED.value, "held_since": callback.held_since or now},
            expect={"transfer_id": transfer_id, "transfer_state": TransferState.ACCEPTED.value})
        if back is not None:
            _withdraw_offer(deps, back, "transfer_failed")
            callback_notices.tell(deps, back)
        return None
    if callback.agent_call:
        deps.telephony.command(callback.agent_call, hang_up())  # the first agent's leg ends; the room stays
    seat = deps.telephony.add_member(Room(joined.room), "visitor")
    deps.telephony.command(joined.visitor_call, join_room(joined.room, seat.join_token))  # the music stops
    _withdraw_offer(deps, joined, "answered")
    _moved(deps, replace(conversation, agent_id=target.id, agent_name=target.name, connections=frozenset(to_desks)),
           holder, target)
    callback_notices.tell(deps, joined)
    callback_notices.tell(deps, joined, first)
    deps.metrics.count("CallTransfersAccepted")
    return joined


def accept_on_desk(deps: Deps, agent: Principal, conversation_id: str, offer_id: str) -> Conversation | None:
    """The target answers on the desk (the softphone, CB-6): their Accept sends `accept_offer` as for any offer, and
    the call is theirs as if their phone had answered; their desk then joins the room (`join_call`). None when the
    offer is no transfer of a call, so that ws.py answers it as any offer."""
    callback = _transfer_offer(deps, agent, conversation_id, offer_id)
    if callback is None:
        return None
    if callback.transfer_call:
        raise Conflict("this call rings your phone: answer it there", field="offer_id")
    joined = accept(deps, callback, offer_id, "")
    conversation = deps.conversations.get(agent.tenant, conversation_id) if joined is not None else None
    if conversation is None:
        raise Conflict("this offer is no longer valid", field="offer_id")
    return conversation


def refuse(deps: Deps, agent: Principal, conversation_id: str, offer_id: str) -> dict[str, Any] | None:
    """The target's desk refused the offer (its Reject sends `reject_offer` as for any offer). None when the offer
    is no transfer of a call, so that ws.py answers it as a chat's."""
    callback = _transfer_offer(deps, agent, conversation_id, offer_id)
    if callback is None:
        return None
    if callback.transfer_state != TransferState.OFFERED or _end_offer(deps, callback, TransferState.REFUSED) is None:
        raise Conflict("this offer is no longer valid", field="offer_id")
    profile = deps.agents.get(agent.tenant, agent.id)
    return {"agent": frames.agent(profile) if profile is not None else None}


def expired(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer `call.transfer_expired`: the offer it was armed for, still unanswered, ends (timed_out)."""
    callback = call_attempts.store(deps).get(tenant, str(payload.get("callback_id", "")))
    if callback is None or callback.transfer_id != payload.get("transfer_id") \
            or callback.transfer_state != TransferState.OFFERED:
        return False
    return _end_offer(deps, callback, TransferState.TIMED_OUT) is not None


def call_ended(deps: Deps, callback: Callback) -> None:
    """The call ended (`callback` as it was) while a transfer was offered: the target's phone stops ringing."""
    if callback.transfer_state == TransferState.OFFERED:
        _end_offer(deps, callback, TransferState.FAILED)


def _transfer_offer(deps: Deps, agent: Principal, conversation_id: str, offer_id: str) -> Callback | None:
    callback_id, _, attempt = conversation_id.rpartition("-")  # a call's conversation: Callback.call_conversation_id
    if not callback_id or not attempt.isdigit() or deps.callbacks is None or not agent.is_agent:
        return None
    callback = deps.callbacks.get(agent.tenant, callback_id)
    if callback is None or callback.attempt != int(attempt) or not callback.transfer_id \
            or callback.transfer_id != offer_id or callback.transfer_to != agent.id:
        return None
    return callback


def _end_offer(deps: Deps, callback: Callback, state: TransferState) -> Callback | None:
    """The offer ends unaccepted (one conditional change): the target's phone stops ringing, their desk drops the
    offer, and the first agent's desk is told; the visitor stays on hold."""
    ended = call_attempts.store(deps).change(callback.tenant, callback.id, {"transfer_state": state.value},
                                             expect={"transfer_id": callback.transfer_id,
                                                     "transfer_state": TransferState.OFFERED.value})
    if ended is None:
        return None
    if ended.transfer_call and deps.telephony is not None:
        deps.telephony.command(ended.transfer_call, hang_up())  # False: it rang out or hung up already
    _withdraw_offer(deps, ended, f"transfer_{state.value}")
    callback_notices.tell(deps, ended)
    deps.metrics.count("CallTransfersNotTaken")
    return ended


def _offer_frame(deps: Deps, callback: Callback, target: Agent, expires_at: datetime) -> None:
    """The target's desks show the offer like any call offer (the call card, the origin chat, the record)."""
    conversation = deps.conversations.get(callback.tenant, callback.call_conversation_id)
    if conversation is None:
        return
    shown = replace(conversation, status=ConversationStatus.OFFERED, agent_id=None, agent_name=None)
    attempts = callback_notices.attempts_of(deps, callback.tenant)
    frame: dict[str, Any] = {
        "type": "offer",
        "offer": {"id": callback.transfer_id, "conversation_id": conversation.id, "expires_at": frames.iso(expires_at),
                  "reject_allowed": True, "transfer_from": callback.transfer_from},
        "conversation": frames.conversation(shown), "contact": contacts.card_for(deps, conversation),
        "callback": callback_notices.agent_view(callback, attempts), "origin": call_cards.origin(deps, callback),
        "messages": []}
    _to_agent(deps, target.id, callback.tenant, frame)


def _withdraw_offer(deps: Deps, callback: Callback, reason: str) -> None:
    _to_agent(deps, callback.transfer_to, callback.tenant, {
        "type": "offer.withdrawn", "conversation_id": callback.call_conversation_id,
        "offer_id": callback.transfer_id, "reason": reason})


def _moved(deps: Deps, conversation: Conversation, holder: Agent, target: Agent) -> None:
    """Desks after the hand-over: the target's get the conversation (as an accepted offer does), the first agent's
    lose it and they wrap up."""
    view = deps.conversations.view_for_send(conversation.tenant, conversation.id, None)
    newest = sorted(view.recent, key=lambda m: m.seq) if view else []
    frame: dict[str, Any] = {"type": "conversation.assigned",
                             "conversation": frames.conversation(conversation, newest[-1].seq if newest else 0)}
    frame["messages"] = frames.messages_that_fit(frame, [frames.message(m) for m in newest], newest=True)
    _to_agent(deps, target.id, target.tenant, frame)
    fresh = deps.agents.get(target.tenant, target.id)
    if fresh is not None:
        _to_agent(deps, target.id, target.tenant, {"type": "agent.status", "agent": frames.agent(fresh)})
    _leaves(deps, conversation, holder)


def _leaves(deps: Deps, conversation: Conversation, holder: Agent) -> None:
    """The first agent's desks drop the conversation (`conversation.transferred`) and stop receiving it; the agent
    wraps up: Away, and Available again after their auto-answer delay (CB-4)."""
    principal = Principal(holder.tenant, holder.id, PrincipalKind.AGENT)
    desks = deps.connections.of(principal)
    fanout.to_connections(deps, desks, {"type": "conversation.transferred",
                                        "conversation": frames.conversation(conversation)})
    gone = set(desks) & set(conversation.connections or ())
    if gone:
        deps.conversations.remove_connections(conversation.tenant, conversation.id, gone)
    call_attempts.after_call(deps, holder)
    away = deps.agents.get(holder.tenant, holder.id)
    if away is not None:
        fanout.to_connections(deps, desks, {"type": "agent.status", "agent": frames.agent(away)})


def _to_agent(deps: Deps, agent_id: str, tenant: str, frame: dict[str, Any]) -> None:
    if agent_id:
        fanout.to_connections(deps, deps.connections.of(Principal(tenant, agent_id, PrincipalKind.AGENT)), frame)


# ------------------------------------------------------------------------------------------------------ requalify


def requalify(deps: Deps, agent: Principal, conversation_id: str, to_queue: str, note: object) -> dict[str, Any]:
    """Sends the call to another group's queue with a note, as a new request (see the module's docstring)."""
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("'note' says why the call goes to that queue", field="note")
    text = note.strip()
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(f"'note' is at most {NOTE_MAX_CHARS} characters", field="note")
    config = tenants.routing_of(deps, agent.tenant)
    if to_queue not in config.groups:
        raise InvalidInput("'to_queue' must be one of the tenant's groups", field="to_queue")
    callback = call_controls.held_call(deps, agent, conversation_id)
    if callback.transfer_state == TransferState.OFFERED:
        raise Conflict("a transfer of this call waits for its answer", field="conversation_id")
    conversation = deps.conversations.get(agent.tenant, conversation_id)
    holder = deps.agents.get(agent.tenant, agent.id)
    if conversation is None or conversation.status is not ConversationStatus.ASSIGNED or holder is None:
        raise Conflict("the call is not on your desk", field="conversation_id")
    if callback.consult_state:
        raise Conflict("end the consult first", field="conversation_id")
    now = deps.clock.now()
    store = call_attempts.store(deps)
    waiting = call_controls.leave_agent(deps, callback, agent, to_queue,
                                        {"note": text, "note_by": holder.name or holder.id})
    try:  # a new request: from now (its place in the queue, and the maximum delay)
        queued = deps.assignments.requeue(replace(conversation, created_at=now), config.groups[to_queue], now=now)
    except AssignmentLost as lost:
        raise Conflict("the conversation changed; reload it", field="conversation_id") from lost
    settings = tenants.settings_of(deps, agent.tenant).callback
    deps.timers.arm(Timer(kind=call_attempts.EXPIRE, tenant=agent.tenant,
                          payload={"callback_id": callback.id, "attempt": callback.attempt}),
                    now + timedelta(seconds=settings.max_delay_seconds), now)
    _leaves(deps, queued, holder)
    if routing.serve_group(deps, queued, exclude=agent.id) is None:
        queue_position.announce(deps, queued.tenant, queued.queue)
    deps.metrics.count("CallsRequalified")
    now_held = store.get(callback.tenant, callback.id) or waiting
    return callback_notices.agent_view(now_held, callback_notices.attempts_of(deps, agent.tenant))
