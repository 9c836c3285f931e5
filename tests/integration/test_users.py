"""Users through Cognito (moto) and the user directory, through Chalice's handlers: an admin invites (the temporary
password goes by email only), the invited user sets their password at the first login; roles, deactivation and
password resets; who may do what (agents 403, supervisors read, admins write); bad fields refused by name with
nothing changed; and the tenant's last active admin, kept even when two admins demote each other at once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb.user_items import AdminCountItem
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.services import tenants, users
from chalicelib.settings import settings
from tests.integration.conftest import ROOT
from tests.integration.mailbox import part, sent_to
from tests.integration.test_routing_admin import agent_id_of, call, make_user
from tests.integration.test_slice_handlers import PASSWORD, login, make_agent, post

NEW_PASSWORD = "MyOwnPassw0rd"


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def invite(http: Any, tenant: str, token: str, email: str, roles: list[str] | None = None) -> Any:
    return call(http, "post", f"/tenants/{tenant}/users", token,
                {"email": email, "name": "Nina", "roles": roles or ["agent"]})


def temporary_password(address: str) -> str:
    found = re.search(r"Temporary password: (\S+)", part(sent_to(address)[-1], "plain"))
    assert found is not None
    return found.group(1)


def listed(http: Any, tenant: str, token: str) -> dict[str, dict[str, Any]]:
    answer = call(http, "get", f"/tenants/{tenant}/users", token)
    assert answer.status_code == 200, answer.body
    return {u["email"] or u["username"]: u for u in answer.json_body["users"]}


def test_an_invited_user_gets_a_mail_then_sets_a_password_at_the_first_login(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    email = f"nina-{uuid.uuid4().hex[:6]}@example.com"

    invited = invite(http, tenant, admin, email.upper())
    assert invited.status_code == 201, invited.body
    user = invited.json_body["user"]
    assert {k: user[k] for k in ("username", "email", "name", "roles", "active", "status")} == {
        "username": email, "email": email, "name": "Nina", "roles": ["agent"], "active": True, "status": "invited"}
    password = temporary_password(email)
    assert password not in invited.body.decode() and len(sent_to(email)) == 1
    assert "/desk" in part(sent_to(email)[-1], "plain") or "Sign in at" in part(sent_to(email)[-1], "plain")
    assert bootstrap.container().deps.agents.get(tenant, user["id"]) is not None  # can work at once

    challenge = post(http, "/auth/login", {"username": email, "password": password})
    assert challenge.status_code == 200 and challenge.json_body["challenge"] == "new_password"
    assert set(challenge.json_body) == {"challenge", "session", "username"}
    forged = post(http, "/auth/password", {"username": email, "session": "x", "new_password": "Abc"})
    assert forged.status_code == 400 and forged.json_body["field"] == "session"
    fuzzed = post(http, "/auth/password", {"username": "\u00dc\u00e6", "session": "\udb4a\udc52",
                                           "new_password": "\u0099\u00d5\udabf\udc42"})
    assert fuzzed.status_code in (400, 401), fuzzed.body
    stranger = post(http, "/auth/password", {"username": email, "session": "n" * 40, "new_password": "Abc"})
    assert stranger.status_code == 401
    weak = post(http, "/auth/password", {"username": email, "session": challenge.json_body["session"],
                                         "new_password": "short"})
    assert weak.status_code == 400 and weak.json_body["field"] == "new_password"
    done = post(http, "/auth/password", {"username": email, "session": challenge.json_body["session"],
                                         "new_password": NEW_PASSWORD})
    assert done.status_code == 200, done.body
    assert done.json_body["tenant"] == tenant and done.json_body["agent"]["roles"] == ["agent"]
    assert post(http, "/auth/login", {"username": email, "password": NEW_PASSWORD}).json_body["id_token"]
    assert listed(http, tenant, admin)[email]["status"] == "confirmed"
    again = invite(http, tenant, admin, email)
    assert again.status_code == 409 and again.json_body["field"] == "email"


def test_agents_are_refused_supervisors_read_and_bad_fields_change_nothing(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    supervisor = login(http, make_user(tenant, Role.AGENT, Role.SUPERVISOR))
    agent = login(http, make_agent(tenant))
    target = agent_id_of(http, tenant, agent)
    before = listed(http, tenant, admin)
    refused_invite, refused_fields = f"refused-{tenant}@example.com", f"bad-fields-{tenant}@example.com"

    assert call(http, "get", f"/tenants/{tenant}/users", agent).status_code == 403
    assert set(listed(http, tenant, supervisor)) == set(before) and len(before) == 3
    for token in (agent, supervisor):
        assert invite(http, tenant, token, refused_invite).status_code == 403
        for path in ("deactivate", "reactivate", "reset-password"):
            assert call(http, "post", f"/tenants/{tenant}/users/{target}/{path}", token).status_code == 403
        roles = call(http, "put", f"/tenants/{tenant}/users/{target}/roles", token, {"roles": ["admin"]})
        assert roles.status_code == 403
        assert call(http, "get", f"/tenants/{tenant}/audit", token).status_code == (403 if token == agent else 200)
    for body, field in (({"email": "nope", "name": "N", "roles": ["agent"]}, "email"),
                        ({"email": refused_fields, "name": "", "roles": ["agent"]}, "name"),
                        ({"email": refused_fields, "name": "N", "roles": ["boss"]}, "roles")):
        refused = call(http, "post", f"/tenants/{tenant}/users", admin, body)
        assert refused.status_code == 400 and refused.json_body["field"] == field, refused.body
    bad_roles = call(http, "put", f"/tenants/{tenant}/users/{target}/roles", admin, {"roles": []})
    assert bad_roles.status_code == 400 and bad_roles.json_body["field"] == "roles"
    assert call(http, "post", f"/tenants/{tenant}/users/nobody/deactivate", admin).status_code == 404
    assert listed(http, tenant, admin) == before
    assert sent_to(refused_fields) == [] and sent_to(refused_invite) == []


def test_roles_deactivation_and_a_password_reset_and_their_audit(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    email = f"otto-{uuid.uuid4().hex[:6]}@example.com"
    user_id = invite(http, tenant, admin, email).json_body["user"]["id"]
    first = temporary_password(email)
    base = f"/tenants/{tenant}/users/{user_id}"

    promoted = call(http, "put", f"{base}/roles", admin, {"roles": ["agent", "supervisor"]})
    assert promoted.status_code == 200 and promoted.json_body["user"]["roles"] == ["agent", "supervisor"]
    off = call(http, "post", f"{base}/deactivate", admin)
    assert off.status_code == 200 and off.json_body["user"]["status"] == "deactivated"
    assert post(http, "/auth/login", {"username": email, "password": first}).status_code == 401
    assert call(http, "post", f"{base}/reset-password", admin).json_body["field"] == "active"
    on = call(http, "post", f"{base}/reactivate", admin)
    assert on.status_code == 200 and on.json_body["user"]["status"] == "invited"
    reset = call(http, "post", f"{base}/reset-password", admin)
    assert reset.status_code == 200 and reset.json_body["user"]["status"] == "reset"
    second = temporary_password(email)
    assert second != first and len(sent_to(email)) == 2
    challenge = post(http, "/auth/login", {"username": email, "password": second}).json_body
    done = post(http, "/auth/password", {**challenge, "new_password": NEW_PASSWORD} | {"challenge": None})
    assert done.status_code == 200 and done.json_body["agent"]["roles"] == ["agent", "supervisor"]

    entries = call(http, "get", f"/tenants/{tenant}/audit?actor={agent_id_of(http, tenant, admin)}",
                   admin).json_body["entries"]
    assert [e["action"] for e in entries] == ["user.reset_password", "user.reactivate", "user.deactivate",
                                              "user.roles", "user.invite"]
    assert entries[3]["before"] == {"roles": ["agent"]} and entries[3]["after"] == {"roles": ["agent", "supervisor"]}
    assert email not in str(entries) and first not in str(entries) and second not in str(entries)


def test_a_deactivated_agent_goes_offline_and_cannot_become_available_until_reactivated(http: Any,
                                                                                      tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    agent = login(http, make_user(tenant, Role.AGENT))
    agent_id = agent_id_of(http, tenant, agent)
    status = f"/tenants/{tenant}/agents/me/status"
    assert call(http, "put", status, agent, {"status": "available"}).json_body["status"] == "available"

    assert call(http, "post", f"/tenants/{tenant}/users/{agent_id}/deactivate", admin).status_code == 200
    found = bootstrap.container().deps.agents.get(tenant, agent_id)
    assert found is not None and found.status.value == "offline"  # routing offers them nothing more
    refused = call(http, "put", status, agent, {"status": "available"})  # their ID token still verifies
    assert (refused.status_code, refused.json_body["field"]) == (403, "status")
    assert call(http, "put", status, agent, {"status": "offline"}).status_code == 200

    assert call(http, "post", f"/tenants/{tenant}/users/{agent_id}/reactivate", admin).status_code == 200
    assert call(http, "put", status, agent, {"status": "available"}).json_body["status"] == "available"


def groups_of(username: str) -> set[str]:
    pool = settings().user_pool_id
    listed_groups = client("cognito-idp").admin_list_groups_for_user(UserPoolId=pool, Username=username)
    return {g["GroupName"] for g in listed_groups["Groups"]}


def test_saving_the_same_roles_again_brings_cognitos_groups_back_to_them(http: Any, tenant: str) -> None:
    """A Cognito call that failed after the directory's transaction is repaired by saving the roles again."""
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    email = f"rita-{uuid.uuid4().hex[:6]}@example.com"
    user_id = invite(http, tenant, admin, email, ["agent", "supervisor"]).json_body["user"]["id"]
    idp, pool = client("cognito-idp"), settings().user_pool_id
    assert groups_of(email) == {"agent", "supervisor"}
    idp.admin_remove_user_from_group(UserPoolId=pool, Username=email, GroupName="supervisor")  # behind the
    idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="admin")  # directory's back

    saved = call(http, "put", f"/tenants/{tenant}/users/{user_id}/roles", admin, {"roles": ["supervisor", "agent"]})
    assert saved.status_code == 200 and saved.json_body["user"]["roles"] == ["agent", "supervisor"], saved.body
    assert groups_of(email) == {"agent", "supervisor"}
    again = call(http, "put", f"/tenants/{tenant}/users/{user_id}/roles", admin, {"roles": ["agent"]})
    assert again.status_code == 200 and groups_of(email) == {"agent"}


