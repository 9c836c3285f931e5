"""The live board's gate in memory, faithful to adapters/board_gate.py: the watchers, the `watched` flag with its
revision, and `claim` as one conditional write under a lock."""

from __future__ import annotations

import threading
from datetime import datetime


class FakeBoardGate:
    def __init__(self) -> None:
        self.watching: dict[str, set[str]] = {}
        self.watched: set[str] = set()
        self.revision: dict[str, int] = {}
        self.next_at: dict[str, datetime] = {}
        self.claims = 0  # every call of `claim`, won or not
        self.lock = threading.Lock()

    def watch(self, tenant: str, connection_id: str, now: datetime) -> None:
        with self.lock:
            self.watching.setdefault(tenant, set()).add(connection_id)
            self.watched.add(tenant)
            self.revision[tenant] = self.revision.get(tenant, 0) + 1

    def unwatch(self, tenant: str, connection_id: str) -> None:
        with self.lock:
            self.watching.get(tenant, set()).discard(connection_id)

    def watchers(self, tenant: str) -> tuple[list[str], int]:
        with self.lock:
            return sorted(self.watching.get(tenant, set())), self.revision.get(tenant, 0)

    def forget_if_unwatched(self, tenant: str, revision: int) -> None:
        with self.lock:
            if self.revision.get(tenant, 0) == revision:
                self.watched.discard(tenant)

    def claim(self, tenant: str, now: datetime, next_at: datetime) -> bool:
        with self.lock:
            self.claims += 1
            due = self.next_at.get(tenant)
            if tenant not in self.watched or (due is not None and due > now):
                return False
            self.next_at[tenant] = next_at
            return True
