"""What each command the desk's controls send to a live call makes the SIP media application do (issue 14, CB-10):
the exact action list the call flow answers to its CALL_UPDATE_REQUESTED, the event built on the saved fixture
(tests/fixtures/aws-events/chime-sma-call-update-requested.json) with the command's Arguments and the call's
details. Every kind of command has its row: a new one fails `test_every_command_has_its_rendering` until it does."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.callbacks.recording import RecordingState
from chalicelib.domain.telephony.commands import (
    CallCommand,
    CallCommandKind,
    hang_up,
    hold,
    join_room,
    pause_recording,
    play_in_loop,
    resume_recording,
    start_recording,
    to_arguments,
)
from chalicelib.ports import Deps
from tests.unit.fakes_calls import Calls, Dialled, FakeCallbacks
from tests.unit.test_call_flow import connected, setup, sma

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "aws-events"
BUCKET = "audio-bucket"
NOTICE = {"Type": "PlayAudio", "Parameters": {"ParticipantTag": "LEG-A", "AudioSource": {
    "Type": "S3", "BucketName": "audio-bucket", "Key": "audio/t/notice.wav"}}}
MUSIC = {"Type": "PlayAudio", "Parameters": {"ParticipantTag": "LEG-A", "Repeat": 50, "AudioSource": {
    "Type": "S3", "BucketName": BUCKET, "Key": "audio/t/hold.wav"}}}

#: command -> the actions answered, exactly as rendered for the SMA (the visitor's LEG-A is `leg-tx-2`).
RENDERED: list[tuple[CallCommand, list[dict[str, Any]]]] = [
    (hold(), [{"Type": "Hangup", "Parameters": {"SipResponseCode": "0", "ParticipantTag": "LEG-B"}}, MUSIC]),
    (join_room("meeting-cb1", "token-visitor"), [{"Type": "JoinChimeMeeting", "Parameters": {
        "JoinToken": "token-visitor", "MeetingId": "meeting-cb1", "ParticipantTag": "LEG-A"}}]),
    (hang_up(), [{"Type": "Hangup", "Parameters": {"SipResponseCode": "0", "ParticipantTag": "LEG-A"}}]),
    (play_in_loop("audio/t/notice.wav"), [{"Type": "PlayAudio", "Parameters": {
        "ParticipantTag": "LEG-A", "Repeat": 50, "AudioSource": {
            "Type": "S3", "BucketName": BUCKET, "Key": "audio/t/notice.wav"}}}]),
    (start_recording(), [NOTICE, {"Type": "StartCallRecording", "Parameters": {
        "CallId": "leg-tx-2", "Track": "BOTH", "Destination": {
            "Type": "S3", "Location": f"{BUCKET}/recordings/t/cb1"}}}]),
    (pause_recording(), [{"Type": "PauseCallRecording", "Parameters": {"CallId": "leg-tx-2"}}]),
    (resume_recording(), [{"Type": "ResumeCallRecording", "Parameters": {"CallId": "leg-tx-2"}}]),
]
#: What the recording commands find: the card moved the callback's recording state first (services/call_recording).
RECORDING_BEFORE = {CallCommandKind.START_RECORDING: RecordingState.ON,
                    CallCommandKind.PAUSE_RECORDING: RecordingState.PAUSED,
                    CallCommandKind.RESUME_RECORDING: RecordingState.ON}


def update_from_fixture(calls_: Calls, call: Dialled, command: CallCommand) -> dict[str, Any]:
    """The saved CALL_UPDATE_REQUESTED, carrying this command, on this call (its details as the SMA sends them)."""
    event = copy.deepcopy(json.loads((SAMPLES / "chime-sma-call-update-requested.json").read_text()))
    details = calls_.update(call, to_arguments(command))
    event["Sequence"] = details["Sequence"]
    event["CallDetails"] = details["CallDetails"]
    event["ActionData"]["Parameters"]["Arguments"] = to_arguments(command)
    return event


def recorded(deps: Deps, state: RecordingState) -> None:
    """The tenant records calls and has a recording notice; the callback's recording is in `state`."""
    tenant = deps.tenants.get("t")
    found = deps.callbacks.get("t", "cb1") if deps.callbacks else None
    assert tenant is not None and isinstance(deps.callbacks, FakeCallbacks) and found is not None
    callback = replace(tenant.settings.callback, recording=True, recording_notice="audio/t/notice.wav")
    deps.tenants.put(replace(tenant, settings=replace(tenant.settings, callback=callback)))  # type: ignore[attr-defined]
    deps.callbacks.items[("t", "cb1")] = replace(found, recording_state=state)


def test_every_command_has_its_rendering() -> None:
    assert {command.kind for command, _ in RENDERED} == set(CallCommandKind)


@pytest.mark.parametrize(("command", "expected"), RENDERED, ids=[c.kind.value for c, _ in RENDERED])
def test_each_command_on_a_connected_call_answers_its_exact_actions(command: CallCommand,
                                                                    expected: list[dict[str, Any]]) -> None:
    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    if command.kind in RECORDING_BEFORE:  # the tenant records, with a notice, and the card moved the state (CB-9)
        recorded(deps, RECORDING_BEFORE[command.kind])
    answer = sma(deps, calls_, visitor_call, update_from_fixture(calls_, visitor_call, command), twice=True)
    assert answer["Actions"] == expected


def test_an_update_naming_no_command_changes_nothing() -> None:
    """The fixture as saved (a keypad digit from another application) is no command: no action, nothing stored."""
    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    event = update_from_fixture(calls_, visitor_call, hang_up())
    event["ActionData"]["Parameters"]["Arguments"] = {"digit": "3"}
    before = deps.callbacks.get("t", "cb1") if deps.callbacks else None
    assert sma(deps, calls_, visitor_call, event)["Actions"] == []
    assert (deps.callbacks.get("t", "cb1") if deps.callbacks else None) == before
