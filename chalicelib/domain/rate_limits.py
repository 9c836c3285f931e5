"""Per-visitor limits (issue 11): how many new sessions, conversations and messages a visitor may start in a window.

Every limit counts in fixed windows aligned on the clock (the hour, the minute): a window admits up to its limit,
the next one starts again from zero. Sessions and conversations are counted by the `RateLimits` port (one
conditional write per admitted request, so racing tabs never get more than the limit). Messages are counted without
a write of their own: each stored message carries how many messages the visitor sent in its minute up to it (the
visitor's *pace*), and the next writer of the conversation reads the newest message anyway (`view_for_send`); the
conditional write of a sequence number serialises the writers, so the count is exact under concurrency too.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.model import Message

#: The settings' ranges (chalicelib/domain/settings.py); their lowest values let a service skip reading the tenant's
#: settings while a count is below any limit a tenant can set.
SESSIONS_PER_HOUR = (10, 100_000)
CONVERSATIONS_PER_HOUR = (1, 1_000)
MESSAGES_PER_MINUTE = (5, 600)

HOUR = 3600
MINUTE = 60

#: What the `RateLimits` port counts.
SESSIONS = "sessions"
CONVERSATIONS = "conversations"


@dataclass(frozen=True)
class Window:
    """A fixed window of `seconds`, starting at `start` (epoch seconds, a multiple of `seconds`)."""

    start: int
    seconds: int

    @property
    def end(self) -> int:
        return self.start + self.seconds


def window_of(now: datetime, seconds: int) -> Window:
    epoch = math.floor(now.timestamp())
    return Window(start=epoch - epoch % seconds, seconds=seconds)


def retry_after(window: Window, now: datetime) -> int:
    """Whole seconds until the window ends (at least 1): when the same request will be admitted again."""
    return max(1, math.ceil(window.end - now.timestamp()))


def pace_before(recent: Iterable[Message], newest_pace: int, now: datetime) -> int:
    """How many messages the visitor already sent in the minute of `now`: the pace stored with the conversation's
    newest message if that message is of the same minute (or, a clock running behind another writer's, of a later
    one), else none."""
    newest = max(recent, key=lambda m: m.seq, default=None)
    if newest is None or window_of(newest.sent_at, MINUTE).start < window_of(now, MINUTE).start:
        return 0
    return newest_pace


def source_key(secret: bytes, source_ip: str) -> str:
    """The key new visitors are counted under: their network address, keyed-hashed (no address is stored). An IPv6
    address counts by its /64, which one subscriber usually holds whole."""
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        network = source_ip[:64] or "unknown"
    else:
        network = str(ipaddress.ip_network(f"{address}/64", strict=False)) if address.version == 6 else str(address)
    digest = hmac.new(secret, f"source|{network}".encode(errors="replace"), hashlib.sha256).hexdigest()
    return "ip-" + digest[:24]
