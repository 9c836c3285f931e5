"""The desk's local softphone (issue 14, CB-6): in the local stack the phone emulator's rooms stand in for Chime SDK
meetings, and a browser attendee (the desk's `softphone-local.js`) joins, leaves, mutes and unmutes through these
control routes instead of Chime's media servers. No audio flows: the room shows who is in it and who is muted, as
tests and the `/phone` page read it. Local only: the gateway mounts it under /__local__/ (docs/testing.md).

- GET    /__local__/rooms: {"rooms": [...]}, each with the phones in it and its browser attendees
- POST   /__local__/rooms/{meeting}/browsers {"join_token": ...}: the attendee of that token joins (403 when the
  token is not one of that room's attendees', 404 when the room is gone); joining again changes nothing
- PUT    /__local__/rooms/{meeting}/browsers/{attendee} {"muted": true | false}: mute or unmute
- DELETE /__local__/rooms/{meeting}/browsers/{attendee}: leave (404 when not in the room)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local.phone import EmulatedRoom, PhoneExchange
from local.phone_control import _json, _refuse


def room_json(room: EmulatedRoom) -> dict[str, Any]:
    return {"meeting_id": room.meeting_id, "external_meeting_id": room.external_meeting_id,
            "phones": [{"transaction_id": t, "number": n} for t, n in room.present.items()],
            "browsers": [dict(b) for b in room.browsers.values()]}


def rooms_json(exchange: PhoneExchange) -> list[dict[str, Any]]:
    with exchange.lock:
        return [room_json(room) for room in exchange.rooms.values()]


def join(exchange: PhoneExchange, meeting_id: str, join_token: str) -> dict[str, Any] | int:
    """The browser attendee whose token this is, now in the room; 404 (no room) or 403 (not its token) otherwise."""
    with exchange.lock:
        room = exchange.rooms.get(meeting_id)
        if room is None:
            return 404
        attendee = next((a for a in room.attendees.values() if a["JoinToken"] == join_token), None)
        if attendee is None:
            return 403
        present = room.browsers.setdefault(attendee["AttendeeId"], {
            "attendee_id": attendee["AttendeeId"], "external_user_id": attendee["ExternalUserId"], "muted": False})
        return dict(present)


def mute(exchange: PhoneExchange, meeting_id: str, attendee_id: str, muted: bool) -> dict[str, Any] | None:
    with exchange.lock:
        room = exchange.rooms.get(meeting_id)
        present = room.browsers.get(attendee_id) if room else None
        if present is None:
            return None
        present["muted"] = muted
        return dict(present)


def leave(exchange: PhoneExchange, meeting_id: str, attendee_id: str) -> bool:
    with exchange.lock:
        room = exchange.rooms.get(meeting_id)
        return room is not None and room.browsers.pop(attendee_id, None) is not None


def browser_routes(exchange: PhoneExchange) -> list[web.RouteDef]:
    async def rooms(_request: web.Request) -> web.Response:
        return web.json_response({"rooms": rooms_json(exchange)})

    async def join_room(request: web.Request) -> web.Response:
        body = await _json(request)
        token = body.get("join_token") if body else None
        if not isinstance(token, str) or not token:
            return _refuse(400, "join_token is required")
        joined = join(exchange, request.match_info["meeting"], token)
        if joined == 404:
            return _refuse(404, "no such room")
        if joined == 403:
            return _refuse(403, "this join token is not one of the room's attendees'")
        return web.json_response({"attendee": joined})

    async def set_muted(request: web.Request) -> web.Response:
        body = await _json(request)
        if body is None or not isinstance(body.get("muted"), bool):
            return _refuse(400, "muted is true or false")
        changed = mute(exchange, request.match_info["meeting"], request.match_info["attendee"], body["muted"])
        if changed is None:
            return _refuse(404, "no such attendee in the room")
        return web.json_response({"attendee": changed})

    async def leave_room(request: web.Request) -> web.Response:
        if not leave(exchange, request.match_info["meeting"], request.match_info["attendee"]):
            return _refuse(404, "no such attendee in the room")
        return web.Response(status=204)

    return [
        web.get("/__local__/rooms", rooms),
        web.post("/__local__/rooms/{meeting}/browsers", join_room),
        web.put("/__local__/rooms/{meeting}/browsers/{attendee}", set_muted),
        web.delete("/__local__/rooms/{meeting}/browsers/{attendee}", leave_room),
    ]
