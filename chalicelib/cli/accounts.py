"""`guichet tenant create`, `guichet admin create` and `guichet secret rotate`."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from chalicelib.cli import command_group
from chalicelib.domain.errors import Conflict, InvalidInput

#: The user pool's password policy (infra/template.yaml, UserPool): checked before anything is created.
PASSWORD_RULE = "at least 12 characters, with upper and lower case letters and a digit"  # noqa: S105 - a rule


def add_commands(commands: Any) -> None:
    tenant = command_group(commands, "tenant", "tenants")
    create = tenant.add_parser("create", help="create a tenant (an existing one is left unchanged)")
    create.add_argument("tenant", metavar="ID", help="the tenant's id: lowercase letters, digits, dashes (e.g. acme)")
    create.add_argument("--name", required=True, help="the brand's name, shown to visitors")
    create.set_defaults(run=tenant_create)

    admin = command_group(commands, "admin", "administrators")
    first = admin.add_parser("create", help="create a tenant's admin (an existing user is left unchanged)",
                             description="Create a Cognito user with the agent and admin roles. By default Cognito "
                             "emails them a temporary password (nobody else sees it), to change at their first "
                             "login; --password-stdin sets a permanent one instead. For an existing user, only what "
                             "is missing is added: their agent, their item in the user directory (from their Cognito "
                             "groups, name and status).")
    first.add_argument("--tenant", required=True, help="the tenant's id")
    first.add_argument("--username", required=True, help="their login")
    first.add_argument("--name", required=True, help="their name, as agents and visitors see it")
    first.add_argument("--email", default="", help="where Cognito sends the invitation (required without "
                       "--password-stdin)")
    first.add_argument("--password-stdin", action="store_true",
                       help=f"read a permanent password from the first line of stdin ({PASSWORD_RULE})")
    first.set_defaults(run=admin_create)

    secret = command_group(commands, "secret", "secrets")
    rotate = secret.add_parser("rotate", help="rotate the visitor-token key and a tenant's identity secret",
                               description="Put new keys in place; what the old ones signed still verifies for the "
                               "grace period: visitors' tokens, email and callback links (the deployment's "
                               "visitor-token key), brands' identity and sale signatures (the tenant's identity "
                               "secret).")
    rotate.add_argument("--tenant", action="append", default=[], metavar="ID",
                        help="a tenant whose identity secret to rotate (repeatable)")
    rotate.add_argument("--grace-hours", type=int, default=24,
                        help="how long the old keys still verify, 0 to 720 (default 24)")
    rotate.add_argument("--no-visitor-key", action="store_true",
                        help="leave the deployment's visitor-token key as it is (it is shared by every tenant)")
    rotate.add_argument("--force", action="store_true",
                        help="rotate even though an earlier rotation's grace is not over (it ends at once: after a "
                        "leak)")
    rotate.set_defaults(run=secret_rotate)


def tenant_create(arguments: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.services import operator

    tenant, created = operator.create_tenant_once(bootstrap.container().deps, arguments.tenant, arguments.name)
    if created:
        print(f"Tenant '{tenant.id}' ({tenant.name}) created.")
    else:
        print(f"Tenant '{tenant.id}' exists ({tenant.name}): nothing changed.")
    return 0


def admin_create(arguments: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.adapters.cognito import CognitoIdentity
    from chalicelib.domain import emails
    from chalicelib.domain.model import Role
    from chalicelib.services import tenants
    from chalicelib.settings import settings

    password: str | None = None
    if arguments.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        check_password(password)
    email = emails.valid_email("email", arguments.email) if arguments.email else ""
    if password is None and not email:
        raise InvalidInput("the invitation needs an address (or give --password-stdin)", field="email")
    if not arguments.name.strip() or len(arguments.name) > 120:
        raise InvalidInput("1 to 120 characters", field="name")
    c = bootstrap.container()
    if c.deps.tenants.get(arguments.tenant) is None:
        raise InvalidInput(f"no tenant '{arguments.tenant}': run `guichet tenant create` first", field="tenant")
    pool = CognitoIdentity(settings().user_pool_id, settings().user_pool_client_id)
    existing = pool.account(arguments.username)
    if existing is not None:
        return _existing_admin(c.deps, pool, arguments, existing)
    try:
        agent = tenants.create_agent(c.deps, c.identity, tenant=arguments.tenant, username=arguments.username,
                                     password=password, name=arguments.name.strip(), roles=(Role.AGENT, Role.ADMIN),
                                     email=email)
    except Conflict:
        print(f"User '{arguments.username}' exists: nothing changed.")
        return 0
    how = ("They log in with the password given." if password is not None else
           "Cognito emailed them a temporary password, to change at their first login.")
    print(f"Admin '{arguments.username}' of tenant '{arguments.tenant}' created (id {agent.id}). {how}")
    return 0


def _existing_admin(deps: Any, pool: Any, arguments: argparse.Namespace, account: Any) -> int:
    """A second run: nothing to do, unless something is missing. A first run stopped between the Cognito user and
    its agent: the agent and its groups (agent, admin). A user made before the user directory existed: their
    directory item, from what Cognito holds (their groups, name, address, enabled, status), so that the console lists
    them and the last-admin rule counts them. Cognito's user itself is left as it is."""
    from chalicelib.domain.model import Agent, Role
    from chalicelib.services import tenants

    if account.tenant != arguments.tenant:
        raise Conflict(f"user '{arguments.username}' belongs to another tenant", field="username")
    missing = []
    if deps.agents.get(account.tenant, account.id) is None:
        deps.agents.put(Agent(tenant=account.tenant, id=account.id, name=arguments.name.strip()))
        pool.set_roles(arguments.username, ["agent", "admin"], ())
        account = pool.account(arguments.username) or account
        missing.append("their agent")
    if tenants.add_to_directory(deps, tenant=account.tenant, user_id=account.id, username=arguments.username,
                                name=account.name or arguments.name.strip(), roles=[Role(r) for r in account.roles],
                                email=account.email, status=account.status, active=account.active):
        missing.append("their entry in the user directory")
    if not missing:
        print(f"User '{arguments.username}' exists: nothing changed.")
    elif len(missing) == 1:
        print(f"User '{arguments.username}' exists; {missing[0]} was missing and is now created.")
    else:
        print(f"User '{arguments.username}' exists; {' and '.join(missing)} were missing and are now created.")
    return 0


