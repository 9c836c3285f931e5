"""The telephony port on Amazon Chime SDK PSTN Audio (docs/callbacks.md): a Chime SDK meeting per callback is its
room (chime-sdk-meetings), calls are placed and steered through the SIP media application (chime-sdk-voice). The
local stack's phone emulator serves both APIs at the endpoint boto3 is pointed at."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.aws import client, error_code
from chalicelib.domain.telephony.commands import CallCommand, to_arguments
from chalicelib.ports.telephony import Room, Seat


class ChimeTelephony:
    def __init__(self, sip_media_application_id: str, calling_number: str, media_region: str,
                 endpoint_url: str | None = None) -> None:
        self._sma = sip_media_application_id
        self._calling_number = calling_number
        self._media_region = media_region
        self._endpoint_url = endpoint_url

    def open_room(self, callback_id: str) -> Room:
        answer = client("chime-sdk-meetings", self._endpoint_url).create_meeting(
            ClientRequestToken=callback_id,  # a retried request gets the same meeting
            MediaRegion=self._media_region,
            ExternalMeetingId=callback_id,
        )
        return Room(meeting_id=answer["Meeting"]["MeetingId"])

    def add_member(self, room: Room, member_id: str) -> Seat:
        answer = client("chime-sdk-meetings", self._endpoint_url).create_attendee(
            MeetingId=room.meeting_id, ExternalUserId=member_id)
        attendee = answer["Attendee"]
        return Seat(attendee_id=attendee["AttendeeId"], join_token=attendee["JoinToken"],
                    external_user_id=attendee.get("ExternalUserId", member_id))

    def meeting(self, room: Room) -> dict[str, Any] | None:
        try:
            answer = client("chime-sdk-meetings", self._endpoint_url).get_meeting(MeetingId=room.meeting_id)
        except Exception as exc:
            if error_code(exc) == "NotFoundException":
                return None
            raise
        return dict(answer["Meeting"])

    def close_room(self, room: Room) -> None:
        meetings = client("chime-sdk-meetings", self._endpoint_url)
        try:
            meetings.delete_meeting(MeetingId=room.meeting_id)
        except Exception as exc:
            if error_code(exc) != "NotFoundException":
                raise

    def dial(self, to: str, arguments: Mapping[str, str]) -> str:
        answer = client("chime-sdk-voice", self._endpoint_url).create_sip_media_application_call(
            FromPhoneNumber=self._calling_number,
            ToPhoneNumber=to,
            SipMediaApplicationId=self._sma,
            ArgumentsMap=dict(arguments),
        )
        return str(answer["SipMediaApplicationCall"]["TransactionId"])

    def command(self, call_id: str, command: CallCommand) -> bool:
        voice = client("chime-sdk-voice", self._endpoint_url)
        try:
            voice.update_sip_media_application_call(
                SipMediaApplicationId=self._sma, TransactionId=call_id, Arguments=to_arguments(command))
        except Exception as exc:
            if error_code(exc) == "NotFoundException":
                return False  # the call ended meanwhile
            raise
        return True
