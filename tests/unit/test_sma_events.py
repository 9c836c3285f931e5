"""The SMA translator on every saved SMA event (tests/fixtures/aws-events/chime-sma-*.json, copied from
../shared/aws-events) and on the doc quirks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.telephony.events import translate
from chalicelib.domain.telephony.model import (
    ActionFailed,
    ActionInterrupted,
    ActionSucceeded,
    BadSmaEvent,
    CallAnswered,
    CallUpdateRequested,
    DigitsReceived,
    Direction,
    Hangup,
    InvalidResponseReported,
    Leg,
    LegStatus,
    LegTag,
    NewInboundCall,
    NewOutboundCall,
    Ringing,
    SmaEvent,
    Unknown,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "aws-events"  # copies of ../shared/aws-events
FIXTURES = sorted(SAMPLES.glob("chime-sma-*.json"))
IN, OUT, UP, DOWN = Direction.INBOUND, Direction.OUTBOUND, LegStatus.CONNECTED, LegStatus.DISCONNECTED
T0, T1, T2 = 159700958834234, 1597009588, 15010595


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / f"chime-sma-{name}.json").read_text()))


def leg(call_id: str, tag: LegTag, to: str, frm: str, direction: Direction, status: LegStatus | None,
        started: int) -> Leg:
    return Leg(call_id, tag, to, frm, direction, status, started)


IVR_LEG = leg("call-id-1", LegTag.A, "+12065551212", "+15105550101", IN, UP, T0)
DIALLED = leg("call-id-1", LegTag.A, "+1xxxx", "+1xxxxxxx", OUT, None, T0)
PHONE = ("call-id-1", LegTag.A, "+11234567890", "+19876543210", IN)
ROOM = ("call-id-2", LegTag.B, "SMA", "+17035550122", OUT)
DOC = {"transaction_id": "transaction-id"}
CLICK_TO_CALL = {"RequestedVCArn": "arn:aws:chime:us-east-1:112233445566:vc/b3tedvkmr4jwayvmwxxq6z", "DialVC": "true",
                 "MeetingId": "fedc8fa0-364b-4fbf-b6b7-3be410492713", "RequestorEmail": "email@example.com",
                 "RequestedDialNumber": "+16265551212"}
AUDIO = {"Type": "S3", "BucketName": "bucket-name", "Key": "failure-audio-file.wav"}
DIGIT_PARAMETERS = {"CallId": "call-id-1", "InputDigitsRegex": "^\\d{2}#$",
                    "InBetweenDigitsDurationInMilliseconds": 5000, "FlushDigitsDurationInMilliseconds": 10000}

EXPECTED: dict[str, SmaEvent] = {
    "action-failed-play-audio": ActionFailed(
        **DOC, sequence=4, legs=(IVR_LEG,), action="PlayAudio", call_id="call-id-1",
        parameters={"CallId": "call-id-1", "AudioSource": {"Type": "S3", "BucketName": "bucket-name",
                                                           "Key": "audio-file.wav"}},
        error_type="InvalidAudioSource", error_message="Audio Source parameter value is invalid."),
    "action-successful-join-chime-meeting": ActionSucceeded(
        **DOC, sequence=3, legs=(leg(*PHONE, UP, T0), leg(*ROOM, UP, T0)), action="JoinChimeMeeting",
        parameters={"JoinToken": "meeting-attendee-join-token"}),
    "action-successful-play-audio-and-get-digits": ActionSucceeded(
        **DOC, sequence=3, legs=(IVR_LEG,), action="PlayAudioAndGetDigits", call_id="call-id-1", received_digits="123",
        parameters={"CallId": "call-id-1", "AudioSource": AUDIO, "FailureAudioSource": AUDIO, "MinNumberOfDigits": 3,
                    "MaxNumberOfDigits": 5, "TerminatorDigits": ["#"], "InBetweenDigitsDurationInMilliseconds": 5000,
                    "Repeat": 3, "RepeatDurationInMilliseconds": 10000}),
    "action-successful-receive-digits": ActionSucceeded(
        **DOC, sequence=4, legs=(IVR_LEG,), action="ReceiveDigits", call_id="call-id-1", received_digits="",
        parameters=DIGIT_PARAMETERS),
    "call-answered": CallAnswered(**DOC, sequence=1, legs=(leg("call-id-1", LegTag.A, "+1xxxx", "+1xxxxxxx", OUT, UP,
                                                              T0),)),
    "call-answered-transaction-attributes": CallAnswered(
        transaction_id="8c9372d0-e766-4890-823a-32ca8403201a", sequence=3, attributes=CLICK_TO_CALL),
    "digits-received": DigitsReceived(**DOC, sequence=5, legs=(IVR_LEG,), digits="11#", call_id="call-id-1"),
    "hangup-both-legs": Hangup(**DOC, sequence=4, legs=(leg(*PHONE, DOWN, T0), leg(*ROOM, DOWN, T0)),
                               call_id="call-id-1", tag=LegTag.A, running_action="Hangup"),
    "hangup-leg-b": Hangup(**DOC, sequence=6, legs=(
        leg("call-id-1", LegTag.A, "+12065551212", "+15105550101", IN, UP, T1),
        leg("call-id-2", LegTag.B, "+17035550122", "SMA", OUT, DOWN, T2)),
        call_id="call-id-2", tag=LegTag.B, running_action="ReceiveDigits"),
    "hangup": Hangup(**DOC, sequence=6,
                     legs=(leg("call-id-1", LegTag.A, "+12065551212", "+15105550101", IN, DOWN, T1),),
                     call_id="call-id-1", tag=LegTag.A, running_action="Hangup"),
    "new-inbound-call": NewInboundCall(
        transaction_id="c5a25427-88f4-4bf6-b4b2-f44659300bdc", sequence=1,
        legs=(leg("9ff01357-23c5-4611-9dd3-f05f9d654faa", LegTag.A, "+15051234567", "+14155551212", IN, None,
                  1645321553847),)),
    "new-outbound-call": NewOutboundCall(**DOC, sequence=1, legs=(DIALLED,)),
    "ringing": Ringing(**DOC, sequence=1, legs=(DIALLED,)),
}
# Excerpts of the click-to-call README: ActionData only, no CallDetails, so not an invocation as such.
EXCERPTS = {"call-update-requested", "new-outbound-call-arguments"}


def name_of(path: Path) -> str:
    return path.stem.removeprefix("chime-sma-")


def test_every_saved_sma_event_has_an_expectation() -> None:
    assert len(FIXTURES) == 15
    assert {name_of(p) for p in FIXTURES} == set(EXPECTED) | EXCERPTS


@pytest.mark.parametrize("path", [p for p in FIXTURES if name_of(p) in EXPECTED], ids=name_of)
def test_each_saved_sma_event_translates_to_its_exact_domain_event(path: Path) -> None:
    assert translate(json.loads(path.read_text())) == EXPECTED[name_of(path)]


@pytest.mark.parametrize("name", sorted(EXCERPTS))
def test_an_excerpt_without_call_details_is_refused_by_name(name: str) -> None:
    with pytest.raises(BadSmaEvent, match="'CallDetails' is required") as caught:
        translate(load(name))
    assert caught.value.field == "CallDetails"


def with_call_details(name: str) -> dict[str, Any]:
    """An excerpt completed with the CallDetails of the doc's outbound call, as the SMA would send it."""
    return {**load(name), "CallDetails": load("new-outbound-call")["CallDetails"]}


