"""The callbacks' storage port (issue 13): bookings that never overfill a slot, and one open callback per number.
The package's __init__ re-exports every name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.callbacks.model import Callback, DailyLimits


class CallbackRepository(Protocol):
    def open(self, callback: Callback, limits: DailyLimits) -> None:
        """Stores an immediate callback; NumberHasCallback if its number has an open one, RateLimited past a daily
        limit (nothing stored)."""
        ...

    def book(self, callback: Callback, times: Sequence[datetime], limits: DailyLimits) -> Callback:
        """Books a scheduled callback in `callback.slot` at the earliest of `times` (the slot's call times still
        ahead, earliest first) that nobody holds; answers it with `at` set. Atomic whatever the concurrency: a time
        holds one callback, so a slot never holds more than its N. SlotFull when every time is taken,
        NumberHasCallback if the number has an open callback, RateLimited past a daily limit."""
        ...

    def booked_times(self, tenant: str, start: datetime, end: datetime) -> set[datetime]:
        """The booked call times from `start` to `end` (both included): a slot, or the whole booking horizon."""
        ...

    def cancel(self, tenant: str, callback_id: str, at: datetime | None = None) -> Callback | None:
        """Cancels an open callback: its time and its number are free again. None if there is none to cancel.
        `at`: when (its `since`, the day the reports count the cancellation on)."""
        ...

    def get(self, tenant: str, callback_id: str) -> Callback | None: ...

    def change(self, tenant: str, callback_id: str, changes: Mapping[str, Any],
               expect: Mapping[str, Any]) -> Callback | None:
        """Sets `changes` (Callback field names -> values; enums and datetimes as the model has them) if every
        field named in `expect` holds its value now: one conditional write, so that a timer or an SMA invocation
        delivered twice changes nothing the second time. Answers the changed callback, or None when an expectation
        failed (or there is no such callback). A change to a state outside OPEN_STATES also frees the number's lock,
        in the same transaction; a scheduled callback's agenda line follows every change."""
        ...

    def move(self, callback: Callback, slot: str, times: Sequence[datetime]) -> Callback:
        """Moves an open scheduled (or not yet started) callback to the earliest free time of `times` in `slot`, in
        one transaction that frees its old time: SlotFull when every time is taken (the old time is kept)."""
        ...

    def live(self, tenant: str) -> list[Callback]:
        """The callbacks whose call is going on (calling or connected), oldest first, at most 100 (issue 14)."""
        ...

    def agenda(self, tenant: str, start: datetime, end: datetime) -> list[Callback]:
        """The scheduled callbacks whose call time lies from `start` to `end`, in every state (cancelled, expired
        and not reached included: the agenda shows them, CB-11), earliest first."""
        ...
