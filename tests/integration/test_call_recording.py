"""Recording from the call card (issue 14, CB-9, CB-10) on real parts: DynamoDB and S3 on moto's server, the phones
and the SIP media application on the phone emulator (local/phone.py), every SMA invocation delivered twice (the
`line` fixture: tests/integration/call_line.py). Then the emulator's own semantics of PauseCallRecording and
ResumeCallRecording, with a scripted handler (as in test_phone_emulator.py): a pause without a recording fails, a
leg is started once, and a pause is silence in the written WAV."""

from __future__ import annotations

import base64
import io
import struct
import threading
import time
import wave
from typing import Any

import pytest

from chalicelib.domain.callbacks.model import Callback, CallbackState
from chalicelib.domain.errors import Conflict, DomainError, Forbidden
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.services import call_audio, call_recording, callbacks, tenants
from chalicelib.services.callbacks import CallbackRequest
from local.phone import EmulatedCall, PhoneExchange
from local.phone_media import Recording
from tests.integration.call_line import ALICE, ANSWER, VISITOR, Line, hire, silent_wav, until
from tests.integration.test_phone_emulator import (  # noqa: F401  (fixtures)
    BUCKET,
    FakeSma,
    actions,
    dial,
    exchange,
    pause,
    s3,
    sma,
)

AGENT = "alice"
RATE = 8000


def recording_on(line: Line) -> str:
    """The tenant records calls, none by the draw (0 %): only the card starts a recording. Answers the notice's key."""
    admin = Principal(line.tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))
    notice = call_audio.upload(line.deps, admin, "recording_notice", base64.b64encode(silent_wav(0.5)).decode())
    tenants.change_settings(line.deps, admin, {"callback": {"recording": True, "recording_share_percent": 0}})
    return str(notice["key"])


def connected_call(line: Line, *, opted_out: bool = False) -> tuple[Callback, EmulatedCall]:
    hire(line, AGENT, ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)
    who = Principal(line.tenant, "v-1", PrincipalKind.VISITOR)
    asked = callbacks.request_callback(line.deps, who, CallbackRequest(phone=VISITOR, name="Ada", when="now",
                                                                       do_not_record=opted_out))
    assert line.fire_due() == 1
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    until(lambda: line.exchange.phones[VISITOR].room is not None, what="the visitor in the room")
    visitor_call = next(c for c in line.exchange.calls.values() if c.to_number == VISITOR)
    return asked, visitor_call


def answers_to_updates(call: EmulatedCall) -> list[list[str]]:
    return [[a["Type"] for a in (e["answer"] or {}).get("Actions", [])] for e in list(call.events)
            if e["type"] == "CALL_UPDATE_REQUESTED"]


def the_recording(line: Line, call: EmulatedCall) -> Recording:
    until(lambda: any(r.transaction_id == call.transaction_id for r in line.exchange.recordings), what="recording")
    return next(r for r in line.exchange.recordings if r.transaction_id == call.transaction_id)


def frames_of(s3_client: Any, recording: Recording) -> tuple[int, bytes]:
    with wave.open(io.BytesIO(s3_client.get_object(Bucket=recording.bucket, Key=recording.key)["Body"].read())) as wav:
        return wav.getnchannels(), wav.readframes(wav.getnframes())


def loud(frames: bytes, channels: int, start: float, end: float) -> bool:
    """Whether any sample in [start, end) seconds is not silence."""
    chunk = frames[int(start * RATE) * 2 * channels:int(end * RATE) * 2 * channels]
    assert chunk, "the span is outside the recording"
    return any(struct.unpack(f"<{len(chunk) // 2}h", chunk))


