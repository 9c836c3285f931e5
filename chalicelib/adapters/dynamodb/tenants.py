"""Tenants: their configuration through a per-container cache, and the routing configuration it holds.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.adapters.dynamodb.audit import audit_put
from chalicelib.adapters.dynamodb.items import TenantItem
from chalicelib.adapters.dynamodb.transactions import _Tx
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict
from chalicelib.domain.key_rotation import KeyRing
from chalicelib.domain.routing import RoutingConfig
from chalicelib.domain.routing import config_from_json as routing_from_json
from chalicelib.domain.routing import config_to_json as routing_to_json
from chalicelib.domain.settings import from_json as settings_from_json
from chalicelib.ports import Tenant


class DynamoTenants:
    """A tenant's configuration, read through a per-container cache.

    Every routing decision, close and queue announcement needs the tenant's settings, which change a few times a
    year; like Powertools' parameters, a container keeps what it read for `max_age_seconds`. A change made in this
    container is seen at once; other warm containers see it within that time."""

    def __init__(self, max_age_seconds: float = 5.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Tenant | None]] = {}

    def get(self, tenant: str) -> Tenant | None:
        cached = self._cache.get(tenant)
        now = self._monotonic()
        if cached is not None and now - cached[0] < self._max_age:
            return cached[1]
        return self._load(tenant, consistent=False)

    def read(self, tenant: str) -> Tenant | None:
        """The tenant as stored now (a consistent read past the cache): what an admin write starts from."""
        return self._load(tenant, consistent=True)

    def _load(self, tenant: str, *, consistent: bool) -> Tenant | None:
        try:
            item = TenantItem.get(f"T#{tenant}#TENANT", "CONFIG", consistent_read=consistent)
        except DoesNotExist:
            return None  # not cached: a tenant created a moment later is found at once
        found = _tenant(tenant, item)
        self._cache[tenant] = (self._monotonic(), found)
        return found

    def put(self, tenant: Tenant) -> None:
        """One UpdateItem of the name, settings and routing; the identity secret only if the item has none yet (a new
        tenant), so that a stale copy never undoes a rotation (`rotate_identity_secret`)."""
        item = TenantItem(f"T#{tenant.id}#TENANT", "CONFIG")
        actions: list[Action] = [TenantItem.name.set(tenant.name), TenantItem.settings.set(tenant.settings.to_json()),
                                 TenantItem.routing.set(routing_to_json(tenant.routing))]
        if tenant.identity_secret:
            actions.append(TenantItem.identity_secret.set(TenantItem.identity_secret | tenant.identity_secret))
        item.update(actions=actions)
        self._cache[tenant.id] = (self._monotonic(), _tenant(tenant.id, item))

    def rotate_identity_secret(self, tenant: str, expected: str, ring: KeyRing) -> Tenant:
        item = TenantItem(f"T#{tenant}#TENANT", "CONFIG")
        actions: list[Action] = [TenantItem.identity_secret.set(ring.current),
                                 TenantItem.previous_identity_secret.set(ring.previous) if ring.previous
                                 else TenantItem.previous_identity_secret.remove(),
                                 TenantItem.previous_identity_until.set(ring.previous_until) if ring.previous_until
                                 else TenantItem.previous_identity_until.remove()]
        unchanged = TenantItem.identity_secret == expected if expected else TenantItem.identity_secret.does_not_exist()
        try:
            item.update(actions=actions, condition=TenantItem.name.exists() & unchanged)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the identity secret changed meanwhile (another rotation?); run it again",
                               field="identity_secret") from exc
            raise
        found = _tenant(tenant, item)
        self._cache[tenant] = (self._monotonic(), found)
        return found

    def update(self, tenant: Tenant, entry: AuditEntry | None) -> Tenant:
        """An admin's change of the name, settings or routing: one UpdateItem on the condition that the stored
        revision is the one read (the identity secret is left alone, as by `put`), with its audit entry, in one
        transaction. A concurrent change wins and this one is refused whole (Conflict, field "version")."""
        after = replace(tenant, version=tenant.version + 1)
        stored = TenantItem.version == tenant.version
        if tenant.version == 0:
            stored = TenantItem.version.does_not_exist() | stored
        actions: list[Action] = [TenantItem.name.set(tenant.name), TenantItem.settings.set(tenant.settings.to_json()),
                                 TenantItem.routing.set(routing_to_json(tenant.routing)),
                                 TenantItem.version.set(after.version)]
        tx = _Tx()
        tx.named_update("tenant", TenantItem(f"T#{tenant.id}#TENANT", "CONFIG"), actions=actions,
                        condition=TenantItem.name.exists() & stored)
        audit_put(tx, entry)
        try:
            tx.commit()
        except TransactWriteError as exc:
            self._cache.pop(tenant.id, None)
            raise Conflict("the settings changed meanwhile: reload them and try again", field="version") from exc
        self._cache[tenant.id] = (self._monotonic(), after)
        return after


def _tenant(tenant: str, item: TenantItem) -> Tenant:
    return Tenant(id=tenant, name=item.name, settings=settings_from_json(item.settings or {}),
                  identity_secret=item.identity_secret or "",
                  routing=routing_from_json(item.routing) if item.routing else RoutingConfig(),
                  previous_identity_secret=item.previous_identity_secret or "",
                  previous_identity_until=item.previous_identity_until, version=int(item.version or 0))


class _RoutingConfigs:
    """The tenant's routing configuration, through the tenants' per-container cache."""

    def __init__(self, tenants: DynamoTenants | None) -> None:
        self._tenants = tenants or DynamoTenants()

    def routing(self, tenant: str) -> RoutingConfig:
        found = self._tenants.get(tenant)
        return found.routing if found is not None else RoutingConfig()
