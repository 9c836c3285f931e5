"""The Chime SDK adapter's requests, through botocore's Stubber (moto serves neither chime-sdk-voice nor
chime-sdk-meetings): each request is checked against the real service model by botocore's parameter validation, and
each stubbed answer against its output shape. A NotFound on an update means the call is gone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.chime import ChimeTelephony
from chalicelib.domain.telephony import commands
from chalicelib.ports import Room

SMA = "8a7a3d4c-5b6e-4f10-9a2b-3c4d5e6f7a8b"
NUMBER = "+12065550100"
MEETING = "4ba3c5a6-6d1a-4e1f-8a0e-2f2b3c4d5e6f"


def _stubbed(monkeypatch: pytest.MonkeyPatch, service: str) -> Stubber:
    client = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x").client(
        service)
    monkeypatch.setitem(aws_clients._clients, (service, None), client)
    return Stubber(client)


@pytest.fixture
def voice(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    with _stubbed(monkeypatch, "chime-sdk-voice") as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def meetings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    with _stubbed(monkeypatch, "chime-sdk-meetings") as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def telephony() -> ChimeTelephony:
    return ChimeTelephony(SMA, NUMBER, "us-east-1")


def test_dialling_places_a_call_from_the_calling_number_with_its_arguments(voice: Stubber,
                                                                            telephony: ChimeTelephony) -> None:
    arguments = {"tenant": "demo", "callback": "cb-1", "attempt": "1", "party": "visitor"}
    voice.add_response(
        "create_sip_media_application_call", {"SipMediaApplicationCall": {"TransactionId": "tx-1"}},
        {"FromPhoneNumber": NUMBER, "ToPhoneNumber": "+33612345678", "SipMediaApplicationId": SMA,
         "ArgumentsMap": arguments})
    assert telephony.dial("+33612345678", arguments) == "tx-1"


def test_a_command_is_an_update_of_the_call_with_its_arguments(voice: Stubber, telephony: ChimeTelephony) -> None:
    voice.add_response(
        "update_sip_media_application_call", {"SipMediaApplicationCall": {"TransactionId": "tx-1"}},
        {"SipMediaApplicationId": SMA, "TransactionId": "tx-1",
         "Arguments": {"guichet_command": "play_in_loop", "audio_key": "tenants/demo/audio/hold.wav"}})
    assert telephony.command("tx-1", commands.play_in_loop("tenants/demo/audio/hold.wav")) is True


def test_a_command_to_a_call_that_is_gone_answers_false(voice: Stubber, telephony: ChimeTelephony) -> None:
    voice.add_client_error("update_sip_media_application_call", service_error_code="NotFoundException",
                           http_status_code=404)
    assert telephony.command("tx-gone", commands.hang_up()) is False


def test_other_failures_of_a_command_are_raised(voice: Stubber, telephony: ChimeTelephony) -> None:
    voice.add_client_error("update_sip_media_application_call", service_error_code="ThrottledClientException",
                           http_status_code=429)
    with pytest.raises(Exception, match="ThrottledClient"):
        telephony.command("tx-1", commands.hang_up())


def test_the_service_model_refuses_what_it_does_not_allow(monkeypatch: pytest.MonkeyPatch,
                                                           telephony: ChimeTelephony) -> None:
    with _stubbed(monkeypatch, "chime-sdk-voice") as stubber:
        # A response is queued so that the request gets as far as botocore's validation, which refuses it first.
        stubber.add_response("create_sip_media_application_call", {"SipMediaApplicationCall": {"TransactionId": "t"}})
        with pytest.raises(ParamValidationError, match=r"ArgumentsMap\.tenant"):
            telephony.dial("+33612345678", {"tenant": 7})  # type: ignore[dict-item]  # arguments are strings


def test_a_room_is_a_meeting_per_callback_and_a_seat_an_attendee(meetings: Stubber,
                                                                  telephony: ChimeTelephony) -> None:
    meeting: dict[str, Any] = {
        "Meeting": {"MeetingId": MEETING, "ExternalMeetingId": "cb-1", "MediaRegion": "us-east-1"}}
    meetings.add_response("create_meeting", meeting,
                          {"ClientRequestToken": "cb-1", "MediaRegion": "us-east-1", "ExternalMeetingId": "cb-1"})
    meetings.add_response(
        "create_attendee",
        {"Attendee": {"ExternalUserId": "visitor-cb-1", "AttendeeId": "att-1", "JoinToken": "join-1"}},
        {"MeetingId": MEETING, "ExternalUserId": "visitor-cb-1"})
    room = telephony.open_room("cb-1")
    assert room == Room(MEETING)
    seat = telephony.add_member(room, "visitor-cb-1")
    assert (seat.attendee_id, seat.join_token) == ("att-1", "join-1")


def test_closing_a_room_already_gone_is_not_an_error(meetings: Stubber, telephony: ChimeTelephony) -> None:
    meetings.add_client_error("delete_meeting", service_error_code="NotFoundException", http_status_code=404,
                              expected_params={"MeetingId": MEETING})
    telephony.close_room(Room(MEETING))
    meetings.add_client_error("delete_meeting", service_error_code="ServiceFailureException", http_status_code=500)
    with pytest.raises(Exception, match="ServiceFailure"):
        telephony.close_room(Room(MEETING))
