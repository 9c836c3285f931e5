"""Recording from the call card (issue 14, CB-9, CB-10): the agent who holds a connected call starts, pauses and
resumes its recording, when the tenant records calls and never for a visitor who asked not to be recorded.

Each control is one conditional change of the callback's `recording_state` (a second click, or another desk of the
agent, finds the first one done: Conflict), then one command to the visitor's call, then `callback.updated` to every
desk of the agent (callback_notices.tell). The SIP media application's handler turns the command into actions on the
visitor's leg (`sma_actions`, called by services/call_flow.py for CALL_UPDATE_REQUESTED):

- start: the tenant's recording notice plays to the visitor first (they are told before anything is recorded: CB-9),
  then StartCallRecording, both directions, to the same place as a call drawn to be recorded;
- pause / resume: PauseCallRecording / ResumeCallRecording. The SMA records a tone then silence while paused, and
  a leg is started (and stopped) once, so pause and resume are the only way back after a start.

A call drawn to be recorded started recording when the visitor answered: once connected it is already "on"
(recording.current), so the card offers Pause, not Record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.domain.callbacks import recording
from chalicelib.domain.callbacks.model import Callback, CallbackState
from chalicelib.domain.callbacks.recording import RecordingState
from chalicelib.domain.errors import Conflict, Forbidden
from chalicelib.domain.model import Principal
from chalicelib.domain.telephony.actions import (
    AudioFile,
    PauseCallRecording,
    PlayAudio,
    ResumeCallRecording,
    SmaAction,
    StartCallRecording,
)
from chalicelib.domain.telephony.commands import (
    CallCommand,
    CallCommandKind,
    pause_recording,
    resume_recording,
    start_recording,
)
from chalicelib.domain.telephony.model import Leg
from chalicelib.ports import Deps
from chalicelib.services import call_attempts, call_controls, callback_notices, tenants

#: The commands of a live call that are this module's (services/call_flow.py hands them to `sma_actions`).
COMMANDS = frozenset({CallCommandKind.START_RECORDING, CallCommandKind.PAUSE_RECORDING,
                      CallCommandKind.RESUME_RECORDING})
FIELD = "recording"


def start(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    """Records the call from now on, after the notice (CB-9). Refused for an opted-out visitor, a tenant that does
    not record, a visitor on hold (the notice must be heard), and a call recorded (or paused) already."""
    callback = call_controls.held_call(deps, agent, conversation_id)
    _allowed(deps, callback)
    if callback.held_since is not None:
        raise Conflict("the visitor is on hold: resume the call first, so that they hear the recording notice",
                       field=FIELD)
    if not tenants.settings_of(deps, callback.tenant).callback.recording_notice or deps.audio is None:
        raise Conflict("upload a recording notice first: it plays before recording starts", field=FIELD)
    _expect(callback, RecordingState.NONE, {RecordingState.ON: "the call is being recorded already",
                                            RecordingState.PAUSED: "the recording is paused: resume it"})
    return _move(deps, agent, callback, RecordingState.ON, start_recording())


def pause(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    """Silence is recorded until `resume`: the agent pauses while the visitor gives what must not be kept."""
    callback = call_controls.held_call(deps, agent, conversation_id)
    if callback.no_record:
        raise Forbidden(recording.OPTED_OUT, field=FIELD)
    _expect(callback, RecordingState.ON, {RecordingState.NONE: "the call is not being recorded",
                                          RecordingState.PAUSED: "the recording is paused already"})
    return _move(deps, agent, callback, RecordingState.PAUSED, pause_recording())


def resume(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    callback = call_controls.held_call(deps, agent, conversation_id)
    _allowed(deps, callback)
    _expect(callback, RecordingState.PAUSED, {RecordingState.NONE: "the call is not being recorded",
                                              RecordingState.ON: "the recording is not paused"})
    return _move(deps, agent, callback, RecordingState.ON, resume_recording())


def sma_actions(deps: Deps, callback: Callback, kind: CallCommandKind, legs: Sequence[Leg]) -> tuple[SmaAction, ...]:
    """The visitor's leg's actions for a recording command. Commands come in the order they were sent: a pause that
    follows a start at once finds the callback paused already, so only `start` reads the state (it never records
    a callback whose control did not move, nor an opted-out visitor)."""
    leg = legs[0].call_id if legs else ""
    if not leg or deps.audio is None or callback.no_record:
        return ()
    if kind is CallCommandKind.PAUSE_RECORDING:
        return (PauseCallRecording(leg),)
    if kind is CallCommandKind.RESUME_RECORDING:
        return (ResumeCallRecording(leg),)
    notice = tenants.settings_of(deps, callback.tenant).callback.recording_notice
    if callback.recording_state is RecordingState.NONE or not notice:
        return ()
    return (PlayAudio(AudioFile(deps.audio.bucket, notice)),
            StartCallRecording(call_id=leg, bucket=deps.audio.bucket,
                               prefix=f"recordings/{callback.tenant}/{callback.id}"))


def _allowed(deps: Deps, callback: Callback) -> None:
    reason = recording.refusal(callback_notices.recording_policy(deps, callback.tenant), opted_out=callback.no_record)
    if reason is not None:
        raise Forbidden(reason, field=FIELD)


def _state(callback: Callback) -> RecordingState:
    return recording.current(callback.recording_state, drawn=callback.record, opted_out=callback.no_record,
                             connected=callback.state is CallbackState.CONNECTED)


def _expect(callback: Callback, wanted: RecordingState, refusals: dict[RecordingState, str]) -> None:
    state = _state(callback)
    if state is not wanted:
        raise Conflict(refusals[state], field=FIELD)


def _move(deps: Deps, agent: Principal, callback: Callback, to: RecordingState, command: CallCommand
          ) -> dict[str, Any]:
    """One conditional write on the state as read: of two clicks (or two desks) at once, one moves it."""
    moved = call_attempts.store(deps).change(callback.tenant, callback.id, {"recording_state": to}, expect={
        "attempt": callback.attempt, "state": CallbackState.CONNECTED, "agent_id": agent.id,
        "recording_state": callback.recording_state})
    if moved is None:
        raise Conflict("the recording changed meanwhile", field=FIELD)
    assert deps.telephony is not None  # held_call checked it
    if not deps.telephony.command(callback.visitor_call, command):
        raise Conflict("the visitor's call has ended", field="conversation_id")  # its hang-up ends the callback
    callback_notices.tell(deps, moved)
    policy = callback_notices.recording_policy(deps, callback.tenant)
    return callback_notices.agent_view(moved, callback_notices.attempts_of(deps, callback.tenant), policy)
