"""A callback (issue 13): a visitor's phone number that Guichet calls back, now (CB-1) or at a booked time (CB-2),
and the states the agenda shows (CB-11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from chalicelib.domain.errors import Conflict


class CallbackMode(StrEnum):
    IMMEDIATE = "immediate"
    SCHEDULED = "scheduled"


class CallbackState(StrEnum):
    BOOKED = "booked"
    CALLING = "calling"
    CONNECTED = "connected"
    NOT_REACHED = "not_reached"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ENDED = "ended"


#: While a callback is in one of these, its number has no other callback in the tenant.
OPEN_STATES = frozenset({CallbackState.BOOKED, CallbackState.CALLING, CallbackState.CONNECTED})


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