def check_password(password: str) -> None:
    if len(password) < 12 or not (re.search("[a-z]", password) and re.search("[A-Z]", password)
                                  and re.search("[0-9]", password)):
        raise InvalidInput(f"the password needs {PASSWORD_RULE}", field="password")


def secret_rotate(arguments: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.adapters.secrets import SecretsManagerKeys
    from chalicelib.domain.key_rotation import grace_from_hours
    from chalicelib.services import operator
    from chalicelib.settings import settings

    grace = grace_from_hours(arguments.grace_hours)
    if arguments.no_visitor_key and not arguments.tenant:
        raise InvalidInput("nothing to rotate: give --tenant, or leave out --no-visitor-key", field="tenant")
    deps = bootstrap.container().deps
    for tenant in arguments.tenant:  # every tenant is checked before anything rotates
        if deps.tenants.get(tenant) is None:
            raise InvalidInput(f"no tenant '{tenant}'", field="tenant")
    now = deps.clock.now()
    if not arguments.no_visitor_key:
        ring = SecretsManagerKeys(settings().visitor_secret_id).rotate(now, grace, arguments.force)
        print(f"Visitor-token key rotated: tokens and links signed before verify until {_when(ring.previous_until)}. "
              "Warm functions take the new key within a minute.")
    for tenant in arguments.tenant:
        rotated = operator.rotate_identity_secret(deps, tenant, grace, arguments.force)
        print(f"Identity secret of '{tenant}' rotated: signatures made with the old one verify until "
              f"{_when(rotated.previous_identity_until)}. It is not printed, and no page of the desk shows it: "
              f"an admin of '{tenant}' reads it with GET /tenants/{tenant}/identity-secret and their ID token "
              "(POST /auth/login; each read is audited), for the brand's server.")
    return 0


def _when(moment: Any) -> str:
    return moment.isoformat(timespec="minutes") if moment is not None else "now"
