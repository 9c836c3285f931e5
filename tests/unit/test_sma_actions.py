"""The SMA response renderer: exact action dicts, the documented limits, and round trips through the translator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.telephony.actions import (
    AudioFile,
    Hangup,
    JoinChimeMeeting,
    Pause,
    PlayAudio,
    PlayAudioAndGetDigits,
    SmaAction,
    SmaResponseRefused,
    StartCallRecording,
    StopCallRecording,
    Track,
    render,
)
from chalicelib.domain.telephony.events import translate
from chalicelib.domain.telephony.model import ActionFailed, ActionSucceeded, LegTag

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "aws-events"  # copies of ../shared/aws-events
MUSIC = AudioFile("guichet-audio", "tenants/demo/hold.wav")
MUSIC_SOURCE = {"Type": "S3", "BucketName": "guichet-audio", "Key": "tenants/demo/hold.wav"}
NOTICE = AudioFile("guichet-audio", "tenants/demo/recording-notice.wav")


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / f"chime-sma-{name}.json").read_text()))


EXACT: list[tuple[SmaAction, dict[str, object]]] = [
    (Hangup(), {"Type": "Hangup", "Parameters": {"ParticipantTag": "LEG-A", "SipResponseCode": "0"}}),
    (Hangup(tag=LegTag.B), {"Type": "Hangup", "Parameters": {"ParticipantTag": "LEG-B", "SipResponseCode": "0"}}),
    (Hangup(call_id="call-id-1", sip_response_code=486),
     {"Type": "Hangup", "Parameters": {"CallId": "call-id-1", "SipResponseCode": "486"}}),
    (PlayAudio(MUSIC), {"Type": "PlayAudio", "Parameters": {"ParticipantTag": "LEG-A", "AudioSource": MUSIC_SOURCE}}),
    (PlayAudio(MUSIC, repeat=50, terminators=("#",)),
     {"Type": "PlayAudio", "Parameters": {"ParticipantTag": "LEG-A", "AudioSource": MUSIC_SOURCE, "Repeat": 50,
                                          "PlaybackTerminators": ["#"]}}),
    (PlayAudioAndGetDigits(NOTICE, MUSIC, min_digits=3, max_digits=5, repeat_duration_ms=10000, repeat=3,
                           digits_regex="^\\d{3,5}$", between_digits_ms=5000),
     {"Type": "PlayAudioAndGetDigits", "Parameters": {
         "ParticipantTag": "LEG-A",
         "AudioSource": {"Type": "S3", "BucketName": "guichet-audio", "Key": "tenants/demo/recording-notice.wav"},
         "FailureAudioSource": MUSIC_SOURCE, "MinNumberOfDigits": 3, "MaxNumberOfDigits": 5, "TerminatorDigits": ["#"],
         "Repeat": 3, "RepeatDurationInMilliseconds": 10000, "InputDigitsRegex": "^\\d{3,5}$",
         "InBetweenDigitsDurationInMilliseconds": 5000}}),
    (JoinChimeMeeting("join-token", "meeting-1"),
     {"Type": "JoinChimeMeeting", "Parameters": {"ParticipantTag": "LEG-A", "JoinToken": "join-token",
                                                 "MeetingId": "meeting-1"}}),
    (StartCallRecording("call-id-1", "guichet-recordings", prefix="demo/callbacks/"),
     {"Type": "StartCallRecording", "Parameters": {"CallId": "call-id-1", "Track": "BOTH",
                                                   "Destination": {"Type": "S3",
                                                                   "Location": "guichet-recordings/demo/callbacks"}}}),
    (StartCallRecording("call-id-1", "guichet-recordings", track=Track.INCOMING),
     {"Type": "StartCallRecording", "Parameters": {"CallId": "call-id-1", "Track": "INCOMING",
                                                   "Destination": {"Type": "S3", "Location": "guichet-recordings"}}}),
    (StopCallRecording("call-id-1"), {"Type": "StopCallRecording", "Parameters": {"CallId": "call-id-1"}}),
    (Pause(1500), {"Type": "Pause", "Parameters": {"ParticipantTag": "LEG-A", "DurationInMilliseconds": "1500"}}),
]

EXACT_IDS = [f"{type(action).__name__}-{i}" for i, (action, _) in enumerate(EXACT)]


@pytest.mark.parametrize(("action", "expected"), EXACT, ids=EXACT_IDS)
def test_each_action_renders_to_its_exact_sma_dict(action: SmaAction, expected: dict[str, object]) -> None:
    assert render([action]) == {"SchemaVersion": "1.0", "Actions": [expected]}


def test_the_room_join_after_a_recording_notice_is_one_ordered_response_with_its_attributes() -> None:
    response = render([PlayAudio(NOTICE), StartCallRecording("call-id-1", "rec"), JoinChimeMeeting("t", "m")],
                      {"callback": "cb-1", "attempt": "2"})
    assert [a["Type"] for a in response["Actions"]] == ["PlayAudio", "StartCallRecording", "JoinChimeMeeting"]
    assert response["TransactionAttributes"] == {"callback": "cb-1", "attempt": "2"}


def test_attributes_left_out_keep_the_stored_ones_and_an_empty_map_erases_them() -> None:
    assert "TransactionAttributes" not in render([Hangup()])
    assert render([], {}) == {"SchemaVersion": "1.0", "Actions": [], "TransactionAttributes": {}}


def test_ten_actions_are_accepted_and_eleven_refused() -> None:
    assert len(render([Pause(100)] * 10)["Actions"]) == 10
    with pytest.raises(SmaResponseRefused, match="at most 10 actions, not 11"):
        render([Pause(100)] * 11)


def test_a_hundred_attributes_are_accepted_and_a_hundred_and_one_refused() -> None:
    hundred = {f"k{i}": "v" for i in range(100)}
    assert render([], hundred)["TransactionAttributes"] == hundred
    with pytest.raises(SmaResponseRefused, match="at most 100 transaction attributes, not 101"):
        render([], {**hundred, "k100": "v"})


def test_attributes_are_refused_beyond_20_000_bytes_of_json() -> None:
    fits = {"k": "x" * (20_000 - len('{"k":""}'))}
    assert render([], fits)["TransactionAttributes"] == fits
    with pytest.raises(SmaResponseRefused, match="at most 20000 bytes, not 20001"):
        render([], {"k": fits["k"] + "x"})
    with pytest.raises(SmaResponseRefused, match="not 20001"):  # 20,000 characters, but é is two bytes in UTF-8
        render([], {"k": fits["k"][:-1] + "é"})


def test_attributes_that_are_not_strings_are_refused() -> None:
    with pytest.raises(SmaResponseRefused, match="strings to strings"):
        render([], {"attempt": 2})  # type: ignore[dict-item]


@pytest.mark.parametrize("action", [
    Hangup(sip_response_code=404),
    PlayAudio(MUSIC, repeat=0),
    PlayAudio(MUSIC, repeat=True),
    PlayAudio(MUSIC, terminators=("x",)),
    PlayAudioAndGetDigits(NOTICE, MUSIC, min_digits=6, max_digits=5, repeat_duration_ms=1000),
    PlayAudioAndGetDigits(NOTICE, MUSIC, min_digits=1, max_digits=5, repeat_duration_ms=0),
    PlayAudioAndGetDigits(NOTICE, MUSIC, min_digits=1, max_digits=5, repeat_duration_ms=1000, between_digits_ms=-1),
    JoinChimeMeeting("", "meeting-1"),
    JoinChimeMeeting("join-token", ""),
    StartCallRecording("", "rec"),
    Pause(0),
], ids=repr)
def test_actions_the_sma_would_refuse_are_refused_before_answering(action: SmaAction) -> None:
    with pytest.raises(SmaResponseRefused):
        render([action])


def echoed(response: dict[str, Any], index: int, outcome: str, sequence: int) -> dict[str, Any]:
    """The invocation the SMA sends after running action `index` of `response`: its ActionData echoes the action,
    its CallDetails carry the TransactionAttributes the response stored."""
    details = {**load("call-answered")["CallDetails"], "TransactionAttributes": response["TransactionAttributes"]}
    return {"SchemaVersion": "1.0", "Sequence": sequence, "InvocationEventType": outcome,
            "ActionData": response["Actions"][index], "CallDetails": details}


@pytest.mark.parametrize(("action", "expected"), EXACT, ids=EXACT_IDS)
def test_what_was_rendered_comes_back_in_the_sma_outcome(action: SmaAction, expected: dict[str, Any]) -> None:
    response = render([action], {"callback": "cb-1"})
    event = translate(echoed(response, 0, "ACTION_SUCCESSFUL", 2))
    assert isinstance(event, ActionSucceeded)
    assert (event.action, event.parameters, event.attributes) == (expected["Type"], expected["Parameters"],
                                                                  {"callback": "cb-1"})
    assert event.call_id == expected["Parameters"].get("CallId")


def test_the_documented_play_audio_failure_echoes_exactly_what_the_renderer_writes() -> None:
    failure = translate(load("action-failed-play-audio"))
    assert isinstance(failure, ActionFailed)
    rendered = render([PlayAudio(AudioFile("bucket-name", "audio-file.wav"), call_id="call-id-1")])
    assert rendered["Actions"] == [{"Type": failure.action, "Parameters": failure.parameters}]

