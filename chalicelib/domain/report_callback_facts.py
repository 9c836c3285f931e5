"""Report facts of callbacks (issue 15): filled in by the callback-facts step. Until then a callback's change
brings no fact."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from chalicelib.domain.callbacks.model import Callback
from chalicelib.domain.report_facts import Fact


@dataclass(frozen=True)
class CallbackChange:
    """A callback's item before and after one write (None: absent before, or deleted)."""

    tenant: str
    old: Callback | None
    new: Callback | None


def callback_facts(change: CallbackChange, zone: ZoneInfo) -> list[Fact]:
    return []
