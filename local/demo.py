"""Demo data for the local stack: the tenant `demo`, its default queue, and agents whose logins are printed."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from chalicelib import bootstrap
from chalicelib.adapters.aws import client, error_code
from chalicelib.domain import settings
from chalicelib.domain.model import DEFAULT_CHAT_CAPACITY, DEFAULT_QUEUE, Agent, Role
from chalicelib.services import tenants
from chalicelib.settings import settings as app_settings

TENANT = "demo"
TENANT_NAME = "Demo Brand"
PASSWORD = "Guichet-demo-1"
AGENTS: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("alice", "Alice Martin", (Role.AGENT,)),
    ("bob", "Bob Leroy", (Role.AGENT,)),
    ("sam", "Sam Durand", (Role.AGENT, Role.SUPERVISOR)),
    ("ada", "Ada Admin", (Role.AGENT, Role.ADMIN)),
)


def demo_settings(overrides: Mapping[str, object] | None = None) -> settings.TenantSettings:
    """The demo tenant's settings: the defaults, with the local stack as the brand's site, changed by `overrides`, or
    else by `GUICHET_DEMO_SETTINGS` (JSON, e.g. '{"acceptance_seconds": 5}'), so that a test can have a stack with
    short timers. Invalid ones raise."""
    if overrides is None:
        overrides = json.loads(os.environ.get("GUICHET_DEMO_SETTINGS") or "{}")
    return settings.updated(settings.TenantSettings(), {"site_url": site_url(), **overrides})


def site_url() -> str:
    """The demo brand page's address (`/` of the gateway): emails link to it, so their links keep working; no
    `site_origins`, so that clients without an `Origin` header (tests' WebSocket clients) are not refused."""
    host = os.environ.get("HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"  # listening everywhere: this machine's own address works
    return f"http://{f'[{host}]' if ':' in host else host}:{os.environ.get('PORT', '8000')}/"


def seed(overrides: Mapping[str, object] | None = None) -> list[tuple[str, str]]:
    """Create the demo tenant and agents on the fresh embedded AWS; returns and prints (username, password)."""
    c = bootstrap.container()
    tenants.create_tenant(c.deps, TENANT, TENANT_NAME, demo_settings(overrides))
    logins = []
    for username, name, roles in AGENTS:
        tenants.create_agent(c.deps, c.identity, tenant=TENANT, username=username, password=PASSWORD, name=name,
                             roles=roles, queues=(DEFAULT_QUEUE,))
        logins.append((username, PASSWORD))
    print(f"\nDemo tenant '{TENANT}' (queue '{DEFAULT_QUEUE}'); agent logins for /desk:")
    for (username, password), (_, name, roles) in zip(logins, AGENTS, strict=True):
        print(f"  {username:<6} / {password}   {name} ({', '.join(r.value for r in roles)})")
    return logins


def reseed(overrides: Mapping[str, object]) -> None:
    """The demo data again, on an emptied table, as `seed()` writes it, except that the Cognito users of the first
    seed are reused (same usernames, same `sub` = agent ids, same password and groups) instead of created: the user
    pool is never emptied by the local reset (`local/reset.py`). A demo user missing from the pool is created."""
    c = bootstrap.container()
    tenants.create_tenant(c.deps, TENANT, TENANT_NAME, demo_settings(overrides))
    for username, name, roles in AGENTS:
        agent_id = _existing_user(username)
        if agent_id is None:
            tenants.create_agent(c.deps, c.identity, tenant=TENANT, username=username, password=PASSWORD, name=name,
                                 roles=roles, queues=(DEFAULT_QUEUE,))
            continue
        # What tenants.create_agent writes once the Cognito user exists.
        c.deps.agents.put(Agent(tenant=TENANT, id=agent_id, name=name, capacity=DEFAULT_CHAT_CAPACITY,
                                queues=(DEFAULT_QUEUE,)))
        tenants.add_to_directory(c.deps, tenant=TENANT, user_id=agent_id, username=username, name=name, roles=roles)


def _existing_user(username: str) -> str | None:
    """The `sub` (agent id) of a demo user of the pool, or None when the pool has no such user."""
    try:
        user = client("cognito-idp").admin_get_user(UserPoolId=app_settings().user_pool_id, Username=username)
    except Exception as exc:
        if error_code(exc) == "UserNotFoundException":
            return None
        raise
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    return str(attributes.get("sub") or user["Username"])
