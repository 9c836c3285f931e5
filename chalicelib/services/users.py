"""Admins manage who signs in to the desk (issue 16): invite, change roles, deactivate and reactivate, reset a
password. Supervisors read the list; agents see none of it.

Cognito holds the credentials and the groups (the roles in the ID token); the directory item is what the console
lists (docs/data-model.md). A change is written to the directory first, in one transaction with its audit entry and
the active admins' count (which refuses to take the last active admin away), then made in Cognito. The invitation
and a reset mail a temporary password to the user's address only: the API's answer never holds it, and nothing
logs it or the address."""

from __future__ import annotations

import contextlib
import secrets
import string
from dataclasses import replace
from typing import Any

from email_validator import EmailNotValidError, validate_email

from chalicelib.domain.errors import Conflict, InvalidInput, MissingField, NotFound, Unavailable
from chalicelib.domain.model import (
    DEFAULT_CHAT_CAPACITY,
    DEFAULT_QUEUE,
    Agent,
    AgentStatus,
    Principal,
    PrincipalKind,
    Role,
)
from chalicelib.ports import Deps, Email, User, UserAccounts, UserDirectory
from chalicelib.services import audit, board, fanout, frames
from chalicelib.services.auth import require_role

ROLES = ("agent", "supervisor", "admin")
MAX_NAME_CHARS = 80
TEMPORARY_PASSWORD_CHARS = 16


def to_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "email": user.email, "name": user.name,
            "roles": list(user.roles), "active": user.active, "status": user.status if user.active else "deactivated",
            "created_at": user.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if user.created_at else None}


def users(deps: Deps, caller: Principal) -> list[User]:
    """Admins and supervisors: every user of the tenant, by name."""
    require_role(caller, Role.ADMIN, Role.SUPERVISOR)
    return _directory(deps).of_tenant(caller.tenant)


def invite(deps: Deps, accounts: UserAccounts, admin: Principal, body: object, *, ip: str, desk_url: str) -> User:
    """A new user with a temporary password, mailed to them with the desk's address; their agent item too, so they
    can work at once. 409 (field "email") when the address has an account already."""
    require_role(admin, Role.ADMIN)
    fields = body if isinstance(body, dict) else {}
    email = _email(fields.get("email"))
    name = _name(fields.get("name"))
    roles = _roles(fields.get("roles"))
    directory = _directory(deps)
    temporary = temporary_password()
    user_id = accounts.invite(admin.tenant, email, name, roles, temporary)
    user = User(tenant=admin.tenant, id=user_id, username=email, email=email, name=name, roles=roles,
                status="invited", created_at=deps.clock.now())
    entry = audit.new_entry(deps, admin, ip=ip, action="user.invite", target=f"user:{user_id}",
                            after=_audited(user))
    directory.create(user, entry)
    deps.agents.put(Agent(tenant=admin.tenant, id=user_id, name=name, capacity=DEFAULT_CHAT_CAPACITY,
                          queues=(DEFAULT_QUEUE,)))  # as services/tenants.create_agent makes it
    _mail(deps, user, temporary, desk_url, invitation=True)
    return user


def change_roles(deps: Deps, accounts: UserAccounts, admin: Principal, user_id: str, body: object, *,
                 ip: str) -> User:
    """The user's roles become `body["roles"]`: the directory (the last active admin stays), then Cognito's groups."""
    require_role(admin, Role.ADMIN)
    fields = body if isinstance(body, dict) else {}
    roles = _roles(fields.get("roles"))
    before = _user(deps, admin.tenant, user_id)
    after = replace(before, roles=roles)
    _change(deps, admin, before, after, "user.roles", ip)
    # Every role, not the difference from the directory: Cognito's groups become the wanted roles whatever they are
    # now, so saving the same roles again repairs a Cognito call that failed after the directory's transaction.
    accounts.set_roles(before.username, sorted(roles), sorted(set(ROLES) - set(roles)))
    return after


def set_active(deps: Deps, accounts: UserAccounts, admin: Principal, user_id: str, active: bool, *, ip: str) -> User:
    """Deactivate (Cognito refuses their logins) or reactivate a user. The tenant's last active admin stays. A
    deactivated agent is set Offline at once, so routing offers them nothing more, and their open desks are told;
    they cannot become Available again (services/agents.set_status) while their current token lasts."""
    require_role(admin, Role.ADMIN)
    before = _user(deps, admin.tenant, user_id)
    after = replace(before, active=active)
    if before.active != active:
        _change(deps, admin, before, after, "user.reactivate" if active else "user.deactivate", ip)
    accounts.set_active(before.username, active)
    if not active:
        _set_offline(deps, admin.tenant, user_id)
    return after


def is_deactivated(deps: Deps, tenant: str, user_id: str) -> bool:
    """The directory says this user was deactivated (a user the directory does not know is not)."""
    user = deps.users.get(tenant, user_id) if deps.users is not None else None
    return user is not None and not user.active


def _set_offline(deps: Deps, tenant: str, user_id: str) -> None:
    agent = deps.agents.get(tenant, user_id)
    if agent is None or agent.status is AgentStatus.OFFLINE:
        return
    agent = deps.agents.set_status(tenant, user_id, AgentStatus.OFFLINE, deps.clock.now())
    board.changed(deps, tenant)
    principal = Principal(tenant=tenant, id=user_id, kind=PrincipalKind.AGENT)
    fanout.to_connections(deps, deps.connections.of(principal), {"type": "agent.status", "agent": frames.agent(agent)})


