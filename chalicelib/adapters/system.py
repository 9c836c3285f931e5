"""The wall clock and id generation."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


class UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    def new_id(self) -> str:
        # 128 random bits, URL-safe and short enough for keys and URLs.
        return secrets.token_urlsafe(16)
