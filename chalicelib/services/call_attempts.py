"""A callback's attempts (issue 13: CB-1, CB-3, CB-4, CB-7, CB-8): starting one at its time, ringing the agent it
is offered to, ending it (connected, not reached, retried, expired), and auto-answer after the call.

Each attempt is a conversation of medium `inbound_call` (`Callback.call_conversation_id`), routed by the routing
engine like any other: capacity 1, exclusivity with chats, "route calls to me first", and media priority (an
inbound call: the visitor waits now). A scheduled callback enters the queue at its booked time, ordered by that
time; a retry keeps its place (the conversation's `created_at` is the callback's time).

Every step is one conditional change of the callback (`CallbackRepository.change`) made before its side effect: a
timer or an SMA invocation delivered twice finds its expectation gone the second time and dials nothing. The SMA's
events reach this module through services/call_flow.py.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.domain.callbacks.attempts import Next, Outcome, after_attempt
from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState, CallPhase
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, Unavailable
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    Offer,
    Principal,
    PrincipalKind,
    VisitorInfo,
    WrapUp,
)
from chalicelib.domain.routing import Channel, Medium, RoutingContext
from chalicelib.domain.telephony.commands import hang_up
from chalicelib.ports import AssignmentLost, CallbackRepository, Deps, Room, Timer
from chalicelib.services import agents, board, callback_mail, callback_notices, fanout, frames, routing, tenants

log = logging.getLogger("guichet.callbacks")

DUE = "callback.due"
EXPIRE = "callback.expire"
AFTER_CALL = "agent.after_call"
#: A recording plays from the case through a URL this short-lived (CB-9).
RECORDING_URL_SECONDS = 300


def store(deps: Deps) -> CallbackRepository:
    if deps.callbacks is None:
        raise Unavailable("callbacks are not set up here", field="callback_id")
    return deps.callbacks


def is_call(conversation: Conversation) -> bool:
    return Medium(conversation.medium).channel is Channel.CALL


def attempt_of(conversation: Conversation) -> tuple[str, int] | None:
    """The callback and attempt a call's conversation stands for (`Callback.call_conversation_id`)."""
    callback_id, _, attempt = conversation.id.rpartition("-")
    return (callback_id, int(attempt)) if callback_id and attempt.isdigit() else None


def arm_first(deps: Deps, callback: Callback) -> None:
    """A new callback's first attempt: now (immediate), or at its booked time (an EventBridge Scheduler `at()`
    schedule when that is more than 15 minutes away)."""
    now = deps.clock.now()
    due = callback.at if callback.mode is CallbackMode.SCHEDULED and callback.at else now
    # A booking's time rides along: the timer armed before the visitor moved it starts nothing (`start`).
    at = {"at": callback.at.isoformat()} if callback.at else {}
    deps.timers.arm(Timer(kind=DUE, tenant=callback.tenant, payload={"callback_id": callback.id, "attempt": 1, **at}),
                    due, now)


