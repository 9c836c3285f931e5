"""The phone emulator (issue 13): the Chime SDK Voice and Meetings operations that `chalicelib/adapters/chime.py`
calls, in their REST-JSON shape, so boto3 pointed at the local stack works unchanged; and the emulated phones those
calls ring.

`PhoneExchange` holds the calls, rooms and phones and answers as the services do (status codes, error codes,
idempotent CreateMeeting). Given the SIP media application's handler (locally `app.sma_handler`), each placed call
gets a driver (local/phone_calls.py) that invokes it with the call's events and carries out the actions it returns.
Every number ever dialled (or scripted through the control, local/phone_control.py) is an `EmulatedPhone`, with a
script for its next rings and live buttons. No business rule lives here: only what the AWS edge and a phone do."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from local.phone_media import Recording

#: The SIP media application's handler: one invocation (a dict) in, the response (a dict) out.
SmaHandler = Callable[[dict[str, Any]], dict[str, Any]]

SCRIPTS = ("ring", "answer", "busy", "voicemail")
BUTTONS = ("answer", "busy", "ring", "voicemail", "hang_up")


@dataclass
class Script:
    """What a phone does when it rings: let it ring (until the ring timeout: 480), answer or voicemail (which
    answers too) after `after_seconds`, or busy (486). `once`: back to "ring" after the next ring. `digits`: what it
    types when a call asks (PlayAudioAndGetDigits), one entry per ask (local/phone_digits.py)."""

    kind: str = "ring"
    after_seconds: float = 0.0
    once: bool = False
    digits: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"script": self.kind, "after_seconds": self.after_seconds, "once": self.once,
                "digits": list(self.digits)}


@dataclass
class EmulatedPhone:
    number: str
    script: Script = field(default_factory=Script)
    state: str = "idle"  # idle, ringing, in call, hearing music, keypad (asked for digits)
    call: str | None = None  # the transaction it is on
    voicemail: bool = False  # the current call was answered by its voicemail
    room: str | None = None  # the meeting its call joined
    calls: list[str] = field(default_factory=list)  # every transaction that dialled it, oldest first


@dataclass
class EmulatedCall:
    transaction_id: str
    sip_media_application_id: str
    from_number: str
    to_number: str
    arguments: dict[str, str]
    state: str = "dialling"  # the driver moves it on: ringing, in call, ended
    updates: list[dict[str, str]] = field(default_factory=list)  # each UpdateSipMediaApplicationCall's Arguments
    call_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # LEG-A's CallId
    started_at: float = field(default_factory=time.time)
    outcome: str = ""  # once ended: answered and hung up, busy, no answer, ...
    events: list[dict[str, object]] = field(default_factory=list)  # each invocation: sequence, type, answer
    mismatches: list[int] = field(default_factory=list)  # sequences whose second delivery got another answer
    driver: Any = field(default=None, repr=False)


@dataclass
class EmulatedRoom:
    meeting_id: str
    external_meeting_id: str
    media_region: str
    attendees: dict[str, dict[str, str]] = field(default_factory=dict)  # attendee id -> Attendee
    present: dict[str, str] = field(default_factory=dict)  # transaction id -> number, for each phone in the room
    browsers: dict[str, dict[str, object]] = field(default_factory=dict)  # the desk's softphones: phone_browsers.py


class PhoneExchange:
    """Calls, rooms and phones, shared by the API handlers (aiohttp's loop), the call drivers (threads) and the
    control. `handler` None: calls are only held (the adapter's tests). `ring_timeout` (seconds before an unanswered
    call ends with 480) and `audio_scale` (1.0: PlayAudio and Pause take real time; 0.01: a hundred times faster)
    can change while it runs. `deliver_twice`: every invocation is delivered twice, as a retrying SMA may; the first
    answer is used and a different second one is noted in the call's `mismatches`."""

    def __init__(self, handler: SmaHandler | None = None, *, ring_timeout: float = 30.0, audio_scale: float = 1.0,
                 deliver_twice: bool = False, s3: Any = None, region: str = "us-east-1",
                 account_id: str = "123456789012") -> None:
        self.lock = threading.Lock()
        self.handler = handler
        self.ring_timeout = ring_timeout
        self.audio_scale = audio_scale
        self.deliver_twice = deliver_twice
        self.region = region
        self.account_id = account_id
        self._s3 = s3
        self.calls: dict[str, EmulatedCall] = {}
        self.rooms: dict[str, EmulatedRoom] = {}
        self.phones: dict[str, EmulatedPhone] = {}
        self.recordings: list[Recording] = []
        self._rooms_by_token: dict[str, str] = {}
        self._numbers = itertools.count(1)

    @property
    def s3(self) -> Any:
        """The S3 client PlayAudio reads and recordings are written with (boto3's default endpoint: the local stack
        sets AWS_ENDPOINT_URL to its moto)."""
        if self._s3 is None:
            import boto3
            from botocore.config import Config

            self._s3 = boto3.client("s3", region_name=self.region, config=Config(s3={"addressing_style": "path"}))
        return self._s3

    # ---- calls (chime-sdk-voice) -------------------------------------------------------------------------------
    def place_call(self, sma_id: str, body: dict[str, Any]) -> EmulatedCall:
        call = EmulatedCall(str(uuid.uuid4()), sma_id, str(body["FromPhoneNumber"]), str(body["ToPhoneNumber"]),
                            dict(body.get("ArgumentsMap") or {}))
        with self.lock:
            self.calls[call.transaction_id] = call
            self.phone(call.to_number).calls.append(call.transaction_id)
        if self.handler is not None:
            from local.phone_calls import CallDriver  # the driver imports this module's types

            call.driver = CallDriver(self, call)
            call.driver.start()
        return call

    def update_call(self, transaction_id: str, arguments: dict[str, str]) -> EmulatedCall | None:
        with self.lock:
            call = self.calls.get(transaction_id)
            if call is None or call.state == "ended":
                return None
            call.updates.append(arguments)
        if call.driver is not None:
            call.driver.post("update", arguments)
        return call

    # ---- rooms (chime-sdk-meetings) ----------------------------------------------------------------------------
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
        """DeleteMeeting: the phones in the room lose their meeting leg (their drivers send its HANGUP)."""
        with self.lock:
            room = self.rooms.pop(meeting_id, None)
            present = [self.calls[t] for t in (room.present if room else {}) if t in self.calls]
        for call in present:
            if call.driver is not None:
                call.driver.post("room_closed", {"meeting_id": meeting_id})
        return room is not None

    def admit(self, call: EmulatedCall, meeting_id: str, join_token: str) -> bool:
        """JoinChimeMeeting: whether the token is an attendee's of that meeting (then the phone is in it). Without a
        meeting id (the legacy namespace) the token's own meeting is used."""
        with self.lock:
            rooms = [self.rooms[meeting_id]] if meeting_id in self.rooms else [] if meeting_id else list(
                self.rooms.values())
            room = next((r for r in rooms if any(a["JoinToken"] == join_token for a in r.attendees.values())), None)
            if room is None:
                return False
            room.present[call.transaction_id] = call.to_number
            phone = self.phone(call.to_number)
            if phone.call == call.transaction_id:
                phone.room = room.meeting_id
            return True

    def leave(self, call: EmulatedCall) -> None:
        with self.lock:
            for room in self.rooms.values():
                room.present.pop(call.transaction_id, None)
            phone = self.phones.get(call.to_number)
            if phone is not None and phone.call == call.transaction_id:
                phone.room = None

    # ---- phones ------------------------------------------------------------------------------------------------
    def phone(self, number: str) -> EmulatedPhone:
        """The phone of `number`, made on first use (call with the lock held or from one thread)."""
        if number not in self.phones:
            self.phones[number] = EmulatedPhone(number)
        return self.phones[number]

    def set_script(self, number: str, script: Script) -> EmulatedPhone:
        with self.lock:
            phone = self.phone(number)
            phone.script = script
            return phone

    def press(self, number: str, button: str) -> bool:
        """A live button; False when it does nothing now (no call, or answering a call already answered)."""
        with self.lock:
            phone = self.phones.get(number)
            call = self.calls.get(phone.call) if phone is not None and phone.call else None
            if phone is None or call is None or call.driver is None:
                return False
            if phone.state != "ringing" and button != "hang_up":
                return False
        call.driver.post(button)
        return True

    def ringing(self, call: EmulatedCall) -> Script | None:
        """The phone starts ringing for `call`: its script (a `once` script is used up), or None when the phone is
        on another call (it answers busy)."""
        with self.lock:
            phone = self.phone(call.to_number)
            if phone.call is not None and phone.call != call.transaction_id:
                return None
            phone.call, phone.state, phone.voicemail = call.transaction_id, "ringing", False
            call.state = "ringing"
            script = phone.script
            if script.once:
                phone.script = Script()
            return script

    def show(self, call: EmulatedCall, state: str, *, voicemail: bool | None = None) -> None:
        """The phone of `call` is now `state` (in call, hearing music), unless it is on another call."""
        with self.lock:
            if state == "in call" and call.state in ("dialling", "ringing"):
                call.state = "in call"
            phone = self.phones.get(call.to_number)
            if phone is not None and phone.call == call.transaction_id and call.state != "ended":
                phone.state = state
                if voicemail is not None:
                    phone.voicemail = voicemail

    def ended(self, call: EmulatedCall, outcome: str) -> None:
        with self.lock:
            call.state, call.outcome = "ended", call.outcome or outcome
            phone = self.phones.get(call.to_number)
            if phone is not None and phone.call == call.transaction_id:
                phone.call, phone.state, phone.room, phone.voicemail = None, "idle", None, False

    def reset(self) -> None:
        """Forget everything (the local stack's reset): calls end silently, no event is sent."""
        with self.lock:
            drivers = [c.driver for c in self.calls.values() if c.driver is not None]
        for driver in drivers:
            driver.post("stop")
        for driver in drivers:
            driver.join(timeout=5)
        with self.lock:
            self.calls.clear()
            self.rooms.clear()
            self.phones.clear()
            self.recordings.clear()
            self._rooms_by_token.clear()

    # ---- what the control shows ----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        with self.lock:
            return {
                "phones": [self._phone_json(p) for p in self.phones.values()],
                "calls": [self._call_json(c) for c in self.calls.values()],
                "timing": self.timing(),
            }

    def phone_json(self, number: str) -> dict[str, object] | None:
        with self.lock:
            phone = self.phones.get(number)
            return None if phone is None else self._phone_json(phone)

    def timing(self) -> dict[str, float]:
        return {"ring_timeout_seconds": self.ring_timeout, "audio_scale": self.audio_scale}

    def _phone_json(self, phone: EmulatedPhone) -> dict[str, object]:
        return {"number": phone.number, "state": phone.state, "voicemail": phone.voicemail, "call": phone.call,
                "room": phone.room, **phone.script.as_json(), "calls": list(phone.calls)}

    @staticmethod
    def _call_json(call: EmulatedCall) -> dict[str, object]:
        return {"transaction_id": call.transaction_id, "call_id": call.call_id, "to": call.to_number,
                "from": call.from_number, "arguments": dict(call.arguments), "state": call.state,
                "outcome": call.outcome, "updates": list(call.updates), "events": list(call.events),
                "mismatches": list(call.mismatches)}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"Code": code, "Message": message}, status=status, headers={"x-amzn-ErrorType": code})