def test_start_on_demand_plays_the_notice_then_records_the_visitor(line: Line) -> None:
    notice = recording_on(line)
    asked, visitor_call = connected_call(line)
    alice = Principal(line.tenant, AGENT, PrincipalKind.AGENT)
    assert line.exchange.recordings == []  # not drawn: nothing recorded at the answer
    assert call_recording.start(line.deps, alice, f"{asked.id}-1")["recording_state"] == "on"
    recording = the_recording(line, visitor_call)
    assert answers_to_updates(visitor_call) == [["PlayAudio", "StartCallRecording"]]
    update = next(e for e in visitor_call.events if e["type"] == "CALL_UPDATE_REQUESTED")
    assert update["answer"]["Actions"][0]["Parameters"]["AudioSource"]["Key"] == notice  # told first (CB-9)
    assert recording.call_id == visitor_call.call_id and recording.track == "BOTH"
    until(lambda: line.callback(asked.id).recording_key == recording.key, what="the key linked to the callback")
    assert recording.key.startswith(f"recordings/{line.tenant}/{asked.id}/")
    assert line.exchange.press(VISITOR, "hang_up")
    until(lambda: recording.seconds is not None, what="written at the end of the call")
    assert not visitor_call.mismatches  # every invocation, delivered twice, answered the same
    assert len(line.exchange.recordings) == 1


def test_pause_then_resume_records_silence_for_the_pause(line: Line) -> None:
    recording_on(line)
    asked, visitor_call = connected_call(line)
    alice, conversation = Principal(line.tenant, AGENT, PrincipalKind.AGENT), f"{asked.id}-1"
    call_recording.start(line.deps, alice, conversation)
    recording = the_recording(line, visitor_call)
    time.sleep(0.4)
    assert call_recording.pause(line.deps, alice, conversation)["recording_state"] == "paused"
    until(lambda: len(recording.paused) == 1, what="paused")
    time.sleep(0.6)
    assert call_recording.resume(line.deps, alice, conversation)["recording_state"] == "on"
    until(lambda: recording.paused[0][1] is not None, what="resumed")
    time.sleep(0.4)
    assert line.exchange.press(VISITOR, "hang_up")
    until(lambda: recording.seconds is not None, what="written")
    [[paused_at, resumed_at]] = recording.paused
    assert paused_at is not None and resumed_at is not None and resumed_at - paused_at >= 0.55
    channels, frames = frames_of(line.exchange.s3, recording)
    assert channels == 2
    assert loud(frames, channels, 0.05, paused_at - 0.05)  # the voices before the pause
    assert loud(frames, channels, paused_at, paused_at + 0.08)  # the pause's tone
    assert not loud(frames, channels, paused_at + 0.15, resumed_at - 0.05)  # silence while paused
    assert loud(frames, channels, resumed_at + 0.15, resumed_at + 0.3)  # the voices again
    assert answers_to_updates(visitor_call) == [["PlayAudio", "StartCallRecording"], ["PauseCallRecording"],
                                                ["ResumeCallRecording"]]
    assert not visitor_call.mismatches


def test_an_opted_out_visitor_is_refused_and_nothing_is_recorded(line: Line) -> None:
    recording_on(line)
    asked, visitor_call = connected_call(line, opted_out=True)
    alice = Principal(line.tenant, AGENT, PrincipalKind.AGENT)
    with pytest.raises(Forbidden, match="the visitor asked not to be recorded"):
        call_recording.start(line.deps, alice, f"{asked.id}-1")
    assert line.callback(asked.id).recording_state.value == ""
    assert answers_to_updates(visitor_call) == []  # no command reached the call
    assert line.exchange.press(VISITOR, "hang_up")
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    assert line.exchange.recordings == [] and line.callback(asked.id).recording_key == ""


def test_two_clicks_at_once_start_one_recording(line: Line) -> None:
    recording_on(line)
    asked, visitor_call = connected_call(line)
    alice = Principal(line.tenant, AGENT, PrincipalKind.AGENT)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def click() -> None:
        barrier.wait()
        try:
            outcomes.append(call_recording.start(line.deps, alice, f"{asked.id}-1")["recording_state"])
        except DomainError as refused:
            outcomes.append(type(refused).__name__)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == [Conflict.__name__, "on"]
    the_recording(line, visitor_call)
    time.sleep(0.3)  # a second command would have been delivered by now
    assert answers_to_updates(visitor_call) == [["PlayAudio", "StartCallRecording"]]
    assert len(line.exchange.recordings) == 1


