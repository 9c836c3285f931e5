"""The operator's CLI (`guichet`, issue 16) against moto's server: the real commands through `main([...])`, on the
stack the session provisioned. Each command is run twice where it must be idempotent; import writes nothing when
any field of the file is wrong."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb import DynamoTenants
from chalicelib.adapters.dynamodb.user_items import AdminCountItem
from chalicelib.adapters.secrets import SecretsManagerKeys
from chalicelib.cli import main
from chalicelib.domain import identity as identities
from chalicelib.domain import visitor_tokens
from chalicelib.domain.errors import Conflict, Unauthorized
from chalicelib.domain.model import Agent, Principal, PrincipalKind, Role
from chalicelib.services import tenants, users

PASSWORD = "Guichet-test-1"
ROUTING = {
    "fairness": "least_loaded", "skills": ["billing", "french"],
    "groups": [{"id": "level1", "name": "Level 1", "threshold": 100}, {"id": "level2", "name": "Level 2"}],
    "rules": [{"id": "billing", "groups": ["level1", "level2"], "mode": "cascade",
               "skill": {"skill": "billing", "min_level": 3}, "match": {"url_contains": "/billing"}},
              {"id": "rest", "groups": ["level1"], "mode": "equal"}],
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def new_id(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def pool(stack: Any) -> str:
    return str(stack.env["USER_POOL_ID"])


def test_tenant_create_creates_once_and_then_changes_nothing(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    tenant = new_id()
    assert run(capsys, "tenant", "create", tenant, "--name", "Acme") == (0, f"Tenant '{tenant}' (Acme) created.\n", "")
    first = DynamoTenants().get(tenant)
    assert first is not None and first.name == "Acme" and len(first.identity_secret) >= 32
    assert run(capsys, "tenant", "create", tenant, "--name", "Other") == (
        0, f"Tenant '{tenant}' exists (Acme): nothing changed.\n", "")
    assert DynamoTenants().get(tenant) == first
    code, _, err = run(capsys, "tenant", "create", "Bad Id", "--name", "X")
    assert (code, err.startswith("error: tenant: ")) == (2, True)


def test_admin_create_invites_through_cognito_and_a_second_run_changes_nothing(
        stack: Any, tenant: str, capsys: pytest.CaptureFixture[str]) -> None:
    username = new_id("ada")
    argv = ("admin", "create", "--tenant", tenant, "--username", username, "--name", "Ada Admin",
            "--email", "ada@brand.example")
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.endswith("Cognito emailed them a temporary password, to change at their first login.\n")
    idp = client("cognito-idp")
    user = idp.admin_get_user(UserPoolId=pool(stack), Username=username)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # a temporary password that only Cognito's mail carries
    assert (attributes["custom:tenant"], attributes["email"], attributes["name"]) == (tenant, "ada@brand.example",
                                                                                     "Ada Admin")
    groups = {g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool(stack), Username=username)
              ["Groups"]}
    assert groups == {"agent", "admin"}
    assert bootstrap.container().deps.agents.get(tenant, attributes["sub"]) is not None
    assert run(capsys, *argv) == (0, f"User '{username}' exists: nothing changed.\n", "")
    other = new_id()
    assert run(capsys, "tenant", "create", other, "--name", "Other")[0] == 0
    code, _, err = run(capsys, "admin", "create", "--tenant", other, "--username", username, "--name", "Ada",
                       "--email", "ada@brand.example")
    assert (code, err.split(":")[:2]) == (2, ["error", " username"])  # another tenant's user


def test_admin_create_completes_a_run_stopped_after_the_cognito_user(
        stack: Any, tenant: str, capsys: pytest.CaptureFixture[str]) -> None:
    username = new_id("half")
    created = client("cognito-idp").admin_create_user(
        UserPoolId=pool(stack), Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "name", "Value": "Half"}, {"Name": "custom:tenant", "Value": tenant}])
    sub = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}["sub"]
    assert bootstrap.container().deps.agents.get(tenant, sub) is None
    assert run(capsys, "admin", "create", "--tenant", tenant, "--username", username, "--name", "Half",
               "--email", "half@brand.example") == (
        0, f"User '{username}' exists; their agent and their entry in the user directory were missing and are now "
           "created.\n", "")
    agent = bootstrap.container().deps.agents.get(tenant, sub)
    assert agent is not None and agent.name == "Half"
    assert groups_of(stack, username) == {"agent", "admin"}
    user = directory().get(tenant, sub)
    assert user is not None and (user.roles, user.status) == (("admin", "agent"), "invited")
    assert admins_counted(tenant) == 1


def test_admin_create_adds_the_directory_item_of_a_user_made_before_the_directory(
        stack: Any, tenant: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Such a user gets their item once, even from runs at the same moment, and the last-admin rule counts them."""
    username = new_id("lea")
    idp = client("cognito-idp")
    created = idp.admin_create_user(
        UserPoolId=pool(stack), Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "name", "Value": "Lea Legacy"}, {"Name": "custom:tenant", "Value": tenant},
                        {"Name": "email", "Value": "lea@brand.example"}])
    idp.admin_set_user_password(UserPoolId=pool(stack), Username=username, Password=PASSWORD, Permanent=True)
    for group in ("agent", "admin"):
        idp.admin_add_user_to_group(UserPoolId=pool(stack), Username=username, GroupName=group)
    sub = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}["sub"]
    bootstrap.container().deps.agents.put(Agent(tenant=tenant, id=sub, name="Lea Legacy"))
    assert directory().get(tenant, sub) is None
    argv = ["admin", "create", "--tenant", tenant, "--username", username, "--name", "Other", "--email",
            "other@brand.example"]

    with ThreadPoolExecutor(4) as threads:
        codes = list(threads.map(lambda _: main(argv), range(4)))
    out, _ = capsys.readouterr()
    assert codes == [0, 0, 0, 0]
    assert out.count(f"User '{username}' exists; their entry in the user directory was missing and is now "
                     "created.\n") == 1
    assert out.count(f"User '{username}' exists: nothing changed.\n") == 3
    user = directory().get(tenant, sub)
    assert user is not None
    assert (user.username, user.email, user.name, user.roles, user.active, user.status) == (
        username, "lea@brand.example", "Lea Legacy", ("admin", "agent"), True, "confirmed")
    assert admins_counted(tenant) == 1
    assert run(capsys, *argv) == (0, f"User '{username}' exists: nothing changed.\n", "")
    assert admins_counted(tenant) == 1

    class NoCognito:  # the directory refuses first: Cognito is never asked
        def set_roles(self, *args: Any) -> None:
            raise AssertionError

    lea = Principal(tenant, sub, PrincipalKind.AGENT, "Lea", frozenset({Role.ADMIN}))
    with pytest.raises(Conflict) as refused:
        users.change_roles(bootstrap.container().deps, NoCognito(), lea, sub, {"roles": ["agent"]},  # type: ignore[arg-type]
                           ip="")
    assert refused.value.field == "roles"
    assert groups_of(stack, username) == {"agent", "admin"}


