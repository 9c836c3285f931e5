"""The phone emulator's AWS edge (issue 13): the Chime SDK Voice and Meetings operations that
`chalicelib/adapters/chime.py` calls, in their REST-JSON shape, so boto3 pointed at the local stack works unchanged.

This module holds the calls and rooms the app created and answers as the services do (status codes, error codes,
idempotent CreateMeeting). It applies no business rule. Driving the SIP media application's handler with the events
of each call (ringing, answered, hang-up, action results) and the emulated phones of `/phone` build on it."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class EmulatedCall:
    transaction_id: str
    sip_media_application_id: str
    from_number: str
    to_number: str
    arguments: dict[str, str]
    state: str = "dialling"  # the exchange's driver moves it on: ringing, in call, ended
    updates: list[dict[str, str]] = field(default_factory=list)  # each UpdateSipMediaApplicationCall's Arguments


@dataclass
class EmulatedRoom:
    meeting_id: str
    external_meeting_id: str
    media_region: str
    attendees: dict[str, dict[str, str]] = field(default_factory=dict)  # attendee id -> Attendee


class PhoneExchange:
    """Calls and rooms, shared by the API handlers (aiohttp's loop) and whoever drives or inspects them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[str, EmulatedCall] = {}
        self.rooms: dict[str, EmulatedRoom] = {}
        self._rooms_by_token: dict[str, str] = {}
        self._numbers = itertools.count(1)

    def place_call(self, sma_id: str, body: dict[str, Any]) -> EmulatedCall:
        call = EmulatedCall(str(uuid.uuid4()), sma_id, str(body["FromPhoneNumber"]), str(body["ToPhoneNumber"]),
                            dict(body.get("ArgumentsMap") or {}))
        with self.lock:
            self.calls[call.transaction_id] = call
        return call

    def update_call(self, transaction_id: str, arguments: dict[str, str]) -> EmulatedCall | None:
        with self.lock:
            call = self.calls.get(transaction_id)
            if call is None or call.state == "ended":
                return None
            call.updates.append(arguments)
            return call

    def open_room(self, body: dict[str, Any]) -> EmulatedRoom:
        token = str(body["ClientRequestToken"])
        with self.lock:
            known = self._rooms_by_token.get(token)
            if known in self.rooms:
                return self.rooms[known]
            room = EmulatedRoom(str(uuid.uuid4()), str(body.get("ExternalMeetingId") or ""), str(body["MediaRegion"]))
            self.rooms[room.meeting_id] = room
            self._rooms_by_token[token] = room.meeting_id
            return room

    def seat(self, meeting_id: str, external_user_id: str) -> dict[str, str] | None:
        with self.lock:
            room = self.rooms.get(meeting_id)
            if room is None:
                return None
            attendee_id = str(uuid.uuid4())
            attendee = {"ExternalUserId": external_user_id, "AttendeeId": attendee_id,
                        "JoinToken": f"local-join-{next(self._numbers)}-{attendee_id}"}
            room.attendees[attendee_id] = attendee
            return attendee

    def close_room(self, meeting_id: str) -> bool:
        with self.lock:
            return self.rooms.pop(meeting_id, None) is not None


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"Code": code, "Message": message}, status=status, headers={"x-amzn-ErrorType": code})


async def _body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def phone_routes(exchange: PhoneExchange) -> list[web.RouteDef]:
    """The routes of chime-sdk-voice (calls) and chime-sdk-meetings (rooms) that the adapter uses."""

    async def create_call(request: web.Request) -> web.Response:
        body = await _body(request)
        if body is None or not body.get("FromPhoneNumber") or not body.get("ToPhoneNumber"):
            return _error(400, "BadRequestException", "FromPhoneNumber and ToPhoneNumber are required")
        call = exchange.place_call(request.match_info["sma"], body)
        return web.json_response({"SipMediaApplicationCall": {"TransactionId": call.transaction_id}}, status=201)

    async def update_call(request: web.Request) -> web.Response:
        body = await _body(request)
        if body is None:
            return _error(400, "BadRequestException", "the body is not a JSON object")
        transaction_id = request.match_info["transaction"]
        if exchange.update_call(transaction_id, dict(body.get("Arguments") or {})) is None:
            return _error(404, "NotFoundException", f"no call {transaction_id} in progress")
        return web.json_response({"SipMediaApplicationCall": {"TransactionId": transaction_id}}, status=202)

    async def create_meeting(request: web.Request) -> web.Response:
        body = await _body(request)
        if body is None or not body.get("ClientRequestToken") or not body.get("MediaRegion"):
            return _error(400, "BadRequestException", "ClientRequestToken and MediaRegion are required")
        room = exchange.open_room(body)
        return web.json_response({"Meeting": {
            "MeetingId": room.meeting_id, "ExternalMeetingId": room.external_meeting_id,
            "MediaRegion": room.media_region}})

    async def create_attendee(request: web.Request) -> web.Response:
        body = await _body(request)
        if body is None or not body.get("ExternalUserId"):
            return _error(400, "BadRequestException", "ExternalUserId is required")
        attendee = exchange.seat(request.match_info["meeting"], str(body["ExternalUserId"]))
        if attendee is None:
            return _error(404, "NotFoundException", "no such meeting")
        return web.json_response({"Attendee": attendee})

    async def delete_meeting(request: web.Request) -> web.Response:
        if not exchange.close_room(request.match_info["meeting"]):
            return _error(404, "NotFoundException", "no such meeting")
        return web.Response(status=204)

    return [
        web.post("/sip-media-applications/{sma}/calls", create_call),
        web.post("/sip-media-applications/{sma}/calls/{transaction}", update_call),
        web.post("/meetings", create_meeting),
        web.post("/meetings/{meeting}/attendees", create_attendee),
        web.delete("/meetings/{meeting}", delete_meeting),
    ]