def test_the_last_active_admin_keeps_the_role_and_stays_active(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    me = agent_id_of(http, tenant, admin)
    base = f"/tenants/{tenant}/users/{me}"

    for refused in (call(http, "put", f"{base}/roles", admin, {"roles": ["agent"]}),
                    call(http, "post", f"{base}/deactivate", admin)):
        assert refused.status_code == 409 and refused.json_body["field"] == "roles", refused.body
    other = invite(http, tenant, admin, f"second-{uuid.uuid4().hex[:6]}@example.com", ["admin"]).json_body["user"]
    assert call(http, "put", f"{base}/roles", admin, {"roles": ["agent"]}).status_code == 200
    assert listed(http, tenant, admin)[other["email"]]["roles"] == ["admin"]


def test_two_admins_demoting_each_other_at_once_leave_one_admin(own_aws: str) -> None:
    tenant = own_aws
    c = bootstrap.container()
    deps = c.deps
    assert deps.users is not None
    rounds, violations = 6, 0

    class Accounts:  # Cognito's groups follow the directory; the race is the directory's (one item per user)
        def set_roles(self, *args: Any) -> None:
            pass

        def invite(self, *args: Any) -> str:
            raise AssertionError

        def set_active(self, *args: Any) -> None:
            pass

        def set_temporary_password(self, *args: Any) -> None:
            pass

    for _ in range(rounds):
        for _ in range(3):  # three more admins each round; every active admin demotes the next, all at once
            tenants.create_agent(deps, c.identity, tenant=tenant, username=f"a-{uuid.uuid4().hex[:8]}",
                                 password=PASSWORD, name="Admin", roles=[Role.ADMIN])
        start = sum(u.is_active_admin for u in deps.users.of_tenant(tenant))

        def demote(pair: tuple[str, str]) -> bool:
            actor, target = pair
            principal = Principal(tenant, actor, PrincipalKind.AGENT, "A", frozenset({Role.ADMIN}))
            try:
                users.change_roles(deps, Accounts(), principal, target, {"roles": ["agent"]}, ip="")
                return True
            except Conflict:
                return False

        everyone = [u.id for u in deps.users.of_tenant(tenant) if u.is_active_admin]
        pairs = [(everyone[i], everyone[(i + 1) % len(everyone)]) for i in range(len(everyone))]
        with ThreadPoolExecutor(len(pairs)) as pool:
            done = sum(pool.map(demote, pairs))
        admins = [u for u in deps.users.of_tenant(tenant) if u.is_active_admin]
        count = AdminCountItem.get(f"T#{tenant}#USERS", "ADMINS", consistent_read=True).admins
        violations += int(not admins) + int(count != len(admins)) + int(len(admins) != start - done)
    assert violations == 0
