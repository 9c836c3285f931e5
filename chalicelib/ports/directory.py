"""Ports of what a tenant keeps besides conversations: the tenant, its agents, contacts, connections, sales and
the per-visitor counters. The package's __init__ re-exports every name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.contacts import Case, Contact
from chalicelib.domain.key_rotation import KeyRing, verifying_keys
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Principal,
)
from chalicelib.domain.rate_limits import Window
from chalicelib.domain.routing import AgentSettings, RoutingConfig
from chalicelib.domain.sales import Sale
from chalicelib.domain.settings import TenantSettings


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    settings: TenantSettings = field(default_factory=TenantSettings)
    #: HMAC key with which the brand signs its logged-in customers' identity; never shown to agents or visitors.
    identity_secret: str = ""
    #: Groups, rules, skills and fairness (ROUTE-1 to ROUTE-7).
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    #: The revision of the tenant's item: every admin write is conditional on the one it read (issue 16).
    version: int = 0
    #: The identity secret before the last rotation (`guichet secret rotate`), which still verifies until
    #: `previous_identity_until` (domain/key_rotation.py); "" when never rotated.
    previous_identity_secret: str = ""
    previous_identity_until: datetime | None = None

    def identity_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets a brand's signature may be made with at `now`: the current one, then the previous one while
        its grace lasts."""
        return verifying_keys(self.identity_secret, self.previous_identity_secret, self.previous_identity_until, now)


class TenantRepository(Protocol):
    def get(self, tenant: str) -> Tenant | None: ...

    def put(self, tenant: Tenant) -> None:
        """Create the tenant, or change its name, settings and routing. Its identity secret is written when the
        tenant is created and afterwards only by `rotate_identity_secret`: a put of a stale copy (a warm container's
        cache) never undoes a rotation."""
        ...

    def rotate_identity_secret(self, tenant: str, expected: str, ring: KeyRing) -> Tenant:
        """Put the ring's current, previous and grace in place of the identity secret `expected`; Conflict (field
        `identity_secret`) when the tenant's secret is no longer `expected` (another rotation came first)."""
        ...

    def read(self, tenant: str) -> Tenant | None:
        """The tenant as stored now (a consistent read, not the cache): what an admin write starts from."""
        ...

    def update(self, tenant: Tenant, entry: AuditEntry | None) -> Tenant:
        """Write `tenant` on the condition that the stored revision is still `tenant.version`, with the audit entry
        in the same transaction; returns it at its new revision. Conflict (field "version") when it changed."""
        ...


class AgentRepository(Protocol):
    def get(self, tenant: str, agent_id: str) -> Agent | None: ...

    def put(self, agent: Agent) -> None: ...

    def set_status(self, tenant: str, agent_id: str, status: AgentStatus, now: datetime) -> Agent: ...

    def switch_queues(self, tenant: str, agent_id: str, queues_off: frozenset[str]) -> Agent:
        """Record which of the agent's queues are switched off (their availability follows)."""
        ...

    def change_settings(self, tenant: str, agent_id: str, settings: AgentSettings,
                        audit: Callable[[Agent, Agent], AuditEntry] | None = None) -> Agent:
        """An admin's change of capacity, skills, groups and routing flags (their availability follows); `audit`
        makes the entry written in the same transaction, from the revision the change was made on."""
        ...

    def set_line(self, tenant: str, agent_id: str, line: str) -> Agent:
        """The number the agent gave at this login (CB-6), "" for none; cleared when they go Offline (their
        availability for calls follows)."""
        ...

    def get_many(self, tenant: str, agent_ids: Sequence[str]) -> list[Agent]:
        """Several agents by id (reports only), in any order; unknown ids are left out."""
        ...

    def reindex(self, tenant: str, agent_id: str) -> Agent | None:
        """Rewrite where the routing index lists the agent, for the tenant's current routing configuration."""
        ...

    def members(self, tenant: str, group: str) -> list[str]:
        """The ids of a group's agents (reports and re-indexing only: a routing decision never reads this)."""
        ...

    def by_keypad(self, tenant: str, keypad_id: str) -> Agent | None:
        """The agent whose keypad id (ACD mode, CB-5) this is, if any. Keypad ids are unique in a tenant: a
        `change_settings` or `put` giving one another agent holds raises Conflict naming `keypad_id`."""
        ...


class ContactRepository(Protocol):
    """Customers' records (CHAT-8, OMNI-3), found by key only: an email or an external id points to one contact."""

    def find(self, tenant: str, *, email: str | None = None, external_id: str | None = None) -> Contact | None:
        """The contact that email (case-insensitive) or that external id points to, else None."""
        ...

    def get(self, tenant: str, contact_id: str) -> Contact | None: ...

    def create(self, contact: Contact) -> None:
        """Store a new contact with its pointers in one transaction; Conflict (field email or external_id) if
        another contact holds that email or external id."""
        ...

    def add_case(self, case: Case) -> None:
        """Save a conversation's log on the contact's record (one case per conversation; a repeat overwrites)."""
        ...

    def cases(self, tenant: str, contact_id: str) -> list[Case]:
        """The contact's cases, newest first."""
        ...


class ConnectionRepository(Protocol):
    def add(self, principal: Principal, connection_id: str, now: datetime) -> None: ...

    def remove(self, principal: Principal, connection_id: str) -> None: ...

    def of(self, principal: Principal) -> list[str]: ...


class SaleRepository(Protocol):
    def get(self, tenant: str, order_id: str) -> Sale | None: ...

    def record(self, sale: Sale) -> Sale:
        """Store a sale once per order id; returns the one stored (a concurrent first report wins)."""
        ...


class RateLimits(Protocol):
    """Counters of what visitors start (sessions, conversations) in fixed windows, shared by every container."""

    def take(self, tenant: str, kind: str, key: str, limit: int, window: Window) -> bool:
        """Count one more `kind` for `key` in the window unless it already counts `limit`: True if counted, False
        (and nothing counted) if the limit is reached. Atomic: racing callers never get more than `limit`."""
        ...
