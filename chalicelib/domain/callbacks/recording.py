"""Which callbacks are recorded (issue 13, CB-9): when the tenant records calls, a share of them (70 % by default),
and never the call of a visitor who ticked "do not record me".

The draw is a pure function of the callback's id: every attempt of a callback, on any Lambda, before and after a
deploy, makes the same choice, so a retry never changes it and nothing needs storing. The id is drawn by Guichet
(never chosen by the visitor), so nobody can pick an id that escapes or gets recording; the opt-out is the visitor's
way out. The hash is pinned by the tests: changing it would change the choice of callbacks already under way.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

#: The setting's range (bounds included), in percent of the calls, for chalicelib/domain/settings.py.
SHARE_PERCENT = (0, 100)
DEFAULT_SHARE_PERCENT = 70

#: The draw's resolution: a callback falls in one of 10,000 buckets, a hundredth of a percent each.
_BUCKETS = 10_000


@dataclass(frozen=True)
class RecordingPolicy:
    """CB-9's settings: recording is optional (off by default); when on, `share_percent` of the calls are."""

    enabled: bool = False
    share_percent: int = DEFAULT_SHARE_PERCENT


class RecordingState(enum.StrEnum):
    """Where the recording of a callback's call stands, moved from the call card (issue 14, CB-10): started on
    demand, paused (silence is recorded meanwhile), resumed. NONE is also a drawn call's state until it connects."""

    NONE = ""
    ON = "on"
    PAUSED = "paused"


OPTED_OUT = "the visitor asked not to be recorded"
TENANT_OFF = "this account does not record calls"


def refusal(policy: RecordingPolicy, *, opted_out: bool) -> str | None:
    """Why this call may not be recorded from the card, in words the card shows; None when it may. The opt-out comes
    first: it holds whatever the tenant's settings become (CB-9)."""
    if opted_out:
        return OPTED_OUT
    if not policy.enabled:
        return TENANT_OFF
    return None


def current(stored: RecordingState, *, drawn: bool, opted_out: bool, connected: bool) -> RecordingState:
    """The recording's state: the one the card's controls wrote, else ON for a connected call drawn to be recorded
    (it started when the visitor answered, after the notice: services/call_flow.py), else NONE."""
    if stored is not RecordingState.NONE:
        return stored
    return RecordingState.ON if drawn and not opted_out and connected else RecordingState.NONE


def draw(callback_id: str) -> float:
    """The callback's fixed draw in [0, 100), in steps of 0.01: its call is recorded when the draw is below the
    share."""
    return _bucket(callback_id) / 100


def recorded(callback_id: str, policy: RecordingPolicy, *, opted_out: bool) -> bool:
    """Whether this callback's call is recorded: recording on, the visitor did not opt out, and the callback's draw
    falls in the share (0 % records none, 100 % every call)."""
    if not policy.enabled or opted_out:
        return False
    return _bucket(callback_id) < policy.share_percent * (_BUCKETS // 100)


def _bucket(callback_id: str) -> int:
    digest = hashlib.sha256(f"guichet-recording|{callback_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS
