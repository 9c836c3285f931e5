"""Callback figures (issue 15: requested, booked per slot, connected on attempt n, not reached, expired, recorded),
read from the Callback model (domain/callbacks/model.py) as the stream consumer sees a callback's item.

What counts as what:
- requested: every callback created, on its `created_at` day;
- booked per slot: a scheduled callback (`mode` SCHEDULED), counted under its `slot` key (the slot's date and
  range on the tenant's clock), on its `created_at` day;
- connected on attempt n: the callback reached CONNECTED (both parties picked up; a voicemail counts: CB-8) during
  attempt n (`attempt`), on the day it connected. The item's `state` does not keep it after the call ENDED, and an
  ENDED callback may never have connected (the visitor hung up while waiting for an agent), so the consumer reads
  the CONNECTED transition (old image not CONNECTED, new image CONNECTED) or, better, a `connected_at` the domain
  keeps on the item (docs/reports.md, "Fields the stream consumer needs");
- not reached: final state NOT_REACHED (every attempt failed: no answer, busy, failed, unknown ACD agent);
- expired: final state EXPIRED (no agent took it within the maximum delay, CB-3);
- cancelled: final state CANCELLED (the visitor cancelled);
- left while waiting: final state ENDED without a connection;
- recorded: connected, and a recording was written (`recording_key` set).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState


class CallbackEnd(enum.StrEnum):
    """How a finished callback ended, for the reports."""

    CONNECTED = "connected"
    NOT_REACHED = "not_reached"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    LEFT_WHILE_WAITING = "left_while_waiting"


#: The states a callback never leaves.
FINAL_STATES = frozenset({CallbackState.ENDED, CallbackState.NOT_REACHED, CallbackState.EXPIRED,
                          CallbackState.CANCELLED})


@dataclass(frozen=True)
class CallbackFact:
    """A finished callback's figures: the fact the stream consumer writes once, on `ended_at`'s day."""

    callback_id: str
    requested_at: datetime
    slot: str  # "" for an immediate callback
    end: CallbackEnd
    ended_at: datetime
    #: The attempt that connected (1 for the first); 0 when it never connected.
    connected_on_attempt: int
    recorded: bool


def booked_slot(callback: Callback) -> str | None:
    """The slot a new callback was booked in; None for an immediate callback."""
    return (callback.slot or None) if callback.mode is CallbackMode.SCHEDULED else None


def is_final(callback: Callback) -> bool:
    return callback.state in FINAL_STATES


def finished(callback: Callback, connected_at: datetime | None) -> CallbackFact:
    """The fact of a callback in a final state; `connected_at`: when it connected (None: never). Its end time is
    the item's `since` (set by every change of state), else its creation."""
    if not is_final(callback):
        raise ValueError(f"the callback is still {callback.state.value}")
    if callback.state is CallbackState.ENDED:
        end = CallbackEnd.CONNECTED if connected_at is not None else CallbackEnd.LEFT_WHILE_WAITING
    else:
        end = CallbackEnd(callback.state.value)
        if connected_at is not None:
            raise ValueError(f"a {callback.state.value} callback never connected")
    connected = end is CallbackEnd.CONNECTED
    return CallbackFact(callback.id, callback.created_at, callback.slot, end, callback.since or callback.created_at,
                        callback.attempt if connected else 0, connected and bool(callback.recording_key))
