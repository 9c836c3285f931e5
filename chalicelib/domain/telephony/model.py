"""The domain events of a phone call as the SIP media application (SMA) reports it (issue 13, CB-6 to CB-9).

One invocation of the SMA Lambda is one event (`events.translate` builds it), so that no service reads SMA JSON.
Every event carries the call's `transaction_id`, its `sequence` (together the idempotency key: the SMA retries an
invocation after 5 s), the legs (`Leg`) and the `attributes` the handler stored on the transaction
(TransactionAttributes). Each phone party is LEG-A of its own call; LEG-B is its meeting (room) leg.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.errors import DomainError


class BadSmaEvent(DomainError):
    """The SMA invocation cannot be read: not an object, no CallDetails, no TransactionId or Sequence, a malformed
    leg. The handler answers nothing useful to such an event; it is a bug or a forgery, never a call's outcome."""

    code = "bad_sma_event"


class LegTag(enum.StrEnum):
    """A leg's ParticipantTag: each phone party is LEG-A of its own call; LEG-B is the meeting (room) leg."""

    A = "LEG-A"
    B = "LEG-B"


class Direction(enum.StrEnum):
    INBOUND = "Inbound"
    OUTBOUND = "Outbound"


class LegStatus(enum.StrEnum):
    CONNECTED = "Connected"
    DISCONNECTED = "Disconnected"


@dataclass(frozen=True)
class Leg:
    """One participant of the call. The numbers stay out of repr: events may be logged, phone numbers may not."""

    call_id: str
    tag: LegTag
    to_number: str = field(default="", repr=False)
    from_number: str = field(default="", repr=False)
    direction: Direction | None = None
    status: LegStatus | None = None  # absent on the first NEW_INBOUND_CALL / NEW_OUTBOUND_CALL
    started_at_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class SmaEvent:
    """What every invocation carries. `key` is the idempotency key of the invocation."""

    transaction_id: str
    sequence: int
    legs: tuple[Leg, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.transaction_id, self.sequence)

    def leg(self, tag: LegTag) -> Leg | None:
        return next((leg for leg in self.legs if leg.tag is tag), None)


@dataclass(frozen=True, kw_only=True)
class NewInboundCall(SmaEvent):
    """Someone dialled the SMA's number (a SIP rule routed it here); unanswered, it times out after 30 s."""


@dataclass(frozen=True, kw_only=True)
class NewOutboundCall(SmaEvent):
    """A call Guichet created (CreateSipMediaApplicationCall) starts; `arguments` is its ArgumentsMap."""

    arguments: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Ringing(SmaEvent):
    """The dialled party's phone rings; the SMA ignores the actions returned."""


@dataclass(frozen=True, kw_only=True)
class CallAnswered(SmaEvent):
    """The dialled party picked up (a voicemail answers too)."""


@dataclass(frozen=True, kw_only=True)
class Hangup(SmaEvent):
    """A leg hung up or was never reached. `sip_response_code` 0 is a normal end, 480 no answer, 486 busy; None
    when the SMA did not say. `running_action` is ActionData.Type: Hangup, or the action the leg was in."""

    call_id: str | None = None
    tag: LegTag | None = None
    sip_response_code: int | None = None
    running_action: str | None = None

    @property
    def hung_up(self) -> Leg | None:
        """The leg that hung up, with its numbers (who)."""
        return next((leg for leg in self.legs if leg.call_id == self.call_id), None)


@dataclass(frozen=True, kw_only=True)
class ActionResult(SmaEvent):
    """The outcome of one action Guichet returned: `action` is its Type, `parameters` the Parameters the SMA echoes
    (the join token of a JoinChimeMeeting, the audio of a PlayAudio), `call_id`/`tag` the leg it ran on."""

    action: str
    parameters: Mapping[str, object] = field(default_factory=dict)
    call_id: str | None = None
    tag: LegTag | None = None


@dataclass(frozen=True, kw_only=True)
class ActionSucceeded(ActionResult):
    """The whole list of returned actions ran; `received_digits` for (PlayAudioAnd)GetDigits / ReceiveDigits,
    `recording_location` (bucket/key) for StartCallRecording."""

    received_digits: str | None = None
    recording_location: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActionFailed(ActionResult):
    """One returned action failed and the rest of the list was dropped (e.g. CallNotAnswered, InvalidAudioSource)."""

    error_type: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActionInterrupted(ActionResult):
    """A call update interrupted a running PlayAudio, RecordAudio or Pause; the actions returned are ignored."""


@dataclass(frozen=True, kw_only=True)
class CallUpdateRequested(SmaEvent):
    """Guichet asked to act on the live call (UpdateSipMediaApplicationCall); `arguments` are its Arguments."""

    arguments: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DigitsReceived(SmaEvent):
    """A ReceiveDigits in force matched what the party pressed."""

    digits: str
    call_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class InvalidResponseReported(SmaEvent):
    """The SMA refused Guichet's previous response (INVALID_LAMBDA_RESPONSE): a bug of the renderer to report."""

    error_type: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class Unknown(SmaEvent):
    """An event type this version does not know: handled as a no-op, never an exception."""

    event_type: str
