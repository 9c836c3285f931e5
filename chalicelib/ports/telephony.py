"""The telephony port (issue 13), in domain words: a room per callback (a Chime SDK meeting) that each party joins,
dialling a party, and commands to a live call. The adapter (adapters/chime.py) speaks Chime SDK PSTN Audio; the local
stack's phone emulator serves the same API. `SmaInvocations` remembers the SIP media application's answers, so that
a retried invocation gets the same actions back (CB-6 to CB-9). The package's __init__ re-exports every name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.telephony.commands import CallCommand


@dataclass(frozen=True)
class Room:
    """Where the parties of one callback talk: each phone party is LEG-A of its own call and joins it."""

    meeting_id: str


@dataclass(frozen=True)
class Seat:
    """A member's place in a room: what JoinChimeMeeting (a phone) or the browser (the desk's softphone) needs."""

    attendee_id: str
    join_token: str
    external_user_id: str = ""


class Telephony(Protocol):
    def open_room(self, callback_id: str) -> Room:
        """A new room for the callback (idempotent on the callback id)."""
        ...

    def add_member(self, room: Room, member_id: str) -> Seat: ...

    def meeting(self, room: Room) -> dict[str, Any] | None:
        """The room's meeting as Chime SDK's GetMeeting answers it (`Meeting`: MeetingId, MediaRegion,
        MediaPlacement...), which a browser attendee joins with (the desk's softphone, CB-6); None when it is gone."""
        ...

    def close_room(self, room: Room) -> None:
        """Ends the room; a room already gone is not an error."""
        ...

    def dial(self, to: str, arguments: Mapping[str, str]) -> str:
        """Calls `to` (E.164) from the tenant's calling number; answers the call's id. `arguments` (at most 20 string
        pairs: tenant, callback, attempt, party...) come back with every event of the call."""
        ...

    def command(self, call_id: str, command: CallCommand) -> bool:
        """Asks the live call to do `command`; False when the call is gone (hung up meanwhile)."""
        ...


#: An SMA invocation's idempotency key: (TransactionId, Sequence), `SmaEvent.key`.
InvocationKey = tuple[str, int]


class SmaInvocations(Protocol):
    """The answers the SMA handler gave, by invocation. The SMA retries an invocation it got no answer to within
    5 s; the retry must get the first answer back and cause nothing twice."""

    def remembered(self, key: InvocationKey) -> dict[str, Any] | None:
        """The answer stored for this invocation, or None if it is new."""
        ...

    def remember(self, key: InvocationKey, response: dict[str, Any]) -> dict[str, Any]:
        """Stores `response` unless an answer is already stored (a conditional write), and returns the stored one:
        the first answer wins when two deliveries of one invocation race."""
        ...


class AudioStore(Protocol):
    """The audio bucket (issue 13): hold music and notices under `audio/` (8 kHz mono 16-bit PCM WAV, which PSTN
    audio plays), recordings under `recordings/`. `bucket` is what PlayAudio and StartCallRecording name."""

    bucket: str

    def put_wav(self, key: str, body: bytes) -> None:
        """Stores a checked WAV with ContentType audio/wav (PSTN audio refuses anything else)."""
        ...

    def presigned_url(self, key: str, seconds: int) -> str:
        """A GET URL for `key` that works for `seconds` (recordings are played from the case this way)."""
        ...
