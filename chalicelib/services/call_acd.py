"""ACD mode (issue 14, CB-5): a tenant sends its callbacks to its own ACD number instead of to Guichet's agents.

An attempt of such a tenant does not go through Guichet's routing (call_attempts.start hands it here):
1. the ACD number is dialled (`dial_acd`: party "acd"; its call is the callback's `agent_call`);
2. when the ACD answers, the welcome plays, then silence until `acd_welcome_seconds` have passed since the answer
   (domain/callbacks/acd.py);
3. PlayAudioAndGetDigits asks for the agent's keypad id with `Repeat` = the tries left (`acd_id_tries`); the SMA
   itself asks again for an entry of the wrong length;
4. a known id (`AgentRepository.by_keypad`): the callback names that agent, the ACD leg joins the room
   (JoinChimeMeeting), the visitor is dialled, and the attempt's conversation is assigned to the agent through the
   assignment service, so that it shows on their desk as theirs when they can take a call there (otherwise it
   leaves the queue unseen: the call goes on at the ACD);
   a well-formed unknown id counts one try and asks again with the tries left;
5. no known id after the last try (or the SMA's ACTION_FAILED once its own tries ran out): the ACD leg is hung up
   and the attempt ends with outcome "acd_unknown_agent", retried on the grid of CB-8 like a visitor who was not
   reached (the next attempt may find an agent who knows their id); after the last attempt, not reached.

The ACD not answering or busy follows the same retry grid (no_answer, busy). Once the visitor is dialled, the
visitor's side is services/call_flow.py's, as in agent-first order; whoever hangs up ends the call for both.
Every step is one conditional change of the callback (`acd_tries` and the phase are the expectation) made before
its side effect: an SMA invocation delivered twice finds its expectation gone and acts once.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from chalicelib.domain.callbacks.acd import AcdSettings
from chalicelib.domain.callbacks.attempts import Outcome
from chalicelib.domain.callbacks.model import Callback, CallbackState, CallPhase
from chalicelib.domain.model import Agent, ConversationStatus, Offer, Principal, PrincipalKind
from chalicelib.domain.telephony.actions import (
    AudioFile,
    Hangup,
    JoinChimeMeeting,
    Pause,
    PlayAudio,
    PlayAudioAndGetDigits,
    SmaAction,
)
from chalicelib.domain.telephony.model import ActionFailed, ActionSucceeded, CallAnswered, LegTag, SmaEvent
from chalicelib.domain.telephony.model import Hangup as HungUp
from chalicelib.ports import AssignmentLost, Deps, Room
from chalicelib.services import call_attempts, call_cards, callback_notices, fanout, frames, tenants
from chalicelib.services.calls import NOTHING, CallAnswer

log = logging.getLogger("guichet.calls")

HANG_UP = CallAnswer(actions=(Hangup(),))
#: How long the SMA waits for the id at each try, and between two keys.
ID_WAIT_MS = 10_000
BETWEEN_KEYS_MS = 5_000
_BUSY, _NO_ANSWER = 486, 480


def settings(deps: Deps, tenant: str) -> AcdSettings:
    return tenants.settings_of(deps, tenant).callback.acd


def dial_acd(deps: Deps, callback: Callback) -> None:
    """Dials the ACD for this attempt (its phase, CALLING_ACD, was set by the conditional change that started it)."""
    if deps.telephony is None:
        return
    arguments = {"tenant": callback.tenant, "callback": callback.id, "attempt": str(callback.attempt),
                 "party": "acd"}
    call_id = deps.telephony.dial(settings(deps, callback.tenant).number, arguments)
    call_attempts.store(deps).change(callback.tenant, callback.id, {"agent_call": call_id},
                                     expect={"attempt": callback.attempt})


def on_event(deps: Deps, callback: Callback, attributes: dict[str, str] | Any, event: SmaEvent) -> CallAnswer:
    """What the ACD's call does (services/call_flow.py hands over the events of party "acd")."""
    current = callback.acd and str(callback.attempt) == attributes.get("attempt")
    calling = current and callback.state is CallbackState.CALLING
    if isinstance(event, CallAnswered):
        return _answered(deps, callback) if calling and callback.phase is CallPhase.CALLING_ACD else HANG_UP
    if isinstance(event, HungUp):
        if event.tag is LegTag.B:  # the room closed under the ACD's leg: the call is over
            over = not current or callback.state not in (CallbackState.CALLING, CallbackState.CONNECTED)
            return HANG_UP if over else NOTHING
        if current:
            _hung_up(deps, callback, event.sip_response_code)
        return NOTHING
    if not calling or callback.phase is not CallPhase.IDENTIFYING:
        return NOTHING
    if isinstance(event, ActionSucceeded) and event.action == "PlayAudioAndGetDigits":
        return _identify(deps, callback, event.received_digits or "")
    if isinstance(event, ActionFailed):
        if event.action == "PlayAudioAndGetDigits":  # the SMA's own tries ran out
            return _unknown(deps, callback)
        log.warning("the ACD welcome failed; the id is asked at once", extra={"error_type": event.error_type})
        acd = settings(deps, callback.tenant)
        asked = _ask(deps, acd, acd.id_tries - callback.acd_tries)
        return CallAnswer(actions=asked) if asked else _unknown(deps, callback)
    return NOTHING


