"""A callback (issue 13): a visitor's phone number that Guichet calls back, now (CB-1) or at a booked time (CB-2),
and the states the agenda shows (CB-11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from chalicelib.domain.callbacks.recording import RecordingState
from chalicelib.domain.errors import Conflict


class CallbackMode(StrEnum):
    IMMEDIATE = "immediate"
    SCHEDULED = "scheduled"


class CallbackState(StrEnum):
    BOOKED = "booked"
    CALLING = "calling"
    #: The last attempt did not reach the visitor; the next one starts at `Callback.next_at` (CB-8).
    RETRYING = "retrying"
    CONNECTED = "connected"
    NOT_REACHED = "not_reached"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ENDED = "ended"


#: While a callback is in one of these, its number has no other callback in the tenant.
OPEN_STATES = frozenset({CallbackState.BOOKED, CallbackState.CALLING, CallbackState.RETRYING,
                         CallbackState.CONNECTED})


class CallPhase(StrEnum):
    """Where the current attempt stands (the desk's call card and the widget show it)."""

    NONE = ""
    WAITING_AGENT = "waiting_agent"  # in its group's queue, or the visitor hears music (visitor first)
    RINGING_AGENT = "ringing_agent"  # offered: the agent's phone rings; answering is accepting
    CALLING_VISITOR = "calling_visitor"
    CONNECTED = "connected"  # both parties picked up (voicemail counts: CB-8)
    CALLING_ACD = "calling_acd"  # ACD mode (CB-5): the brand's ACD number is dialled
    IDENTIFYING = "identifying"  # ACD mode: the ACD answered; its agent types their keypad id


@dataclass(frozen=True)
class Callback:
    tenant: str
    id: str
    visitor_id: str
    phone: str  # E.164
    name: str
    mode: CallbackMode
    created_at: datetime
    state: CallbackState = CallbackState.BOOKED
    #: A scheduled callback's call time (the earliest free time of its slot when booked), in UTC.
    at: datetime | None = None
    #: The slot it was booked in (domain/callbacks/slots.py's key); empty for an immediate callback.
    slot: str = ""
    email: str = ""
    #: The chat the visitor asked from, shown to the agent with the whole case (CB-12).
    conversation_id: str = ""
    #: Calls (CB-7 to CB-9). `attempt`: attempts started so far (1 to the tenant's `attempts`); each attempt is a
    #: conversation of its own, `call_conversation_id`. `record`: the recording draw, fixed when the callback is
    #: made (never True for a visitor who opted out, `no_record`).
    attempt: int = 0
    record: bool = False
    no_record: bool = False
    phase: CallPhase = CallPhase.NONE
    #: When the phase (or the state) last changed: the call card's timer.
    since: datetime | None = None
    #: When the next attempt starts (RETRYING), and the first attempt's start (the retries' schedule: CB-8).
    next_at: datetime | None = None
    first_attempt_at: datetime | None = None
    #: The last attempt's outcome: "no_answer", "busy", "failed", "connected", "agent_hung_up", "visitor_hung_up".
    outcome: str = ""
    #: The group it is routed in, the agent who took the current attempt, the calls' transaction ids, its room.
    queue: str = ""
    agent_id: str = ""
    agent_name: str = ""
    agent_call: str = ""
    visitor_call: str = ""
    room: str = ""
    #: When the callback first connected (both parties picked up; a voicemail counts): set with the CONNECTED
    #: transition and kept after it (a transfer to a queue connects again; an ENDED callback may never have
    #: connected), so that the reports' stream consumer reads it from one item (issue 15, docs/reports.md).
    connected_at: datetime | None = None
    #: The recording's key in the audio bucket, once the SMA wrote it.
    recording_key: str = ""
    #: The recording as the call card's controls left it (issue 14, CB-10); recording.current() reads it.
    recording_state: RecordingState = RecordingState.NONE
    #: Since when the visitor is on hold (issue 14, CB-10): they hear the hold music, out of the room.
    held_since: datetime | None = None
    #: A consult call (issue 14, CB-10: services/call_consult.py): its state ("ringing", "talking", "conference";
    #: "transferring", "transferred" for a cold transfer to a number), whom (an agent id, or an E.164 number), the
    #: consulted agent's name, the consulted call's transaction id, the token its events carry, since when, and how
    #: the last consult ended ("no_answer", "busy", "hung_up", "ended", "transfer_failed").
    consult_state: str = ""
    consult_to: str = ""
    consult_name: str = ""
    consult_call: str = ""
    consult_id: str = ""
    consult_since: datetime | None = None
    consult_outcome: str = ""
    #: A transfer to another agent with consent (issue 14, CB-10): the agent offered the call (`transfer_to`,
    #: `transfer_name`), the offer (`transfer_id`, which the target's call and the offer's timer name), its state
    #: (TransferState), the target's call, and the agent who transferred it.
    transfer_id: str = ""
    transfer_to: str = ""
    transfer_name: str = ""
    transfer_state: str = ""
    transfer_call: str = ""
    transfer_from: str = ""
    #: The last requalify's note (issue 14), for the agents only: the next agent reads why the call came to them.
    note: str = ""
    note_by: str = ""
    #: The widget's language when the callback was asked for ("fr", "en-GB"...): its emails are written in it.
    language: str = ""
    #: ACD mode (CB-5, services/call_acd.py): this attempt went to the brand's ACD (its leg is `agent_call`), and
    #: how many wrong agent ids were typed so far in it.
    acd: bool = False
    acd_tries: int = 0

    @property
    def call_conversation_id(self) -> str:
        """The conversation of the current attempt (routing, the desk's card, the close form)."""
        return f"{self.id}-{self.attempt}" if self.attempt else ""


class TransferState(StrEnum):
    """Where a transfer to another agent stands (issue 14, CB-10)."""

    OFFERED = "offered"  # the target's phone rings; the first agent still holds the call, the visitor on hold
    ACCEPTED = "accepted"  # the target answered: the call is theirs
    REFUSED = "refused"  # the target refused it (their desk's Reject, or their phone declined)
    TIMED_OUT = "timed_out"  # no answer within the offer's time, or their phone rang out
    FAILED = "failed"  # the target answered but could no longer take a call (their slot was taken meanwhile)


class SlotFull(Conflict):
    """Every call time of the slot is booked (CB-2); the widget offers the next free slot."""

    code = "slot_full"


class NumberHasCallback(Conflict):
    """One open callback per number per tenant."""

    def __init__(self) -> None:
        super().__init__("this number already has a callback booked or in progress", field="phone")


@dataclass(frozen=True)
class DailyLimits:
    """How many callbacks one visitor, and one number, may ask for in the tenant's `day` (settings)."""

    day: date
    per_visitor: int
    per_number: int
    #: Until the tenant's next day begins: a refused request may be made again then.
    seconds_to_next_day: int