def groups_of(stack: Any, username: str) -> set[str]:
    listed = client("cognito-idp").admin_list_groups_for_user(UserPoolId=pool(stack), Username=username)
    return {g["GroupName"] for g in listed["Groups"]}


def directory() -> Any:
    users_directory = bootstrap.container().deps.users
    assert users_directory is not None
    return users_directory


def admins_counted(tenant: str) -> int:
    return int(AdminCountItem.get(f"T#{tenant}#USERS", "ADMINS", consistent_read=True).admins)


def test_admin_create_with_a_password_from_stdin_logs_in_with_it(
        stack: Any, tenant: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    username = new_id("root")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, out, err = run(capsys, "admin", "create", "--tenant", tenant, "--username", username, "--name", "Root",
                         "--password-stdin")
    assert (code, out) == (2, "") and err.startswith("error: password: ")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, _ = run(capsys, "admin", "create", "--tenant", tenant, "--username", username, "--name", "Root",
                       "--password-stdin")
    assert code == 0 and PASSWORD not in out
    assert bootstrap.container().identity.login(username, PASSWORD).id_token
    code, _, err = run(capsys, "admin", "create", "--tenant", new_id(), "--username", new_id("u"), "--name", "N",
                       "--email", "n@brand.example")
    assert code == 2 and err.startswith("error: tenant: ")


@pytest.fixture
def saved_secret(stack: Any) -> Iterator[str]:
    """The session's visitor-token secret, put back after the test (other tests sign with it)."""
    secret_id = stack.env["VISITOR_SECRET_ID"]
    before = client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    yield str(before)
    client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=before)
    bootstrap.reset()


