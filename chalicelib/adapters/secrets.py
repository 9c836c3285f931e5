"""The visitor-token key ring (domain/key_rotation.py), read from Secrets Manager and kept by each Lambda container
for `max_age_seconds`; and its rotation, by the operator's CLI (`guichet secret rotate`).

A rotation reaches every warm container within `max_age_seconds` (a minute): meanwhile a container that has not
read the new ring still signs with the old key, which every container accepts during the grace period, and may
refuse a token just signed with the new key (the widget then asks for a new session, as after an expired token).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib.adapters.aws import client
from chalicelib.domain.key_rotation import KeyRing, ring_from_secret, ring_to_secret, rotated

#: The length of a new key (URL-safe base64 characters of 48 random bytes).
NEW_KEY_BYTES = 48


class SecretsManagerKeys:
    def __init__(self, secret_id: str, max_age_seconds: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._secret_id = secret_id
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._ring: KeyRing | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def ring(self) -> KeyRing:
        """The ring as last read, read again when older than `max_age_seconds`."""
        if self._ring is None or self._monotonic() - self._read_at >= self._max_age:
            with self._lock:
                if self._ring is None or self._monotonic() - self._read_at >= self._max_age:
                    value = client("secretsmanager").get_secret_value(SecretId=self._secret_id)
                    self._ring = ring_from_secret(str(value["SecretString"]))
                    self._read_at = self._monotonic()
        return self._ring

    def visitor_token_key(self) -> bytes:
        return self.ring().current.encode("utf-8")

    def visitor_token_keys(self, now: datetime) -> tuple[bytes, ...]:
        return tuple(k.encode("utf-8") for k in self.ring().verifying(now))

    def visitor_id_key(self) -> bytes:
        return self.ring().stable_key.encode("utf-8")

    def rotate(self, now: datetime, grace: timedelta, force: bool = False) -> KeyRing:
        """Put a new current key in the secret (a new version); the old one verifies for `grace`. The operator's
        command, not the application's: the application only reads."""
        current = ring_from_secret(str(client("secretsmanager").get_secret_value(SecretId=self._secret_id)
                                       ["SecretString"]))
        ring = rotated(current, secrets.token_urlsafe(NEW_KEY_BYTES), now, grace, force)
        client("secretsmanager").put_secret_value(SecretId=self._secret_id, SecretString=ring_to_secret(ring))
        with self._lock:
            self._ring, self._read_at = ring, self._monotonic()
        return ring
