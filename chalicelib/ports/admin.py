"""Ports of the tenant's administration: its audit log and its user directory (issue 16). The package's __init__
re-exports every name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.audit import AuditEntry, AuditQuery


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None:
        """Append an entry that goes with no other write (a read of a secret): one conditional Put."""
        ...

    def entries(self, tenant: str, query: AuditQuery) -> tuple[list[AuditEntry], str]:
        """A page of the tenant's entries, newest first, and the sort key to go on from ("" at the end)."""
        ...


@dataclass(frozen=True)
class User:
    """A person who signs in to the desk: Cognito holds the credentials and groups, the directory what the console
    lists. `status` is the credential's: invited (a temporary password), confirmed, reset (a new temporary one)."""

    tenant: str
    id: str
    username: str
    email: str
    name: str
    roles: tuple[str, ...]
    active: bool = True
    status: str = "invited"
    created_at: datetime | None = None

    @property
    def is_active_admin(self) -> bool:
        return self.active and "admin" in self.roles


class UserDirectory(Protocol):
    def of_tenant(self, tenant: str) -> list[User]:
        """Every user of the tenant (one Query), by name."""
        ...

    def get(self, tenant: str, user_id: str) -> User | None: ...

    def create(self, user: User, entry: AuditEntry | None) -> None:
        """The new user's item (condition: absent), the active admins' count when an admin, and the entry: one
        transaction."""
        ...

    def change(self, before: User, after: User, entry: AuditEntry | None) -> None:
        """`before` becomes `after` on the condition that it is as read; the active admins' count follows, and may
        not go below one (Conflict, field "roles"); one transaction with the entry."""
        ...


class UserAccounts(Protocol):
    """The identity provider's side of the users the console manages (Cognito)."""

    def invite(self, tenant: str, email: str, name: str, roles: Sequence[str], temporary_password: str) -> str:
        """A user who must change `temporary_password` at their first login; returns their id (sub)."""
        ...

    def set_roles(self, username: str, added: Sequence[str], removed: Sequence[str]) -> None: ...

    def set_active(self, username: str, active: bool) -> None: ...

    def set_temporary_password(self, username: str, temporary_password: str) -> None: ...
