"""The callbacks' storage port (issue 13): bookings that never overfill a slot, and one open callback per number.
The package's __init__ re-exports every name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.domain.callbacks.model import Callback


class CallbackRepository(Protocol):
    def open(self, callback: Callback) -> None:
        """Stores an immediate callback; NumberHasCallback if its number has an open one."""
        ...

    def book(self, callback: Callback, times: Sequence[datetime]) -> Callback:
        """Books a scheduled callback in `callback.slot` at the earliest of `times` (the slot's call times still
        ahead, earliest first) that nobody holds; answers it with `at` set. Atomic whatever the concurrency: a time
        holds one callback, so a slot never holds more than its N. SlotFull when every time is taken,
        NumberHasCallback if the number has an open callback."""
        ...

    def booked_times(self, tenant: str, slot: str) -> set[datetime]:
        """The call times of a slot that are booked."""
        ...

    def cancel(self, tenant: str, callback_id: str) -> Callback | None:
        """Cancels an open callback: its time and its number are free again. None if there is none to cancel."""
        ...

    def get(self, tenant: str, callback_id: str) -> Callback | None: ...