def reset_password(deps: Deps, accounts: UserAccounts, admin: Principal, user_id: str, *, ip: str,
                   desk_url: str) -> User:
    """A new temporary password, mailed like the invitation; the user sets their own at the next login."""
    require_role(admin, Role.ADMIN)
    before = _user(deps, admin.tenant, user_id)
    if not before.active:
        raise Conflict("reactivate this user first", field="active")
    if not before.email:
        raise Conflict("this user has no email address to send a password to", field="email")
    after = replace(before, status="reset")
    _change(deps, admin, before, after, "user.reset_password", ip)
    temporary = temporary_password()
    accounts.set_temporary_password(before.username, temporary)
    _mail(deps, after, temporary, desk_url, invitation=False)
    return after


def password_set(deps: Deps, tenant: str, user_id: str) -> None:
    """After a user set their own password at login: their directory status becomes "confirmed"."""
    if deps.users is None:
        return
    before = deps.users.get(tenant, user_id)
    if before is None or before.status == "confirmed":
        return
    with contextlib.suppress(Conflict):  # changed meanwhile (an admin's change): the next login tells again
        deps.users.change(before, replace(before, status="confirmed"), None)


def new_password_fields(username: object, session: object, password: object) -> tuple[str, str, str]:
    """`POST /auth/password`'s fields, checked: (username, session, new password)."""
    values = []
    for name, value in (("username", username), ("session", session), ("new_password", password)):
        if value is None or value == "":
            raise MissingField(name)
        if not isinstance(value, str) or len(value) > 4096 or not _utf8(value):
            raise InvalidInput(f"'{name}' must be a string", field=name)
        values.append(value)
    if not 20 <= len(values[1]) <= 2048:  # Cognito's sessions' bounds
        raise InvalidInput("this is not a sign-in session: sign in again", field="session")
    if len(values[2]) > 256:
        raise InvalidInput("the password is too long (256 characters at most)", field="new_password")
    return values[0], values[1], values[2]


def _utf8(text: str) -> bool:
    """Whether the text can be sent on (a lone surrogate cannot: JSON allows it, Cognito's API does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def temporary_password() -> str:
    """16 random characters with at least an upper and a lower case letter and a digit (the pool's policy)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(TEMPORARY_PASSWORD_CHARS))
        if (any(c.isupper() for c in candidate) and any(c.islower() for c in candidate)
                and any(c.isdigit() for c in candidate)):
            return candidate


def _change(deps: Deps, admin: Principal, before: User, after: User, action: str, ip: str) -> None:
    entry = audit.new_entry(deps, admin, ip=ip, action=action, target=f"user:{before.id}", before=_audited(before),
                            after=_audited(after))
    _directory(deps).change(before, after, entry)


def _audited(user: User) -> dict[str, Any]:
    """What an entry keeps of a user: never the address (the id names them), never a password."""
    return {"name": user.name, "roles": list(user.roles), "active": user.active, "status": user.status}


def _mail(deps: Deps, user: User, temporary: str, desk_url: str, *, invitation: bool) -> None:
    if deps.mailer is None:
        raise Unavailable("this deployment sends no email")
    tenant = deps.tenants.get(user.tenant)
    brand = tenant.name if tenant is not None else user.tenant
    if invitation:
        subject = f"{brand}: your account on the desk"
        opening = f"Hello {user.name},\n\nYou are invited to {brand}'s desk."
    else:
        subject = f"{brand}: a new temporary password"
        opening = f"Hello {user.name},\n\nAn administrator reset your password on {brand}'s desk."
    text = (f"{opening}\n\nSign in at: {desk_url or '(ask your administrator for the address)'}\n"
            f"Username: {user.username}\nTemporary password: {temporary}\n\n"
            "You will choose your own password when you sign in. This temporary password expires in 7 days.\n")
    deps.mailer.send(Email(to=user.email, subject=subject, text=text, sender_name=brand))


def _user(deps: Deps, tenant: str, user_id: str) -> User:
    user = _directory(deps).get(tenant, user_id)
    if user is None:
        raise NotFound(f"no user '{user_id}'", field="user_id")
    return user


def _directory(deps: Deps) -> UserDirectory:
    if deps.users is None:
        raise Unavailable("this deployment keeps no user directory")
    return deps.users


def _email(value: object) -> str:
    if value is None or value == "":
        raise MissingField("email")
    if not isinstance(value, str) or len(value) > 254:
        raise InvalidInput("'email' must be an email address", field="email")
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput("'email' must be an email address", field="email") from exc
    return checked.normalized.lower()


def _name(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise MissingField("name")
    if not isinstance(value, str) or len(value.strip()) > MAX_NAME_CHARS or not value.strip().isprintable():
        raise InvalidInput(f"'name' must be 1 to {MAX_NAME_CHARS} printable characters", field="name")
    return value.strip()


def _roles(value: object) -> tuple[str, ...]:
    if value is None:
        raise MissingField("roles")
    if not isinstance(value, list) or not value or not all(isinstance(r, str) and r in ROLES for r in value):
        raise InvalidInput(f"'roles' must be a non-empty list of {', '.join(ROLES)}", field="roles")
    return tuple(sorted(set(value)))