def start(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer `callback.due`: attempt `attempt` starts, once, if the callback still waits for it."""
    callbacks = store(deps)
    callback = callbacks.get(tenant, str(payload.get("callback_id", "")))
    attempt = payload.get("attempt")
    if callback is None or not isinstance(attempt, int):
        return False
    waiting = CallbackState.BOOKED if attempt == 1 else CallbackState.RETRYING
    if callback.state is not waiting or callback.attempt != attempt - 1:
        return False
    if attempt == 1 and "at" in payload and callback.at is not None and payload["at"] != callback.at.isoformat():
        return False  # armed for the time the visitor then moved the booking from
    settings = tenants.settings_of(deps, tenant).callback
    now = deps.clock.now()
    visitor_first, acd = settings.call_order == "visitor_first", settings.acd.on  # ACD mode: services/call_acd.py
    phase = CallPhase.CALLING_ACD if acd else CallPhase.CALLING_VISITOR if visitor_first else CallPhase.WAITING_AGENT
    started = callbacks.change(tenant, callback.id, {
        "state": CallbackState.CALLING, "attempt": attempt, "since": now, "next_at": None, "phase": phase,
        "first_attempt_at": callback.first_attempt_at or callback.at or now, "outcome": "",
        "agent_id": "", "agent_name": "", "agent_call": "", "visitor_call": "", "acd": acd, "acd_tries": 0},
        expect={"state": waiting, "attempt": attempt - 1})
    if started is None:
        return False  # a second delivery of the timer: the first one started it
    deps.metrics.count("CallbackAttempts")
    config = tenants.routing_of(deps, tenant)
    try:
        route = routing.route_of(config, RoutingContext(queue="default", channel=Channel.CALL))
    except Unavailable:
        _expire_now(deps, started)
        return True
    room = deps.telephony.open_room(callback.id) if deps.telephony is not None else None
    started = callbacks.change(tenant, callback.id, {"room": room.meeting_id if room else "",
                                                     "queue": route.groups[0].id}, expect={"attempt": attempt}) \
        or started
    conversation = Conversation(
        tenant=tenant, id=started.call_conversation_id, visitor_id=callback.visitor_id,
        created_at=callback.at or callback.created_at, visitor=VisitorInfo(name=callback.name),
        medium=Medium.INBOUND_CALL.value, queue=route.groups[0].id, rule=route.rule.id, priority=route.priority,
        consent_at=now)
    with contextlib.suppress(Conflict):  # created by a delivery that stopped half-way: carry on with it
        deps.conversations.create(conversation)
    deps.timers.arm(Timer(kind=EXPIRE, tenant=tenant, payload={"callback_id": callback.id, "attempt": attempt}),
                    now + timedelta(seconds=settings.max_delay_seconds), now)
    callback_notices.tell(deps, started)
    if acd or visitor_first:
        from chalicelib.services.call_acd import dial_acd  # it builds on this module
        (dial_acd if acd else dial_visitor)(deps, started)
        return True
    admit(deps, started, conversation)
    return True


def admit(deps: Deps, callback: Callback, conversation: Conversation) -> None:
    """The attempt's conversation enters its group's queue, or is offered at once; every group full: it expires."""
    config = tenants.routing_of(deps, callback.tenant)
    try:
        routing.admit(deps, conversation, routing.route_of(config, RoutingContext(queue="default",
                                                                                  channel=Channel.CALL)))
    except Unavailable:
        _expire_now(deps, callback)


def dial_visitor(deps: Deps, callback: Callback) -> None:
    """Calls the visitor for this attempt (the phase already says so: that conditional change is the guard)."""
    if deps.telephony is None:
        return
    call_id = deps.telephony.dial(callback.phone, _arguments(callback, "visitor"))
    store(deps).change(callback.tenant, callback.id, {"visitor_call": call_id}, expect={"attempt": callback.attempt})


def on_offered(deps: Deps, conversation: Conversation, agent: Agent, offer: Offer) -> Callback | None:
    """Routing offered an attempt to `agent`: their phone rings, and answering is accepting (CB-6; softphone.py)."""
    found = attempt_of(conversation)
    if found is None or deps.callbacks is None:
        return None
    callbacks = store(deps)
    ringing = callbacks.change(conversation.tenant, found[0], {
        "phase": CallPhase.RINGING_AGENT, "agent_id": agent.id, "agent_name": agent.name, "agent_call": "",
        "since": deps.clock.now()}, expect={"attempt": found[1], "state": CallbackState.CALLING})
    if ringing is None:
        return None
    if deps.telephony is not None and agent.call_line and not agent.answers_on_desk:
        arguments = {**_arguments(ringing, "agent"), "agent": agent.id, "offer": offer.id}
        call_id = deps.telephony.dial(agent.call_line, arguments)
        ringing = callbacks.change(conversation.tenant, ringing.id, {"agent_call": call_id},
                                   expect={"attempt": found[1], "agent_id": agent.id}) or ringing
    callback_notices.tell(deps, ringing)
    return ringing


def on_withdrawn(deps: Deps, conversation: Conversation, agent_id: str) -> None:
    """The offer went away (the agent rejected it, did not answer in time, or hung up): their phone stops ringing
    and the attempt waits for the next agent; it is not a failed attempt for the visitor (CB-8)."""
    found = attempt_of(conversation)
    if found is None or deps.callbacks is None:
        return
    callback = store(deps).get(conversation.tenant, found[0])
    if callback is None or callback.attempt != found[1] or callback.agent_id != agent_id:
        return
    if callback.agent_call and deps.telephony is not None:
        deps.telephony.command(callback.agent_call, hang_up())
    back = store(deps).change(callback.tenant, callback.id, {
        "phase": CallPhase.WAITING_AGENT, "agent_id": "", "agent_name": "", "agent_call": "",
        "since": deps.clock.now()}, expect={"attempt": found[1], "agent_id": agent_id})
    if back is not None:
        callback_notices.tell(deps, back, agent_id)


def attempt_failed(deps: Deps, callback: Callback, outcome: Outcome) -> Callback | None:
    """The visitor was not reached (no answer, busy, failed): the attempt ends, and the next one is due on the
    first attempt's grid (9:00, 9:05 ... 9:20), or the callback ends as not reached after the last (CB-8)."""
    settings = tenants.settings_of(deps, callback.tenant).callback
    now = deps.clock.now()
    first_due = callback.first_attempt_at or now
    grid = first_due + (callback.attempt - 1) * settings.retry.spacing
    step = after_attempt(outcome, callback.attempt, first_due=first_due, started_at=grid, policy=settings.retry)
    cleared = {"phase": CallPhase.NONE, "since": now, "outcome": outcome.value, "agent_call": "", "visitor_call": ""}
    expect = {"state": CallbackState.CALLING, "attempt": callback.attempt}
    if step.next is Next.RETRY:
        ended = store(deps).change(callback.tenant, callback.id, {
            **cleared, "state": CallbackState.RETRYING, "next_at": step.due_at}, expect=expect)
    else:
        ended = store(deps).change(callback.tenant, callback.id, {**cleared, "state": CallbackState.NOT_REACHED},
                                   expect=expect)
    if ended is None:
        return None
    if step.next is Next.RETRY and step.due_at is not None:  # first: the retry must not hang on what follows
        deps.timers.arm(Timer(kind=DUE, tenant=callback.tenant,
                              payload={"callback_id": callback.id, "attempt": step.attempt}), step.due_at, now)
    _hang_up_all(deps, callback)
    _release(deps, callback)
    if step.next is not Next.RETRY:
        _close_room(deps, callback)
        deps.metrics.count("CallbacksNotReached")
        _mail(deps, ended, "not_reached")
    callback_notices.tell(deps, ended, callback.agent_id)
    return ended


def ended(deps: Deps, callback: Callback, outcome: str) -> Callback | None:
    """One party hung up a connected call (or the visitor left while waiting): the other is hung up, and the
    callback ends. The agent closes the attempt's conversation with the close form (disposition)."""
    done = store(deps).change(callback.tenant, callback.id, {
        "state": CallbackState.ENDED, "phase": CallPhase.NONE, "since": deps.clock.now(), "outcome": outcome},
        expect={"state": callback.state, "attempt": callback.attempt})
    if done is None:
        return None
    _hang_up_all(deps, callback)
    if callback.state is not CallbackState.CONNECTED:
        _release(deps, callback)  # the visitor left before an agent took the call
    _close_room(deps, callback)
    callback_notices.tell(deps, done)
    return done


def cancelled(deps: Deps, before: Callback) -> None:
    """The visitor cancelled (`before` is the callback as it was): a call in progress is hung up and its
    conversation leaves the queue or the agent's desk; a pending retry finds nothing to start."""
    if before.attempt == 0:
        return
    _hang_up_all(deps, before)
    _release(deps, before)
    _close_room(deps, before)
    if before.agent_id:
        cancelled_now = store(deps).get(before.tenant, before.id)
        if cancelled_now is not None:
            callback_notices.tell(deps, cancelled_now, before.agent_id)


def expire(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer `callback.expire`: no agent took the attempt within the tenant's maximum delay (CB-3). The visitor is
    told (the widget offers a slot), and whoever was rung or dialled is hung up."""
    callback = store(deps).get(tenant, str(payload.get("callback_id", "")))
    if callback is None or callback.state is not CallbackState.CALLING or callback.attempt != payload.get("attempt"):
        return False
    if callback.phase not in (CallPhase.WAITING_AGENT, CallPhase.RINGING_AGENT):
        return False  # an agent took it, or the visitor is being dialled
    return _expire_now(deps, callback)


def _expire_now(deps: Deps, callback: Callback) -> bool:
    expired = store(deps).change(callback.tenant, callback.id, {
        "state": CallbackState.EXPIRED, "phase": CallPhase.NONE, "since": deps.clock.now(), "outcome": "expired"},
        expect={"state": CallbackState.CALLING, "attempt": callback.attempt, "phase": callback.phase})
    if expired is None:
        return False
    deps.metrics.count("CallbacksExpired")
    _hang_up_all(deps, callback)
    _release(deps, callback)
    _close_room(deps, callback)
    callback_notices.tell(deps, expired, callback.agent_id)
    return True


def still_on_the_phone(deps: Deps, conversation: Conversation) -> bool:
    """A call's conversation whose call is still going on (the agent wraps up once it has ended)."""
    found = attempt_of(conversation)
    if found is None or deps.callbacks is None:
        return False
    callback = deps.callbacks.get(conversation.tenant, found[0])
    return callback is not None and callback.attempt == found[1] and callback.state is CallbackState.CONNECTED


def after_call(deps: Deps, agent: Agent) -> None:
    """The agent closed a call (CB-4): Away now, and Available again after their auto-answer delay unless they
    change their status meanwhile; without auto-answer they come back by hand."""
    away = deps.agents.set_status(agent.tenant, agent.id, AgentStatus.AWAY, deps.clock.now())
    board.changed(deps, agent.tenant)
    if agent.auto_answer:
        now = deps.clock.now()
        deps.timers.arm(Timer(kind=AFTER_CALL, tenant=agent.tenant,
                              payload={"agent_id": agent.id, "version": away.version}),
                        now + timedelta(seconds=agent.auto_answer_seconds), now)


def back_after_call(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer `agent.after_call`: Available again, if nothing changed the agent since the call ended."""
    agent = deps.agents.get(tenant, str(payload.get("agent_id", "")))
    if agent is None or agent.status is not AgentStatus.AWAY or agent.version != payload.get("version"):
        return False
    agents.set_status(deps, Principal(tenant=tenant, id=agent.id, kind=PrincipalKind.AGENT), "available")
    return True


def hang_up_by_agent(deps: Deps, principal: Principal, callback_id: str) -> dict[str, Any]:
    """The call card's Hang up: both calls are hung up; the SMA's hang-up events end the callback. A call the
    telephony no longer knows (gone meanwhile) ends it here."""
    callback = store(deps).get(principal.tenant, callback_id)
    if callback is None or not principal.is_agent:
        raise NotFound("no such callback", field="callback_id")
    if callback.agent_id != principal.id:
        raise Forbidden("this call is not yours", field="callback_id")
    if callback.state not in (CallbackState.CALLING, CallbackState.CONNECTED):
        raise Conflict("this callback has no call in progress", field="callback_id")
    live = [deps.telephony.command(call, hang_up()) for call in (callback.agent_call, callback.visitor_call)
            if call and deps.telephony is not None]
    result = callback
    if not any(live):
        if callback.state is CallbackState.CONNECTED:
            result = ended(deps, callback, "agent_hung_up") or callback
        else:
            result = attempt_failed(deps, callback, Outcome.FAILED) or callback
    return callback_notices.agent_view(result, callback_notices.attempts_of(deps, principal.tenant))


def recording_url(deps: Deps, principal: Principal, callback_id: str) -> dict[str, Any]:
    """A short-lived URL to play a callback's recording (agents and supervisors of the tenant: CB-9)."""
    if not principal.is_agent:
        raise Forbidden("agents only")
    callback = store(deps).get(principal.tenant, callback_id)
    if callback is None or not callback.recording_key or deps.audio is None:
        raise NotFound("this callback has no recording", field="callback_id")
    expires_at = deps.clock.now() + timedelta(seconds=RECORDING_URL_SECONDS)
    return {"url": deps.audio.presigned_url(callback.recording_key, RECORDING_URL_SECONDS),
            "expires_at": frames.iso(expires_at)}


def _arguments(callback: Callback, party: str) -> dict[str, str]:
    return {"tenant": callback.tenant, "callback": callback.id, "attempt": str(callback.attempt), "party": party}


def _hang_up_all(deps: Deps, callback: Callback) -> None:
    if deps.telephony is None:
        return
    for call in (callback.agent_call, callback.visitor_call, callback.consult_call):  # consult: issue 14
        if call:
            deps.telephony.command(call, hang_up())  # False: gone already


def _close_room(deps: Deps, callback: Callback) -> None:
    if deps.telephony is not None and callback.room:
        deps.telephony.close_room(Room(callback.room))


def _release(deps: Deps, callback: Callback) -> None:
    """The attempt's conversation leaves the queue or the agent's desk: an offer is withdrawn without sending the
    agent Away, a taken one is closed by the system (no disposition: nobody talked) and the agent pulls the next."""
    conversation = deps.conversations.get(callback.tenant, callback.call_conversation_id)
    if conversation is None or not conversation.status.is_open:
        return
    now = deps.clock.now()
    agent = deps.agents.get(callback.tenant, conversation.offer.agent_id if conversation.offer
                            else conversation.agent_id or "")
    try:
        if conversation.status is ConversationStatus.OFFERED and conversation.offer and agent is not None:
            deps.assignments.withdraw(conversation, agent, conversation.offer.id, set_away=False, now=now)
            _to_agent(deps, agent, {"type": "offer.withdrawn", "conversation_id": conversation.id,
                                    "offer_id": conversation.offer.id, "reason": "callback_ended"})
            conversation = deps.conversations.get(callback.tenant, conversation.id) or conversation
        if conversation.status is ConversationStatus.WAITING:
            deps.conversations.dissuade(conversation, now)
            return
        if conversation.status is ConversationStatus.ASSIGNED and agent is not None:
            wrap_up = WrapUp(closed_at=now, disposition="", notes="", saved_as="case")
            deps.assignments.close(conversation, agent, wrap_up)
            closed = replace(conversation, status=ConversationStatus.CLOSED, wrap_up=wrap_up)
            _to_agent(deps, agent, {"type": "conversation.closed", "conversation": frames.conversation(closed)})
    except AssignmentLost:
        log.info("a callback's conversation changed while its attempt ended", extra={"callback": callback.id})
        return
    if agent is not None:
        freed = deps.agents.get(agent.tenant, agent.id)
        if freed is not None:
            routing.pull(deps, freed)
            _to_agent(deps, freed, {"type": "agent.status",
                                    "agent": frames.agent(deps.agents.get(agent.tenant, agent.id) or freed)})


def _to_agent(deps: Deps, agent: Agent, frame: dict[str, Any]) -> None:
    principal = Principal(tenant=agent.tenant, id=agent.id, kind=PrincipalKind.AGENT)
    fanout.to_connections(deps, deps.connections.of(principal), frame)


def _mail(deps: Deps, callback: Callback, kind: str) -> None:
    """The visitor's email (services/callback_mail.py), when they gave an address; a failure is logged there and
    does not stop the call flow."""
    if callback.email and kind == "not_reached":
        callback_mail.not_reached(deps, callback, language=callback.language)