# ---- the emulator's semantics, with a scripted handler ------------------------------------------------------------

def start(call_id: str) -> dict[str, Any]:
    return {"Type": "StartCallRecording", "Parameters": {
        "CallId": call_id, "Track": "BOTH", "Destination": {"Type": "S3", "Location": f"{BUCKET}/recordings"}}}


def pause_recording(call_id: str) -> dict[str, Any]:
    return {"Type": "PauseCallRecording", "Parameters": {"CallId": call_id}}


def leg(event: dict[str, Any]) -> str:
    return str(event["CallDetails"]["Participants"][0]["CallId"])


def test_a_pause_without_a_recording_fails(exchange: PhoneExchange, sma: FakeSma) -> None:  # noqa: F811
    sma.on("CALL_ANSWERED", lambda event: actions(pause_recording(leg(event)), pause(10)))
    dial(exchange, ANSWER)
    failed = sma.wait_for("ACTION_FAILED")
    assert failed["ActionData"]["Type"] == "PauseCallRecording"
    assert failed["ActionData"]["ErrorType"] == "InvalidActionParameter"
    assert "ACTION_SUCCESSFUL" not in sma.types()  # the rest of the list is cleared


def test_a_leg_is_recorded_once(exchange: PhoneExchange, sma: FakeSma) -> None:  # noqa: F811
    sma.on("CALL_ANSWERED", lambda event: actions(start(leg(event))))
    sma.on("ACTION_SUCCESSFUL", lambda event: actions(start(leg(event))))
    dial(exchange, ANSWER)
    failed = sma.wait_for("ACTION_FAILED")
    assert (failed["ActionData"]["Type"], failed["ActionData"]["ErrorType"]) == ("StartCallRecording",
                                                                                "InvalidActionParameter")
    assert len(exchange.recordings) == 1


def test_pause_twice_fails_and_resume_records_again(exchange: PhoneExchange, sma: FakeSma,  # noqa: F811
                                                    s3: Any) -> None:  # noqa: F811
    resume = {"Type": "ResumeCallRecording", "Parameters": {"CallId": ""}}
    # Pause lasts its duration x the fixture's audio scale (0.05): 4,000 ms is 0.2 s, 10,000 ms 0.5 s.
    sma.on("CALL_ANSWERED", lambda event: actions(start(leg(event)), pause(4000), pause_recording(leg(event)),
                                                  pause(10000), {**resume, "Parameters": {"CallId": leg(event)}},
                                                  pause(4000), pause_recording(leg(event)),
                                                  pause_recording(leg(event))))
    sma.on("ACTION_FAILED", actions({"Type": "Hangup", "Parameters": {"ParticipantTag": "LEG-A",
                                                                      "SipResponseCode": "0"}}))
    dial(exchange, ANSWER)
    failed = sma.wait_for("ACTION_FAILED")
    assert failed["ActionData"]["Type"] == "PauseCallRecording"  # the second pause in a row
    sma.wait_for("HANGUP")
    [recording] = exchange.recordings
    until_written(recording)
    [[first_from, first_to], [_, second_to]] = recording.paused
    assert first_from is not None and first_to is not None and second_to is None  # paused when the call ended
    assert first_to - first_from >= 0.45
    channels, frames = frames_of(s3, recording)
    assert not loud(frames, channels, first_from + 0.12, first_to - 0.01)
    assert loud(frames, channels, first_to, first_to + 0.08)  # the resume's tone


def until_written(recording: Recording) -> None:
    until(lambda: recording.seconds is not None, what="the recording written")