def _answered(deps: Deps, callback: Callback) -> CallAnswer:
    acd = settings(deps, callback.tenant)
    if deps.audio is None or not acd.asking:
        return HANG_UP  # nothing to ask with: the ACD's hang-up ends the attempt
    identifying = call_attempts.store(deps).change(
        callback.tenant, callback.id, {"phase": CallPhase.IDENTIFYING, "since": deps.clock.now()},
        expect={"attempt": callback.attempt, "phase": CallPhase.CALLING_ACD})
    if identifying is None:
        return NOTHING
    callback_notices.tell(deps, identifying)
    welcome: tuple[SmaAction, ...] = (PlayAudio(AudioFile(deps.audio.bucket, acd.welcome)),) if acd.welcome else ()
    if acd.silence_ms:
        welcome = (*welcome, Pause(acd.silence_ms))
    return CallAnswer(actions=(*welcome, *_ask(deps, acd, acd.id_tries)))


def _ask(deps: Deps, acd: AcdSettings, tries: int) -> tuple[SmaAction, ...]:
    if deps.audio is None or tries < 1:
        return ()
    prompt = AudioFile(deps.audio.bucket, acd.asking)
    return (PlayAudioAndGetDigits(prompt, prompt, min_digits=acd.id_digits, max_digits=acd.id_digits,
                                  repeat_duration_ms=ID_WAIT_MS, repeat=tries,
                                  digits_regex=rf"^\d{{{acd.id_digits}}}$", between_digits_ms=BETWEEN_KEYS_MS),)


def _identify(deps: Deps, callback: Callback, digits: str) -> CallAnswer:
    agent = deps.agents.by_keypad(callback.tenant, digits) if digits.isdigit() else None
    if agent is None:
        return _wrong(deps, callback)
    taken = call_attempts.store(deps).change(callback.tenant, callback.id, {
        "phase": CallPhase.CALLING_VISITOR, "agent_id": agent.id, "agent_name": agent.name,
        "since": deps.clock.now()},
        expect={"attempt": callback.attempt, "phase": CallPhase.IDENTIFYING, "acd_tries": callback.acd_tries})
    if taken is None:
        return NOTHING
    _to_desk(deps, taken, agent)
    callback_notices.tell(deps, taken)
    call_attempts.dial_visitor(deps, taken)
    if deps.telephony is None or not taken.room:
        return NOTHING
    seat = deps.telephony.add_member(Room(taken.room), f"agent-{agent.id}")
    return CallAnswer(actions=(JoinChimeMeeting(seat.join_token, taken.room),))