async def _body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def meeting_json(room: EmulatedRoom) -> dict[str, object]:
    """A Meeting as CreateMeeting and GetMeeting answer it; its URLs lead nowhere (the desk: phone_browsers.py)."""
    local = f"local.invalid/{room.meeting_id}"
    return {"MeetingId": room.meeting_id, "ExternalMeetingId": room.external_meeting_id,
            "MediaRegion": room.media_region, "MediaPlacement": {
                "AudioHostUrl": f"{local}/audio", "AudioFallbackUrl": f"wss://{local}/audio",
                "SignalingUrl": f"wss://{local}/signal", "TurnControlUrl": f"https://{local}/turn"}}


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
        return web.json_response({"Meeting": meeting_json(exchange.open_room(body))})

    async def get_meeting(request: web.Request) -> web.Response:
        room = exchange.rooms.get(request.match_info["meeting"])
        return web.json_response({"Meeting": meeting_json(room)}) if room else _error(404, "NotFoundException", "")

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
        web.get("/meetings/{meeting}", get_meeting),
        web.post("/meetings/{meeting}/attendees", create_attendee),
        web.delete("/meetings/{meeting}", delete_meeting),
    ]


@contextmanager
def serving(exchange: PhoneExchange, extra: tuple[web.RouteDef, ...] = ()) -> Iterator[str]:
    """The exchange's Chime SDK routes on a loopback port of their own, for tests and benches that run no gateway;
    yields the base URL to point boto3 at. The server's loop lives in its own thread from start to end: the
    caller's thread may run another loop (Playwright's does, in the same pytest process). `extra`: more routes."""
    application = web.Application()
    application.add_routes([*phone_routes(exchange), *extra])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loop, runner, ready = asyncio.new_event_loop(), web.AppRunner(application), threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    if not ready.wait(timeout=10):
        raise RuntimeError("the phone exchange's server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
