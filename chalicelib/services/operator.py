"""What the operator's CLI does to a tenant (issue 16): create it once, and rotate its identity secret."""

from __future__ import annotations

import re
from datetime import timedelta

from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.key_rotation import KeyRing, rotated
from chalicelib.ports import Deps, Tenant
from chalicelib.services import tenants

#: A new tenant's id: it appears in URLs, keys and notification emails' reply addresses (domain/links.py).
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,35}$")


def create_tenant_once(deps: Deps, tenant_id: str, name: str) -> tuple[Tenant, bool]:
    """The tenant, and whether it was created now: an existing tenant is left exactly as it is."""
    if not TENANT_ID.match(tenant_id):
        raise InvalidInput("1 to 36 lowercase letters, digits and dashes, starting with a letter or digit",
                           field="tenant")
    if not name.strip() or len(name) > 120:
        raise InvalidInput("the brand's name, 1 to 120 characters", field="name")
    found = deps.tenants.get(tenant_id)
    if found is not None:
        return found, False
    return tenants.create_tenant(deps, tenant_id, name.strip()), True


def rotate_identity_secret(deps: Deps, tenant_id: str, grace: timedelta, force: bool = False) -> Tenant:
    """A new identity secret for the tenant; the one it replaces still verifies brands' signatures for `grace`, the
    time to give the new one to the brand's server."""
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    ring = rotated(KeyRing(tenant.identity_secret, tenant.previous_identity_secret, tenant.previous_identity_until),
                   deps.ids.new_id() + deps.ids.new_id(), deps.clock.now(), grace, force)
    return deps.tenants.rotate_identity_secret(tenant_id, tenant.identity_secret, ring)
