"""Demo data for the local stack: the tenant `demo`, its default queue, and agents whose logins are printed."""

from __future__ import annotations

import json
import os

from chalicelib import bootstrap
from chalicelib.domain import settings
from chalicelib.domain.model import DEFAULT_QUEUE, Role
from chalicelib.services import tenants

TENANT = "demo"
PASSWORD = "Guichet-demo-1"
AGENTS = (
    ("alice", "Alice Martin", (Role.AGENT,)),
    ("bob", "Bob Leroy", (Role.AGENT,)),
    ("sam", "Sam Durand", (Role.AGENT, Role.SUPERVISOR)),
    ("ada", "Ada Admin", (Role.AGENT, Role.ADMIN)),
)


def seed() -> list[tuple[str, str]]:
    """Create the demo tenant and agents on the fresh embedded AWS; returns and prints (username, password).

    `GUICHET_DEMO_SETTINGS` (JSON, e.g. '{"acceptance_seconds": 5}') changes the demo tenant's settings, so that a
    test can start a stack with short timers."""
    c = bootstrap.container()
    overrides = json.loads(os.environ.get("GUICHET_DEMO_SETTINGS") or "{}")
    tenants.create_tenant(c.deps, TENANT, "Demo Brand", settings.updated(settings.TenantSettings(), overrides))
    logins = []
    for username, name, roles in AGENTS:
        tenants.create_agent(c.deps, c.identity, tenant=TENANT, username=username, password=PASSWORD, name=name,
                             roles=roles, queues=(DEFAULT_QUEUE,))
        logins.append((username, PASSWORD))
    print(f"\nDemo tenant '{TENANT}' (queue '{DEFAULT_QUEUE}'); agent logins for /desk:")
    for (username, password), (_, name, roles) in zip(logins, AGENTS, strict=True):
        print(f"  {username:<6} / {password}   {name} ({', '.join(r.value for r in roles)})")
    return logins
