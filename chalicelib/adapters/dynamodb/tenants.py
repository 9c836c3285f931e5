"""Tenants: their configuration through a per-container cache, and the routing configuration it holds.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.adapters.dynamodb.items import TenantItem
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
        try:
            item = TenantItem.get(f"T#{tenant}#TENANT", "CONFIG")
        except DoesNotExist:
            return None  # not cached: a tenant created a moment later is found at once
        found = _tenant(tenant, item)
        self._cache[tenant] = (now, found)
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


def _tenant(tenant: str, item: TenantItem) -> Tenant:
    return Tenant(id=tenant, name=item.name, settings=settings_from_json(item.settings or {}),
                  identity_secret=item.identity_secret or "",
                  routing=routing_from_json(item.routing) if item.routing else RoutingConfig(),
                  previous_identity_secret=item.previous_identity_secret or "",
                  previous_identity_until=item.previous_identity_until)


class _RoutingConfigs:
    """The tenant's routing configuration, through the tenants' per-container cache."""

    def __init__(self, tenants: DynamoTenants | None) -> None:
        self._tenants = tenants or DynamoTenants()

    def routing(self, tenant: str) -> RoutingConfig:
        found = self._tenants.get(tenant)
        return found.routing if found is not None else RoutingConfig()
