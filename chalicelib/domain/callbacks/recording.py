"""Which callbacks are recorded (issue 13, CB-9): when the tenant records calls, a share of them (70 % by default),
and never the call of a visitor who ticked "do not record me".

The draw is a pure function of the callback's id: every attempt of a callback, on any Lambda, before and after a
deploy, makes the same choice, so a retry never changes it and nothing needs storing. The id is drawn by Guichet
(never chosen by the visitor), so nobody can pick an id that escapes or gets recording; the opt-out is the visitor's
way out. The hash is pinned by the tests: changing it would change the choice of callbacks already under way.
"""

from __future__ import annotations

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