def test_a_new_outbound_call_carries_the_arguments_map_of_the_dial() -> None:
    assert translate(with_call_details("new-outbound-call-arguments")) == NewOutboundCall(
        **DOC, sequence=1, legs=(DIALLED,), arguments=CLICK_TO_CALL)


def test_a_call_update_carries_its_arguments() -> None:
    assert translate(with_call_details("call-update-requested")) == CallUpdateRequested(
        **DOC, sequence=7, legs=(DIALLED,), arguments={"digit": "3"})


def test_the_idempotency_key_is_the_transaction_and_the_sequence() -> None:
    event = translate(load("hangup-leg-b"))
    assert event.key == ("transaction-id", 6)
    assert event.leg(LegTag.B) == EXPECTED["hangup-leg-b"].legs[1]
    assert isinstance(event, Hangup)
    assert event.hung_up is not None and event.hung_up.to_number == "+17035550122"


def test_phone_numbers_stay_out_of_an_events_repr() -> None:
    text = repr(translate(load("new-inbound-call")))
    assert "+1505" not in text and "+1415" not in text and "9ff01357" in text


def test_an_unknown_event_type_is_an_unknown_event_not_an_error() -> None:
    raw = {**load("ringing"), "InvocationEventType": "CALL_TELEPORTED"}
    assert translate(raw) == Unknown(**DOC, sequence=1, legs=(DIALLED,), event_type="CALL_TELEPORTED")


def test_the_join_chime_meeting_failure_as_the_docs_spell_it() -> None:
    # DG join-chime-meeting: "InvocationEvent": "ActionFailed" and one "Error" string instead of ErrorType/Message.
    raw = {"SchemaVersion": "1.0", "Sequence": 3, "InvocationEvent": "ActionFailed",
           "ActionData": {"Type": "JoinChimeMeeting", "Parameters": {"JoinToken": "t", "CallId": "call-id-1",
                                                                    "ParticipantTag": "LEG-A"},
                          "Error": "ErrorJoiningMeeting: Error while joining meeting."},
           "CallDetails": load("ringing")["CallDetails"]}
    assert translate(raw) == ActionFailed(
        **DOC, sequence=3, legs=(DIALLED,), action="JoinChimeMeeting", call_id="call-id-1", tag=LegTag.A,
        parameters={"JoinToken": "t", "CallId": "call-id-1", "ParticipantTag": "LEG-A"},
        error_type="ErrorJoiningMeeting", error_message="Error while joining meeting.")


def test_an_invalid_lambda_response_reports_the_top_level_error() -> None:
    # DG attribute-trans-invalid: ErrorType and ErrorMessage beside CallDetails, no ActionData.
    raw = {**load("ringing"), "Sequence": 2, "InvocationEventType": "INVALID_LAMBDA_RESPONSE",
           "ErrorType": "TransactionAttributesInvalidMapSize", "ErrorMessage": "Transaction Attributes has too many"}
    assert translate(raw) == InvalidResponseReported(
        **DOC, sequence=2, legs=(DIALLED,), error_type="TransactionAttributesInvalidMapSize",
        error_message="Transaction Attributes has too many")


def test_a_started_recording_gives_its_bucket_and_key() -> None:
    parameters = {"CallId": "call-id-1", "Track": "BOTH", "Destination": {"Type": "S3", "Location": "rec"}}
    raw = {**load("call-answered"), "Sequence": 2, "InvocationEventType": "ACTION_SUCCESSFUL",
           "ActionData": {"Type": "StartCallRecording", "Parameters": parameters,
                          "CallRecordingDestination": {"Type": "S3", "Location": "rec/2026/12/06/x.wav"}}}
    event = translate(raw)
    assert isinstance(event, ActionSucceeded)
    assert (event.action, event.call_id, event.recording_location) == ("StartCallRecording", "call-id-1",
                                                                       "rec/2026/12/06/x.wav")


def test_an_interrupted_play_audio_names_the_action_and_its_leg() -> None:
    raw = {**load("call-answered"), "Sequence": 9, "InvocationEventType": "ACTION_INTERRUPTED",
           "ActionData": {"Type": "PlayAudio", "Parameters": {"ParticipantTag": "LEG-A"}}}
    assert translate(raw) == ActionInterrupted(**DOC, sequence=9, legs=EXPECTED["call-answered"].legs,
                                               action="PlayAudio", tag=LegTag.A,
                                               parameters={"ParticipantTag": "LEG-A"})


def test_an_unanswered_call_hangs_up_with_the_sip_code_given_as_a_string() -> None:
    raw = load("hangup")
    raw["ActionData"]["Parameters"]["SipResponseCode"] = "480"
    event = translate(raw)
    assert isinstance(event, Hangup) and event.sip_response_code == 480


def test_a_hangup_without_action_data_names_the_only_disconnected_leg() -> None:
    raw = load("hangup-leg-b")
    del raw["ActionData"]
    event = translate(raw)
    assert isinstance(event, Hangup)
    assert (event.call_id, event.tag, event.running_action) == ("call-id-2", LegTag.B, None)


def test_a_sequence_given_as_a_string_is_read() -> None:
    assert translate({**load("ringing"), "Sequence": "12"}).sequence == 12


@pytest.mark.parametrize("event", [None, [], "HANGUP", 3])
def test_something_not_an_object_is_refused(event: object) -> None:
    with pytest.raises(BadSmaEvent, match="JSON object"):
        translate(event)


def broken(change: str) -> dict[str, Any]:
    raw = copy.deepcopy(load("call-answered"))
    details, participant = raw["CallDetails"], raw["CallDetails"]["Participants"][0]
    match change:
        case "no type":
            del raw["InvocationEventType"]
        case "no transaction":
            del details["TransactionId"]
        case "no sequence":
            del raw["Sequence"]
        case "negative sequence":
            raw["Sequence"] = -1
        case "boolean sequence":
            raw["Sequence"] = True
        case "no call id":
            del participant["CallId"]
        case "leg C":
            participant["ParticipantTag"] = "LEG-C"
        case "attributes not strings":
            details["TransactionAttributes"] = {"attempt": 2}
        case "participants not a list":
            details["Participants"] = {}
        case "action data not an object":
            raw["ActionData"] = "Hangup"
    return raw


@pytest.mark.parametrize(("change", "field"), [
    ("no type", "InvocationEventType"), ("no transaction", "CallDetails.TransactionId"), ("no sequence", "Sequence"),
    ("negative sequence", "Sequence"), ("boolean sequence", "Sequence"), ("no call id", "CallDetails.Participants"),
    ("leg C", "CallDetails.Participants"), ("attributes not strings", "CallDetails.TransactionAttributes"),
    ("participants not a list", "CallDetails.Participants"), ("action data not an object", "ActionData"),
])
def test_a_malformed_invocation_is_refused_naming_the_field(change: str, field: str) -> None:
    with pytest.raises(BadSmaEvent) as caught:
        translate(broken(change))
    assert caught.value.field == field
    assert caught.value.code == "bad_sma_event"
