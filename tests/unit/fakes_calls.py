"""In-memory stand-ins for the callbacks' storage, the telephony port and the audio bucket, and `Calls`: SMA events in
the shape of the saved fixtures for the calls the app placed, to drive the call flow step by step in unit tests.
The real parts are tested on moto's server and the phone emulator (tests/integration)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.callbacks.model import (
    OPEN_STATES,
    Callback,
    CallbackState,
    DailyLimits,
    NumberHasCallback,
    SlotFull,
)
from chalicelib.domain.telephony.commands import CallCommand
from chalicelib.ports import Room, Seat


class FakeCallbacks:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Callback] = {}
        self.changes = 0

    def open(self, callback: Callback, limits: DailyLimits) -> None:
        if any(c.phone == callback.phone and c.state in OPEN_STATES for c in self.items.values()):
            raise NumberHasCallback()
        self.items[(callback.tenant, callback.id)] = callback

    def book(self, callback: Callback, times: Sequence[datetime], limits: DailyLimits) -> Callback:
        taken = {c.at for c in self.items.values() if c.state in OPEN_STATES}
        for at in times:
            if at not in taken:
                booked = replace(callback, at=at)
                self.open(booked, limits)
                return booked
        raise SlotFull("every call time of this slot is booked", field="when")

    def booked_times(self, tenant: str, start: datetime, end: datetime) -> set[datetime]:
        return {c.at for c in self.items.values() if c.at and start <= c.at <= end and c.state in OPEN_STATES}

    def cancel(self, tenant: str, callback_id: str, at: datetime | None = None) -> Callback | None:
        found = self.items.get((tenant, callback_id))
        if found is None or found.state not in OPEN_STATES:
            return None
        cancelled = replace(found, state=CallbackState.CANCELLED, since=at or found.since)
        self.items[(tenant, callback_id)] = cancelled
        return cancelled

    def get(self, tenant: str, callback_id: str) -> Callback | None:
        return self.items.get((tenant, callback_id))

    def change(self, tenant: str, callback_id: str, changes: Mapping[str, Any],
               expect: Mapping[str, Any]) -> Callback | None:
        found = self.items.get((tenant, callback_id))
        if found is None or any(getattr(found, name) != value for name, value in expect.items()):
            return None
        changed = replace(found, **{name: ("" if value is None and isinstance(getattr(found, name), str) else value)
                                    for name, value in changes.items()})
        self.items[(tenant, callback_id)] = changed
        self.changes += 1
        return changed

    def move(self, callback: Callback, slot: str, times: Sequence[datetime]) -> Callback:
        raise NotImplementedError

    def live(self, tenant: str) -> list[Callback]:
        return [c for c in self.items.values() if c.tenant == tenant and c.state.value in ("calling", "connected")]

    def agenda(self, tenant: str, start: datetime, end: datetime) -> list[Callback]:
        return sorted((c for c in self.items.values() if c.at and start <= c.at <= end), key=lambda c: c.at or start)


@dataclass
class Dialled:
    call_id: str
    to: str
    arguments: dict[str, str]


@dataclass
class FakeTelephony:
    dials: list[Dialled] = field(default_factory=list)
    commands: list[tuple[str, CallCommand]] = field(default_factory=list)
    rooms: dict[str, str] = field(default_factory=dict)  # callback id -> meeting id
    closed: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    _numbers: Any = field(default_factory=lambda: itertools.count(1))

    def open_room(self, callback_id: str) -> Room:
        return Room(self.rooms.setdefault(callback_id, f"meeting-{callback_id}"))

    def add_member(self, room: Room, member_id: str) -> Seat:
        return Seat(attendee_id=f"{member_id}@{room.meeting_id}", join_token=f"token-{member_id}",
                    external_user_id=member_id)

    def meeting(self, room: Room) -> dict[str, Any] | None:
        if room.meeting_id in self.closed:
            return None
        return {"MeetingId": room.meeting_id, "MediaRegion": "us-east-1", "MediaPlacement": {}}

    def close_room(self, room: Room) -> None:
        self.closed.append(room.meeting_id)

    def dial(self, to: str, arguments: Mapping[str, str]) -> str:
        call = Dialled(f"tx-{next(self._numbers)}", to, dict(arguments))
        self.dials.append(call)
        return call.call_id

    def command(self, call_id: str, command: CallCommand) -> bool:
        self.commands.append((call_id, command))
        return call_id not in self.gone


@dataclass
class FakeAudio:
    bucket: str = "audio-bucket"
    stored: dict[str, bytes] = field(default_factory=dict)

    def put_wav(self, key: str, body: bytes) -> None:
        self.stored[key] = body

    def presigned_url(self, key: str, seconds: int) -> str:
        return f"https://{self.bucket}.example/{key}?expires={seconds}"


class Calls:
    """The SMA's invocations for the calls FakeTelephony placed, numbered per transaction as the SMA numbers them."""

    def __init__(self, telephony: FakeTelephony) -> None:
        self.telephony = telephony
        self.sequence: dict[str, int] = {}
        self.attributes: dict[str, dict[str, str]] = {}

    def event(self, call: Dialled, kind: str, action_data: dict[str, Any] | None = None,
              status: str = "Connected") -> dict[str, Any]:
        seq = self.sequence[call.call_id] = self.sequence.get(call.call_id, 0) + 1
        details: dict[str, Any] = {
            "TransactionId": call.call_id, "AwsAccountId": "111122223333", "AwsRegion": "us-east-1",
            "SipMediaApplicationId": "sma-1",
            "Participants": [{"CallId": f"leg-{call.call_id}", "ParticipantTag": "LEG-A", "To": call.to,
                              "From": "+15550100000", "Direction": "Outbound",
                              "StartTimeInMilliseconds": "1700000000000", "Status": status}]}
        if call.call_id in self.attributes:
            details["TransactionAttributes"] = self.attributes[call.call_id]
        event: dict[str, Any] = {"SchemaVersion": "1.0", "Sequence": seq, "InvocationEventType": kind,
                                 "CallDetails": details}
        if action_data is not None:
            event["ActionData"] = action_data
        return event

    def remember(self, call: Dialled, response: dict[str, Any]) -> dict[str, Any]:
        if "TransactionAttributes" in response:
            self.attributes[call.call_id] = dict(response["TransactionAttributes"])
        return response

    def new(self, call: Dialled) -> dict[str, Any]:
        return self.event(call, "NEW_OUTBOUND_CALL", {"Type": "CallCreateRequest",
                                                      "Parameters": {"Arguments": call.arguments}})

    def answered(self, call: Dialled) -> dict[str, Any]:
        return self.event(call, "CALL_ANSWERED")

    def hangup(self, call: Dialled, sip_code: int = 0) -> dict[str, Any]:
        return self.event(call, "HANGUP", {"Type": "Hangup", "Parameters": {
            "SipResponseCode": str(sip_code), "CallId": f"leg-{call.call_id}", "ParticipantTag": "LEG-A"}},
            status="Disconnected")

    def update(self, call: Dialled, arguments: dict[str, str]) -> dict[str, Any]:
        return self.event(call, "CALL_UPDATE_REQUESTED", {"Type": "CallUpdateRequest",
                                                          "Parameters": {"Arguments": arguments}})

    def succeeded(self, call: Dialled, action: dict[str, Any]) -> dict[str, Any]:
        return self.event(call, "ACTION_SUCCESSFUL", action)
