"""The callback's call flow on the SIP media application (issue 13: CB-6 to CB-9): what each party's call does when
it is answered, hangs up, finishes an action or is asked to act. `flow_for(deps)` is the `CallFlow` that
services/calls.py hands the SMA's events to, once translated and deduplicated.

Every call Guichet places carries its tenant, callback, attempt and party in its arguments; the first event of the
call (NEW_OUTBOUND_CALL) stores them as transaction attributes, so that every later event names them too.

Agent first (the default, CB-7): the agent's phone rings; answering accepts the offer, the agent hears hold music
while the visitor is dialled; when the visitor answers, the recording notice plays and recording starts (when the
callback's draw says so, CB-9), and both join the callback's room. Visitor first: the visitor is dialled at once and
hears the notice then hold music while the attempt waits in the queue; the agent who answers joins them.

A visitor who does not answer, is busy or fails ends the attempt (call_attempts.attempt_failed: retried, or not
reached); an agent who does not answer goes Away and the next agent is tried (offers.withdraw_call). Whoever hangs
up a connected call ends it for both. A consulted party's call, and the visitor's after a cold transfer to a number,
go to services/call_consult.py (issue 14).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from chalicelib.domain.callbacks.attempts import Outcome
from chalicelib.domain.callbacks.model import OPEN_STATES, Callback, CallbackState, CallPhase
from chalicelib.domain.errors import DomainError
from chalicelib.domain.model import ConversationStatus, Principal, PrincipalKind
from chalicelib.domain.telephony.actions import (
    AudioFile,
    Hangup,
    JoinChimeMeeting,
    PlayAudio,
    SmaAction,
    StartCallRecording,
)
from chalicelib.domain.telephony.commands import CallCommandKind, from_arguments, join_room
from chalicelib.domain.telephony.model import (
    ActionFailed,
    ActionSucceeded,
    CallAnswered,
    CallUpdateRequested,
    LegTag,
    NewOutboundCall,
    SmaEvent,
)
from chalicelib.domain.telephony.model import Hangup as HungUp
from chalicelib.ports import Deps, Room
from chalicelib.services import (
    call_acd,
    call_attempts,
    call_consult,
    call_recording,
    call_transfers,
    callback_notices,
    offers,
    tenants,
)
from chalicelib.services.calls import NOTHING, CallAnswer, CallFlow

log = logging.getLogger("guichet.calls")

HANG_UP = CallAnswer(actions=(Hangup(),))
#: Hold music loops this many times per action, and again each time the action ends while someone still waits.
MUSIC_REPEAT = 50
_BUSY, _NO_ANSWER = 486, 480


def flow_for(deps: Deps) -> CallFlow:
    def flow(event: SmaEvent) -> CallAnswer:
        return on_event(deps, event)

    return flow


def on_event(deps: Deps, event: SmaEvent) -> CallAnswer:
    if isinstance(event, NewOutboundCall):  # every later event of the call names its arguments
        return CallAnswer(attributes=dict(event.arguments)) if event.arguments else NOTHING
    attributes = event.attributes
    party, tenant = attributes.get("party"), attributes.get("tenant", "")
    callback = deps.callbacks.get(tenant, attributes.get("callback", "")) if deps.callbacks and tenant else None
    if callback is None or party not in ("agent", "visitor", "acd", call_consult.PARTY):
        return HANG_UP if isinstance(event, CallAnswered) else NOTHING
    if isinstance(event, CallUpdateRequested):
        return _command(deps, callback, event)
    if party == "acd":  # ACD mode (CB-5)
        return call_acd.on_event(deps, callback, attributes, event)
    if attributes.get("transfer") and callback.agent_id != attributes.get("agent"):
        return call_transfers.on_target_call(deps, callback, attributes, event)  # a transfer's target (issue 14)
    consulted = call_consult.on_event(deps, callback, party, event, _music)  # issue 14: consult, transfer out
    if consulted is not None:
        return consulted
    current = callback.attempt == _int(attributes.get("attempt")) and (
        party == "visitor" or callback.agent_id == attributes.get("agent"))
    if isinstance(event, CallAnswered):
        if not current or callback.state not in OPEN_STATES:
            return HANG_UP  # an attempt or an offer that is over: nobody must be left on a silent line
        if party == "agent":
            return _agent_answered(deps, callback, attributes, event)
        return _visitor_answered(deps, callback, event)
    if isinstance(event, HungUp):
        if event.tag is LegTag.B:  # the room's leg went: the room closed (the call ends), or the party is on hold
            over = not current or callback.state not in (CallbackState.CALLING, CallbackState.CONNECTED)
            if over:
                return HANG_UP
            return CallAnswer(actions=_music(deps, callback.tenant)) if _waiting(callback, party) else NOTHING
        if current:
            _hung_up(deps, callback, party, event.sip_response_code)
        return NOTHING
    if isinstance(event, ActionSucceeded):
        return _action_done(deps, callback, party, event, current)
    if isinstance(event, ActionFailed):
        log.warning("an SMA action failed", extra={"action": event.action, "error_type": event.error_type})
    return NOTHING


def _agent_answered(deps: Deps, callback: Callback, attributes: Mapping[str, str], event: CallAnswered) -> CallAnswer:
    """Answering is accepting the offer (CB-6); the agent's phone then joins the room (visitor first, or after a
    transfer) or hears the hold music while the visitor is dialled (agent first)."""
    agent = Principal(tenant=callback.tenant, id=callback.agent_id, kind=PrincipalKind.AGENT)
    try:
        offers.accept(deps, agent, callback.call_conversation_id, attributes.get("offer"), on_phone=True)
    except DomainError:
        return HANG_UP  # expired or withdrawn meanwhile
    taken = agent_took(deps, callback)
    if taken is None:
        return NOTHING  # another delivery of this answer already did it
    if taken.phase is not CallPhase.CONNECTED:
        return CallAnswer(actions=_music(deps, callback.tenant))
    if deps.telephony is None or not taken.room:
        return NOTHING
    seat = deps.telephony.add_member(Room(taken.room), f"agent-{taken.agent_id}")
    return CallAnswer(actions=(JoinChimeMeeting(seat.join_token, taken.room),))


def agent_took(deps: Deps, callback: Callback) -> Callback | None:
    """The agent took the call offered to them (CB-6), by answering their phone or with Accept on the desk
    (services/softphone.py): one path for both. Visitor first, or after a transfer to a queue (the visitor waits on
    the line, RINGING_AGENT with a visitor call): connected, and the visitor joins the room. Agent first: the visitor
    is dialled. None when the conditional change finds it done already (a second delivery)."""
    now = deps.clock.now()
    store = call_attempts.store(deps)
    if callback.phase is CallPhase.RINGING_AGENT and callback.visitor_call:
        joined = store.change(callback.tenant, callback.id, {
            "state": CallbackState.CONNECTED, "phase": CallPhase.CONNECTED, "since": now, "outcome": "connected",
            "held_since": None, "connected_at": callback.connected_at or now},
            expect={"attempt": callback.attempt, "phase": CallPhase.RINGING_AGENT})
        if joined is None:
            return None
        if deps.telephony is not None and joined.room:
            room = Room(joined.room)
            visitor_seat = deps.telephony.add_member(room, "visitor")
            deps.telephony.command(joined.visitor_call, join_room(room.meeting_id, visitor_seat.join_token))
        callback_notices.tell(deps, joined)
        return joined
    dialling = store.change(callback.tenant, callback.id, {"phase": CallPhase.CALLING_VISITOR, "since": now},
                            expect={"attempt": callback.attempt, "phase": CallPhase.RINGING_AGENT,
                                    "agent_id": callback.agent_id})
    if dialling is None:
        return None
    callback_notices.tell(deps, dialling)
    call_attempts.dial_visitor(deps, dialling)
    return dialling


def _visitor_answered(deps: Deps, callback: Callback, event: CallAnswered) -> CallAnswer:
    leg = event.legs[0].call_id if event.legs else None
    store = call_attempts.store(deps)
    now = deps.clock.now()
    notice = _recording(deps, callback, leg)
    if callback.phase is not CallPhase.CALLING_VISITOR:
        return HANG_UP
    if not callback.agent_id:  # visitor first: they hear music while the attempt waits for an agent
        waiting = store.change(callback.tenant, callback.id, {"phase": CallPhase.WAITING_AGENT, "since": now},
                               expect={"attempt": callback.attempt, "phase": CallPhase.CALLING_VISITOR})
        if waiting is None:
            return NOTHING
        callback_notices.tell(deps, waiting)
        conversation = deps.conversations.get(callback.tenant, callback.call_conversation_id)
        if conversation is not None and conversation.status is ConversationStatus.WAITING:
            call_attempts.admit(deps, waiting, conversation)
        return CallAnswer(actions=_then_music(deps, callback.tenant, notice))
    connected = store.change(callback.tenant, callback.id, {
        "state": CallbackState.CONNECTED, "phase": CallPhase.CONNECTED, "since": now, "outcome": "connected",
        "connected_at": callback.connected_at or now}, expect={"attempt": callback.attempt,
                                                               "phase": CallPhase.CALLING_VISITOR})
    if connected is None or deps.telephony is None or not connected.room:
        return NOTHING
    deps.metrics.count("CallbacksConnected")
    room = Room(connected.room)
    if connected.agent_call and not connected.acd:  # a desk agent's softphone is in the room; the ACD's leg
        agent_seat = deps.telephony.add_member(room, f"agent-{connected.agent_id}")  # joined when its agent was known
        deps.telephony.command(connected.agent_call, join_room(room.meeting_id, agent_seat.join_token))
    seat = deps.telephony.add_member(room, "visitor")
    callback_notices.tell(deps, connected)
    return CallAnswer(actions=(*notice, JoinChimeMeeting(seat.join_token, room.meeting_id)))


def _hung_up(deps: Deps, callback: Callback, party: str, sip_code: int | None) -> None:
    if callback.state is CallbackState.CONNECTED:
        call_attempts.ended(deps, callback, f"{party}_hung_up")
        call_transfers.call_ended(deps, callback)  # a transfer's target: their phone stops ringing (issue 14)
        return
    if callback.state is not CallbackState.CALLING:
        return
    if party == "agent":
        if callback.phase is CallPhase.RINGING_AGENT:  # did not answer, or declined: Away, and the next agent
            conversation = deps.conversations.get(callback.tenant, callback.call_conversation_id)
            if conversation is not None:
                offers.withdraw_call(deps, conversation, callback.agent_id, "no_answer")
        elif callback.phase is CallPhase.CALLING_VISITOR:
            call_attempts.attempt_failed(deps, callback, Outcome.FAILED)
        return
    if callback.phase is CallPhase.CALLING_VISITOR:
        outcome = {_BUSY: Outcome.BUSY, _NO_ANSWER: Outcome.NO_ANSWER}.get(sip_code or 0, Outcome.FAILED)
        call_attempts.attempt_failed(deps, callback, outcome)
    else:
        call_attempts.ended(deps, callback, "visitor_hung_up")  # left while waiting for an agent (visitor first)


def _action_done(deps: Deps, callback: Callback, party: str, event: ActionSucceeded, current: bool) -> CallAnswer:
    if event.action == "StartCallRecording" and event.recording_location:
        key = event.recording_location.removeprefix("s3://").split("/", 1)[-1]
        call_attempts.store(deps).change(callback.tenant, callback.id, {"recording_key": key},
                                         expect={"attempt": callback.attempt})
    if event.action in ("PlayAudio", "StartCallRecording") and current and _waiting(callback, party):
        return CallAnswer(actions=_music(deps, callback.tenant))  # the loop ran out, or recording started: music
    return NOTHING


def _then_music(deps: Deps, tenant: str, actions: Sequence[SmaAction]) -> tuple[SmaAction, ...]:
    """`actions`, then the hold music for a party who waits. The SMA reports only the last action of a list, and
    StartCallRecording's success carries the recording's key: a list that starts recording ends with it, and the
    music follows on its ACTION_SUCCESSFUL (`_action_done`)."""
    if actions and isinstance(actions[-1], StartCallRecording):
        return tuple(actions)
    return (*actions, *_music(deps, tenant))


def _waiting(callback: Callback, party: str) -> bool:
    if callback.state is CallbackState.CONNECTED:
        return party == "visitor" and callback.held_since is not None  # on hold (issue 14)
    if callback.state is not CallbackState.CALLING:
        return False
    if party == "agent":
        return callback.phase is CallPhase.CALLING_VISITOR
    return callback.phase in (CallPhase.WAITING_AGENT, CallPhase.RINGING_AGENT)


def _command(deps: Deps, callback: Callback, event: CallUpdateRequested) -> CallAnswer:
    """A command the app sent to a live call (telephony port `command`)."""
    try:
        command = from_arguments(event.arguments)
    except DomainError:
        return NOTHING
    if command.kind is CallCommandKind.HANG_UP:
        return HANG_UP
    if command.kind is CallCommandKind.HOLD:  # out of the room (its meeting leg), then the hold music in a loop
        return CallAnswer(actions=(Hangup(tag=LegTag.B), *_music(deps, callback.tenant)))
    if command.kind is CallCommandKind.JOIN_ROOM:
        return CallAnswer(actions=(JoinChimeMeeting(command.parameters["join_token"],
                                                    command.parameters["meeting_id"]),))
    if command.kind is CallCommandKind.PLAY_IN_LOOP and deps.audio is not None:
        audio = AudioFile(deps.audio.bucket, command.parameters["audio_key"])
        return CallAnswer(actions=(PlayAudio(audio, repeat=MUSIC_REPEAT),))
    if command.kind in call_recording.COMMANDS:  # from the card (issue 14); a visitor on hold keeps the music
        actions = call_recording.sma_actions(deps, callback, command.kind, event.legs)
        if _waiting(callback, "visitor"):
            return CallAnswer(actions=_then_music(deps, callback.tenant, actions))
        return CallAnswer(actions=actions)
    return NOTHING


def _music(deps: Deps, tenant: str) -> Sequence[SmaAction]:
    """Hold music in a loop (CB-7), when the tenant uploaded one; silence otherwise."""
    key = tenants.settings_of(deps, tenant).callback.hold_music
    if not key or deps.audio is None:
        return ()
    return (PlayAudio(AudioFile(deps.audio.bucket, key), repeat=MUSIC_REPEAT),)


def _recording(deps: Deps, callback: Callback, leg: str | None) -> tuple[SmaAction, ...]:
    """The notice, then recording of the visitor's leg, both directions (CB-9), for a callback drawn to be recorded
    (never one whose visitor opted out: the draw says no for them)."""
    if not callback.record or callback.no_record or deps.audio is None or not leg:
        return ()
    key = tenants.settings_of(deps, callback.tenant).callback.recording_notice
    if not key:
        return ()  # no notice, no recording: the visitor must be told first
    start = StartCallRecording(call_id=leg, bucket=deps.audio.bucket,
                               prefix=f"recordings/{callback.tenant}/{callback.id}")
    return PlayAudio(AudioFile(deps.audio.bucket, key)), start


def _int(value: object) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else -1
