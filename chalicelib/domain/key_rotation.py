"""Rotating a signing key with a grace period (issue 16, `guichet secret rotate`).

A key ring holds the key that signs now (`current`) and the one it replaced (`previous`), which still verifies until
`previous_until`: what was signed just before a rotation (a visitor's token, an email's link, a brand's signature
made with the old identity secret) keeps working for the grace period, then stops. Verifiers try the current key
first, then the previous one while its grace lasts.

Derived ids that must never change (an identified visitor's id, ASYNC-5, is an HMAC of their external id) use the
`stable` key: the first key the deployment had, kept through rotations, so a rotation does not split a customer's
history in two. It signs nothing a visitor can present.

The visitor-token key ring is stored as the Secrets Manager secret's string: a JSON object (`RING_VERSION`). A secret
written before rotation existed is a plain random string: it reads as a ring of that one key (current and stable).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.errors import Conflict, InvalidInput

RING_VERSION = 1
DEFAULT_GRACE = timedelta(hours=24)
#: Longer than a visitor token lives (30 days) is pointless; 0 hours ends the old key's use at once.
MAX_GRACE = timedelta(days=30)


@dataclass(frozen=True)
class KeyRing:
    current: str
    previous: str = ""
    previous_until: datetime | None = None
    #: "" means the current key (a ring that was never rotated).
    stable: str = ""

    def verifying(self, now: datetime) -> tuple[str, ...]:
        """The keys a signature may be made with at `now`: the current one, then the previous one in its grace."""
        return verifying_keys(self.current, self.previous, self.previous_until, now)

    @property
    def stable_key(self) -> str:
        return self.stable or self.current


def verifying_keys(current: str, previous: str, previous_until: datetime | None, now: datetime) -> tuple[str, ...]:
    """`current`, then `previous` when there is one and `now` is before `previous_until`; "" keys are left out."""
    keys = [current] if current else []
    if previous and previous_until is not None and now < previous_until and previous != current:
        keys.append(previous)
    return tuple(keys)


def grace_from_hours(hours: object) -> timedelta:
    """A grace period in whole hours, 0 to 720 (InvalidInput naming `grace_hours` otherwise)."""
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= MAX_GRACE.total_seconds() // 3600:
        raise InvalidInput(f"must be a whole number of hours from 0 to {int(MAX_GRACE.total_seconds() // 3600)}",
                           field="grace_hours")
    return timedelta(hours=hours)


def rotated(ring: KeyRing, new_key: str, now: datetime, grace: timedelta, force: bool = False) -> KeyRing:
    """The ring after a rotation at `now`: `new_key` signs; the key that signed until now verifies for `grace`.

    Only one previous key is kept, so rotating again while the previous key is in its grace would end that grace
    early (what it signed stops verifying): refused (Conflict naming `grace_hours`) unless `force`, which is what
    an operator wants after a leak."""
    if not new_key or new_key == ring.current:
        raise InvalidInput("the new key must differ from the current one", field="key")
    if not force and ring.previous and ring.previous_until is not None and now < ring.previous_until:
        raise Conflict(f"the previous key verifies until {ring.previous_until.isoformat()}; rotating again now ends "
                       "that grace at once (force it after a leak)", field="grace_hours")
    return KeyRing(current=new_key, previous=ring.current, previous_until=now + grace, stable=ring.stable_key)


def ring_from_secret(text: str) -> KeyRing:
    """The ring a secret string holds: the JSON ring, or a plain key (a secret never rotated)."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("version") != RING_VERSION or not isinstance(data.get("current"), str):
        return KeyRing(current=text)
    until = data.get("previous_until")
    return KeyRing(current=data["current"], previous=str(data.get("previous") or ""),
                   previous_until=datetime.fromisoformat(until) if isinstance(until, str) and until else None,
                   stable=str(data.get("stable") or ""))


def ring_to_secret(ring: KeyRing) -> str:
    return json.dumps({"version": RING_VERSION, "current": ring.current, "previous": ring.previous,
                       "previous_until": ring.previous_until.isoformat() if ring.previous_until else "",
                       "stable": ring.stable_key}, separators=(",", ":"))
