"""The wall clock and id generation."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import ClassVar


class UtcClock:
    #: Added to the wall clock. Only the local stack's test clock sets it (`POST /__local__/clock`, local/clock.py,
    #: served with GUICHET_LOCAL_RESET=1 only); on AWS nothing sets it, so it stays zero.
    offset: ClassVar[timedelta] = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + UtcClock.offset


class RandomIds:
    def new_id(self) -> str:
        # 128 random bits, URL-safe and short enough for keys and URLs.
        return secrets.token_urlsafe(16)