def test_secret_rotate_keeps_what_the_old_keys_signed_valid_for_the_grace_only(
        stack: Any, tenant: str, saved_secret: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    old_tenant = DynamoTenants().get(tenant)
    assert old_tenant is not None
    old_token, _ = visitor_tokens.sign(saved_secret.encode(), tenant, "v-1", now)
    signed = {"external_id": "c-1", "signature": identities.sign(old_tenant.identity_secret, "c-1")}

    code, out, err = run(capsys, "secret", "rotate", "--tenant", tenant, "--grace-hours", "2")
    assert (code, err) == (0, "")
    assert out.count("rotated") == 2 and old_tenant.identity_secret not in out

    keys = SecretsManagerKeys(stack.env["VISITOR_SECRET_ID"])  # what a Lambda container reads next
    assert keys.visitor_token_key() != saved_secret.encode()
    assert keys.visitor_id_key() == saved_secret.encode()  # identified visitors keep their ids
    assert visitor_tokens.verify(keys.visitor_token_keys(now), old_token, now).id == "v-1"
    with pytest.raises(Unauthorized):
        visitor_tokens.verify(keys.visitor_token_keys(now + timedelta(hours=2, minutes=1)), old_token, now)
    rotated = DynamoTenants().get(tenant)
    assert rotated is not None and rotated.identity_secret != old_tenant.identity_secret
    assert rotated.identity_secret not in out and "in the desk" not in out  # no page shows it: its route does
    assert f"an admin of '{tenant}' reads it with GET /tenants/{tenant}/identity-secret and their ID token" in out
    assert rotated.previous_identity_secret == old_tenant.identity_secret
    assert identities.verify(rotated.identity_secrets(now), signed).external_id == "c-1"
    assert rotated.identity_secrets(now + timedelta(hours=2, minutes=1)) == (rotated.identity_secret,)

    # Again within the grace: refused (it would end the grace), nothing changes; --force does it.
    code, _, err = run(capsys, "secret", "rotate", "--tenant", tenant)
    assert code == 2 and err.startswith("error: grace_hours: ")
    assert DynamoTenants().get(tenant) == rotated
    assert run(capsys, "secret", "rotate", "--tenant", tenant, "--force", "--no-visitor-key")[0] == 0
    forced = DynamoTenants().get(tenant)
    assert forced is not None and forced.previous_identity_secret == rotated.identity_secret


def make_agent(tenant: str, username: str) -> str:
    c = bootstrap.container()
    return tenants.create_agent(c.deps, c.identity, tenant=tenant, username=username, password=PASSWORD, name="A",
                                roles=(Role.AGENT,)).id


def test_export_then_import_moves_a_configuration_and_a_second_import_changes_nothing(
        stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = new_id(), new_id()
    assert run(capsys, "tenant", "create", source, "--name", "Source")[0] == 0
    assert run(capsys, "tenant", "create", target, "--name", "Target")[0] == 0
    deps = bootstrap.container().deps
    alice_dev, alice_prod = new_id("alice"), new_id("alice")
    make_agent(source, alice_dev)
    prod_id = make_agent(target, alice_prod)
    tenants.change_settings(deps, admin(source), {"acceptance_seconds": 45, "dispositions": ["Done"]})
    from chalicelib.services import routing_admin

    routing_admin.replace_routing_config(deps, admin(source), ROUTING)
    routing_admin.change_agent_settings(deps, admin(source), users_of(stack, source)[alice_dev],
                                        {"skills": {"billing": 4}, "groups": ["level2"], "capacity": {"chat": 3}})
    code, out, _ = run(capsys, "export", "--tenant", source)
    exported = json.loads(out)
    assert (code, exported["format"], exported["version"], exported["name"]) == (0, "guichet.tenant-config", 1,
                                                                                 "Source")
    assert exported["agents"][alice_dev]["skills"] == {"billing": 4}
    exported["agents"] = {alice_prod: exported["agents"].pop(alice_dev)}  # the same person's login in prod
    path = tmp_path / "config.json"
    path.write_text(json.dumps(exported))

    code, out, _ = run(capsys, "import", "--tenant", target, str(path))
    assert (code, out) == (0, f"Changed: name, settings, routing, agents.{alice_prod}.\n")
    moved = deps.tenants.get(target)
    assert moved is not None and moved.settings.acceptance_seconds == 45 and moved.routing.skills == ("billing",
                                                                                                       "french")
    agent = deps.agents.get(target, prod_id)
    assert agent is not None and (dict(agent.skills), agent.queues, agent.capacity) == ({"billing": 4}, ("level2",), 3)
    assert run(capsys, "import", "--tenant", target, str(path)) == (
        0, "Nothing to change: the tenant already has this configuration.\n", "")
    again = json.loads(run(capsys, "export", "--tenant", target)[1])
    assert {k: v for k, v in again.items() if k != "tenant"} == {k: v for k, v in exported.items() if k != "tenant"}


def test_import_writes_nothing_when_any_field_is_wrong_and_names_it(
        stack: Any, tenant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    username = new_id("bob")
    make_agent(tenant, username)
    before = run(capsys, "export", "--tenant", tenant)[1]
    good = json.loads(before)
    good["settings"]["acceptance_seconds"] = 50
    good["routing"] = ROUTING
    good["agents"][username].update(skills={"billing": 2}, groups=["level1"])  # "general" is not in ROUTING
    cases = {
        "settings.max_wait_seconds": {"settings": {**good["settings"], "max_wait_seconds": 1}},
        f"agents.{username}.skills.cooking": {"agents": {username: {**good["agents"][username],
                                                                      "skills": {"cooking": 2}}}},
        "agents.nobody": {"agents": {**good["agents"], "nobody": {}}},
        "routing.groups": {"routing": {**ROUTING, "groups": []}},
        "version": {"version": 2},
    }
    for field, change in cases.items():
        path = tmp_path / "bad.json"
        path.write_text(json.dumps({**good, **change}))
        code, out, err = run(capsys, "import", "--tenant", tenant, str(path))
        assert (code, out, err.split(":", 2)[:2]) == (2, "", ["error", f" {field}"]), field
        assert run(capsys, "export", "--tenant", tenant)[1] == before  # nothing written
    path = tmp_path / "good.json"
    path.write_text(json.dumps(good))
    assert run(capsys, "import", "--tenant", tenant, str(path))[0] == 0


def admin(tenant: str) -> Any:
    from chalicelib.services.tenant_config import operator

    return operator(tenant)


def users_of(stack: Any, tenant: str) -> dict[str, str]:
    from chalicelib.adapters.operator_aws import tenant_users

    return tenant_users(pool(stack), tenant)


def test_doctor_says_ok_for_a_sound_stack_and_fail_with_what_to_do_otherwise(
        stack: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from botocore.stub import Stubber

    from chalicelib.adapters import aws

    code, out, _ = run(capsys, "doctor")
    assert code == 0, out
    assert out.splitlines() == [
        f"OK   ses-identity     {stack.env['MAIL_FROM']} is verified",
        "OK   sip-media-app    telephony is off (no CallingNumber): nothing to check",
        f"OK   table-stream     {stack.env['TABLE_NAME']} streams NEW_AND_OLD_IMAGES",
        "OK   timers-dlq       guichet-timers-dlq-local is empty"]

    sqs = client("sqs")
    dlq = sqs.get_queue_url(QueueName="guichet-timers-dlq-local")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="{}")
    monkeypatch.setenv("MAIL_FROM", "nobody@unverified.example")
    monkeypatch.setenv("SIP_MEDIA_APPLICATION_ID", "sma-1")
    voice = boto3.client("chime-sdk-voice", region_name="us-east-1")  # moto does not emulate it: stubbed
    monkeypatch.setitem(aws._clients, ("chime-sdk-voice", None), voice)
    missing = "arn:aws:lambda:us-east-1:123456789012:function:guichet-local-SmaHandler"
    try:
        with Stubber(voice) as chime:
            chime.add_response("get_sip_media_application", {"SipMediaApplication": {
                "SipMediaApplicationId": "sma-1", "Endpoints": [{"LambdaArn": missing}]}},
                {"SipMediaApplicationId": "sma-1"})
            code, out, _ = run(capsys, "doctor")
    finally:
        sqs.purge_queue(QueueUrl=dlq)
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == ("FAIL ses-identity     nobody@unverified.example is not verified -> click the link SES mailed "
                        "to nobody@unverified.example, or verify its domain (docs/deploy.md, SES)")
    assert lines[1].startswith(f"FAIL sip-media-app    its endpoint {missing} is missing -> ")
    assert lines[2].startswith("OK   table-stream")
    assert lines[3].startswith("FAIL timers-dlq       guichet-timers-dlq-local holds 1 message(s)")


def test_a_stale_copy_of_the_tenant_never_undoes_a_rotation(stack: Any, tenant: str) -> None:
    """A warm container's cached tenant (up to 5 s old) saved by an admin's settings change after a rotation keeps
    the rotated secrets: only a rotation writes them."""
    from dataclasses import replace

    from chalicelib.services import operator

    stale = DynamoTenants().get(tenant)
    assert stale is not None
    rotated = operator.rotate_identity_secret(bootstrap.container().deps, tenant, timedelta(hours=1))
    DynamoTenants().put(replace(stale, name="Renamed"))
    found = DynamoTenants().get(tenant)
    assert found is not None and found.name == "Renamed"
    assert (found.identity_secret, found.previous_identity_secret, found.previous_identity_until) == (
        rotated.identity_secret, stale.identity_secret, rotated.previous_identity_until)


def test_rotations_racing_on_one_tenant_let_exactly_one_win(stack: Any, tenant: str) -> None:
    """Operators rotating the same secret at once, each from the secret they read: the write is conditional on it,
    so one wins and the others are refused; no rotation is silently lost."""
    import threading

    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.key_rotation import KeyRing, rotated

    original = DynamoTenants().get(tenant)
    assert original is not None
    now = datetime.now(UTC)
    rings = [rotated(KeyRing(original.identity_secret), f"secret-{i}", now, timedelta(hours=1)) for i in range(6)]
    start = threading.Barrier(len(rings))
    won: list[str] = []
    lost: list[str] = []

    def rotate(ring: KeyRing) -> None:
        start.wait()
        try:
            won.append(DynamoTenants().rotate_identity_secret(tenant, original.identity_secret, ring).identity_secret)
        except Conflict as refused:
            lost.append(str(refused.field))

    threads = [threading.Thread(target=rotate, args=(ring,)) for ring in rings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = DynamoTenants().get(tenant)
    assert found is not None
    assert (len(won), lost) == (1, ["identity_secret"] * 5)
    assert (found.identity_secret, found.previous_identity_secret) == (won[0], original.identity_secret)