def _wrong(deps: Deps, callback: Callback) -> CallAnswer:
    """A well-formed id no agent has: one try used; asked again while tries are left."""
    acd = settings(deps, callback.tenant)
    used = callback.acd_tries + 1
    if used >= acd.id_tries:
        return _unknown(deps, callback)
    again = call_attempts.store(deps).change(callback.tenant, callback.id, {"acd_tries": used}, expect={
        "attempt": callback.attempt, "phase": CallPhase.IDENTIFYING, "acd_tries": callback.acd_tries})
    if again is None:
        return NOTHING
    return CallAnswer(actions=_ask(deps, acd, acd.id_tries - used))


def _unknown(deps: Deps, callback: Callback) -> CallAnswer:
    """No known id after the last try: the ACD leg is hung up (by this answer) and the attempt ends, retried."""
    acd = settings(deps, callback.tenant)
    over = call_attempts.store(deps).change(callback.tenant, callback.id, {"acd_tries": acd.id_tries}, expect={
        "attempt": callback.attempt, "phase": CallPhase.IDENTIFYING, "acd_tries": callback.acd_tries})
    if over is None:
        return NOTHING
    deps.metrics.count("CallbacksAcdUnknownAgent")
    call_attempts.attempt_failed(deps, replace(over, agent_call=""), Outcome.ACD_UNKNOWN_AGENT)
    return HANG_UP


def _hung_up(deps: Deps, callback: Callback, sip_code: int | None) -> None:
    """The ACD's leg ended: a connected call ends for both; before that, the attempt failed (retried on the grid)."""
    if callback.state is CallbackState.CONNECTED:
        call_attempts.ended(deps, callback, "agent_hung_up")
        return
    if callback.state is not CallbackState.CALLING:
        return
    outcome = Outcome.FAILED
    if callback.phase is CallPhase.CALLING_ACD:  # not answered: as a visitor who does not answer (CB-8)
        outcome = {_BUSY: Outcome.BUSY, _NO_ANSWER: Outcome.NO_ANSWER}.get(sip_code or 0, Outcome.FAILED)
    call_attempts.attempt_failed(deps, callback, outcome)


def _to_desk(deps: Deps, callback: Callback, agent: Agent) -> None:
    """The attempt's conversation becomes the identified agent's, through the assignment service (an offer taken at
    once): their desk shows the call card as for a call they answered. The ACD stands for their line (they need no
    own line nor "takes calls"); an agent who cannot take a call on their desk now (offline, away, on a call, or on
    chats: ROUTE-7) does not get it, and the conversation leaves unseen: nobody else must take it."""
    conversation = deps.conversations.get(callback.tenant, callback.call_conversation_id)
    if conversation is None or conversation.status is not ConversationStatus.WAITING:
        return
    now = deps.clock.now()
    # The ACD is the agent's phone for this call: they need no line of their own, only room for a call on the desk.
    agent = replace(agent, takes_calls=True, own_line=settings(deps, callback.tenant).number, ask_line_at_login=False)
    offer = Offer(id=deps.ids.new_id(), agent_id=agent.id, expires_at=now)
    principal = Principal(tenant=agent.tenant, id=agent.id, kind=PrincipalKind.AGENT)
    connections = deps.connections.of(principal)
    try:
        deps.assignments.offer(conversation, agent, offer, now)
        deps.assignments.accept(conversation.offered_to(agent, offer), agent, offer.id, connections, now)
    except AssignmentLost as lost:
        log.info("the ACD's agent cannot take the call on their desk", extra={"reason": lost.reason})
        deps.conversations.dissuade(conversation, now)
        return
    deps.metrics.count("Accepts")
    assigned = replace(conversation.assigned_to(agent), connections=conversation.connections | set(connections))
    attempts = callback_notices.attempts_of(deps, callback.tenant)
    fanout.to_connections(deps, connections, {
        "type": "conversation.assigned", "conversation": frames.conversation(assigned), "messages": [],
        "callback": callback_notices.agent_view(callback, attempts), "origin": call_cards.origin(deps, callback)})
    loaded = deps.agents.get(agent.tenant, agent.id) or agent
    fanout.to_connections(deps, connections, {"type": "agent.status", "agent": frames.agent(loaded)})
