"""Ports of the edges: pushes, time, ids, secrets, sign-in, timers, email and metrics. The package's __init__
re-exports every name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.model import (
    Principal,
)


class Push(Protocol):
    def send(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        """Deliver one frame to one WebSocket connection; raises ConnectionGone on 410."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Ids(Protocol):
    def new_id(self) -> str: ...


class SecretStore(Protocol):
    def visitor_token_key(self) -> bytes:
        """The key that signs visitor tokens and links now (the current key of the ring)."""
        ...

    def visitor_token_keys(self, now: datetime) -> tuple[bytes, ...]:
        """The keys that verify them at `now`: the current one, then the previous one while its grace lasts."""
        ...

    def visitor_id_key(self) -> bytes:
        """The key of derived ids that must survive rotations (identified visitors' ids): never rotated."""
        ...


class AgentTokenVerifier(Protocol):
    def verify(self, token: str) -> Principal:
        """The agent the ID token names; raises Unauthorized if forged, expired, or for another pool or client."""
        ...


@dataclass(frozen=True)
class LoginResult:
    id_token: str
    expires_in: int
    #: "new_password" when the user must set a password first (no token then; `session` continues the login).
    challenge: str = ""
    session: str = ""
    username: str = ""


class IdentityProvider(Protocol):
    def login(self, username: str, password: str) -> LoginResult: ...

    def create_user(self, tenant: str, username: str, password: str | None, name: str, roles: Sequence[str],
                    email: str = "") -> str:
        """Create a user bound to a tenant; returns its stable id (sub). With a password: confirmed, with that
        permanent password. Without (None): invited by email with a temporary password that only the user sees
        (Cognito's invitation), to be changed at their first login. Conflict (field `username`) when it exists."""
        ...

    def set_new_password(self, username: str, session: str, new_password: str) -> LoginResult:
        """Answer the "new_password" challenge of a login: the user's own password replaces the temporary one."""
        ...


@dataclass(frozen=True)
class Timer:
    kind: str
    tenant: str
    payload: Mapping[str, Any]


class Timers(Protocol):
    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        """Deliver `timer` to the timer handler at `fire_at`, at least once."""
        ...


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    #: The display name of the sender (the brand); the address is the deployment's verified identity.
    sender_name: str = ""


class Mailer(Protocol):
    def send(self, email: Email) -> str: ...


class Metrics(Protocol):
    """Business counts (docs/operations.md): `name` is one of a few fixed names, never built from data."""

    def count(self, name: str, n: int = 1) -> None: ...

    def flush(self) -> None:
        """Publish what was counted (once per invocation, by app.py)."""


class NoMetrics:
    """Counts nothing (the default of a Deps built without metrics)."""

    def count(self, name: str, n: int = 1) -> None:
        pass

    def flush(self) -> None:
        pass
