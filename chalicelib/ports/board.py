"""Port of the live Production board's bookkeeping (issue 15, M6): who watches a tenant's board, and the one
conditional write per tenant and second that lets exactly one state change arm the next push."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class BoardGate(Protocol):
    def watch(self, tenant: str, connection_id: str, now: datetime) -> None:
        """Add the connection to the tenant's watchers (kept at most a connection's lifetime) and mark the board
        watched."""
        ...

    def unwatch(self, tenant: str, connection_id: str) -> None:
        """Drop the connection from the watchers (idempotent)."""
        ...

    def watchers(self, tenant: str) -> tuple[list[str], int]:
        """The watching connections, read in one request from the tenant's watchers partition (no scan), and the
        watch revision read before them (for `forget_if_unwatched`)."""
        ...

    def forget_if_unwatched(self, tenant: str, revision: int) -> None:
        """Mark the board unwatched unless someone watched since `revision` was read: changes then cost one read."""
        ...

    def claim(self, tenant: str, now: datetime, next_at: datetime) -> bool:
        """True for exactly one caller per period: the board is watched and no push is due after `now`; the next
        push is then due at `next_at`. Racing callers in the same period all but one get False."""
        ...
