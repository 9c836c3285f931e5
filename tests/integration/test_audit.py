"""The audit log against moto (DynamoDB, Cognito tokens), through Chalice's handlers: each admin write records who
changed what (only the fields that changed, never a secret) in the same transaction as the change, which is made on
the tenant's revision read; `GET /audit` is for admins and supervisors, filtered and paged, bad filters 400."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.audit import AuditItem, DynamoAuditLog, audit_item
from chalicelib.domain.audit import AuditEntry, AuditQuery
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Role
from tests.integration.conftest import ROOT
from tests.integration.test_routing_admin import CONFIG, agent_id_of, call, make_user
from tests.integration.test_slice_handlers import login, make_agent


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def audit(http: Any, tenant: str, token: str, query: str = "") -> Any:
    return call(http, "get", f"/tenants/{tenant}/audit{query}", token)


def an_entry(tenant: str, entry_id: str = "", at: datetime | None = None) -> AuditEntry:
    return AuditEntry(tenant=tenant, id=entry_id or uuid.uuid4().hex, at=at or datetime.now(UTC), actor_id="a1",
                      actor_name="Ada", ip="10.0.0.1", action="settings.update", target="settings",
                      before={"capacity": 3}, after={"capacity": 4})


def test_admin_writes_are_audited_with_what_changed_and_read_by_supervisors_only(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    supervisor = login(http, make_user(tenant, Role.AGENT, Role.SUPERVISOR))
    agent = login(http, make_agent(tenant))
    admin_id = agent_id_of(http, tenant, admin)

    assert call(http, "put", f"/tenants/{tenant}/settings", admin, {"acceptance_seconds": 45}).status_code == 200
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, CONFIG).status_code == 200
    agent_id = agent_id_of(http, tenant, agent)
    changed = call(http, "put", f"/tenants/{tenant}/agents/{agent_id}/settings", admin, {"capacity": {"chat": 5}})
    assert changed.status_code == 200, changed.body
    secret = call(http, "get", f"/tenants/{tenant}/identity-secret", admin).json_body["secret"]

    page = audit(http, tenant, supervisor)
    assert page.status_code == 200, page.body
    entries = page.json_body["entries"]
    assert [e["action"] for e in entries] == ["identity_secret.read", "agent.settings", "routing.update",
                                              "settings.update"]  # newest first
    settings_entry = entries[-1]
    assert settings_entry["before"] == {"acceptance_seconds": 30} and settings_entry["after"] == {
        "acceptance_seconds": 45}
    assert settings_entry["actor"] == {"id": admin_id, "name": "Admin"} and settings_entry["target"] == "settings"
    assert entries[1]["target"] == f"agent:{agent_id}" and entries[1]["after"]["capacity"] == 5
    assert entries[2]["before"]["groups"] != entries[2]["after"]["groups"]
    assert secret not in str(page.json_body) and entries[0]["before"] == {} == entries[0]["after"]
    assert page.json_body["next"] is None
    assert audit(http, tenant, agent).status_code == 403


def test_filters_narrow_the_log_and_bad_ones_are_refused_by_field(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    other = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    call(http, "put", f"/tenants/{tenant}/settings", admin, {"acceptance_seconds": 40})
    call(http, "put", f"/tenants/{tenant}/settings", other, {"acceptance_seconds": 50})
    call(http, "put", f"/tenants/{tenant}/routing", other, CONFIG)
    other_id = agent_id_of(http, tenant, other)
    today = datetime.now(UTC).date().isoformat()

    by_actor = audit(http, tenant, admin, f"?actor={other_id}").json_body["entries"]
    by_action = audit(http, tenant, admin, "?action=settings.update").json_body["entries"]
    today_only = audit(http, tenant, admin, f"?from={today}&to={today}").json_body["entries"]
    before = audit(http, tenant, admin, "?to=2020-01-01").json_body["entries"]

    assert [e["action"] for e in by_actor] == ["routing.update", "settings.update"]
    assert [e["after"] for e in by_action] == [{"acceptance_seconds": 50}, {"acceptance_seconds": 40}]
    assert len(today_only) == 3 and before == []
    for query, field in (("?from=yesterday", "from"), ("?from=2026-02-02&to=2026-02-01", "to"),
                         ("?action=DROP TABLE", "action"), ("?cursor=nonsense", "cursor")):
        refused = audit(http, tenant, admin, query)
        assert refused.status_code == 400 and refused.json_body["field"] == field, (query, refused.body)


def test_the_log_is_paged_newest_first_with_an_opaque_cursor(stack: Any, tenant: str) -> None:
    log = DynamoAuditLog()
    written = [an_entry(tenant, f"e{n}", datetime(2026, 12, 1, 10, n, tzinfo=UTC)) for n in range(5)]
    for entry in written:
        log.record(entry)
    seen: list[str] = []
    after = ""
    for _ in range(5):
        page, after = log.entries(tenant, AuditQuery(limit=2, after_key=after))
        seen += [e.id for e in page]
        if not after:
            break
    assert seen == ["e4", "e3", "e2", "e1", "e0"]
    with pytest.raises(Conflict):  # append-only: the same key again is refused
        log.record(written[0])


def test_a_change_refused_by_its_condition_writes_no_entry_and_the_reverse(stack: Any, tenant: str) -> None:
    deps = bootstrap.container().deps
    read = deps.tenants.read(tenant)
    assert read is not None
    deps.tenants.update(replace(read, name="First"), an_entry(tenant))  # a concurrent admin's change wins
    lost = an_entry(tenant)
    with pytest.raises(Conflict) as refused:
        deps.tenants.update(replace(read, name="Second"), lost)  # the revision read is gone
    assert refused.value.field == "version"
    entries, _ = DynamoAuditLog().entries(tenant, AuditQuery())
    assert lost.id not in {e.id for e in entries} and len(entries) == 1

    current = deps.tenants.read(tenant)
    assert current is not None and current.name == "First" and current.version == read.version + 1
    taken = an_entry(tenant)
    audit_item(taken).save()  # an entry with that key exists: the audit Put's condition fails
    with pytest.raises(Conflict):
        deps.tenants.update(replace(current, name="Third"), taken)
    after = deps.tenants.read(tenant)
    assert after is not None and after.name == "First" and after.version == current.version
    assert AuditItem.count(f"T#{tenant}#AUDIT") == 2


def test_a_settings_change_on_a_stale_revision_is_409_and_changes_nothing(http: Any, tenant: str) -> None:
    from chalicelib.services import tenants

    deps = bootstrap.container().deps
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    stale = deps.tenants.read(tenant)
    assert stale is not None
    assert call(http, "put", f"/tenants/{tenant}/settings", admin, {"acceptance_seconds": 40}).status_code == 200

    class Stale:  # a reader that returns the revision read before the other admin's change
        def __getattr__(self, name: str) -> Any:
            return getattr(deps.tenants, name)

        def read(self, tenant_id: str) -> Any:
            return stale

    principal = bootstrap.container().agent_tokens.verify(admin)
    with pytest.raises(Conflict) as refused:
        tenants.change_settings(replace(deps, tenants=Stale()), principal, {"acceptance_seconds": 60}, "10.0.0.9")  # type: ignore[arg-type]
    assert refused.value.field == "version"
    assert deps.tenants.read(tenant).settings.acceptance_seconds == 40  # type: ignore[union-attr]
    assert [e["after"] for e in audit(http, tenant, admin).json_body["entries"]] == [{"acceptance_seconds": 40}]


def test_an_audio_upload_is_audited_with_its_key(http: Any, tenant: str) -> None:
    from tests.integration.test_call_audio import upload, wav

    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    stored = upload(http, tenant, admin, "hold_music", wav(0.5))
    assert stored.status_code == 200, stored.body
    entry = audit(http, tenant, admin, "?action=callback.audio").json_body["entries"]
    assert [(e["target"], e["before"], e["after"]) for e in entry] == [
        ("callback.hold_music", {"key": ""}, {"key": stored.json_body["key"]})]


def test_racing_settings_changes_leave_an_exact_chain_of_entries(own_aws: str) -> None:
    """Threads change the same setting at once on moto's server: each change that is answered is in the log, each
    refused one (409, version) is not, and every entry's `before` is the previous entry's `after`."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.domain.model import Principal, PrincipalKind
    from chalicelib.services import tenants

    tenant = own_aws
    deps = bootstrap.container().deps
    admin = Principal(tenant, "admin-1", PrincipalKind.AGENT, "Ada", frozenset({Role.ADMIN}))

    def change(value: int) -> int | None:
        try:
            tenants.change_settings(deps, admin, {"acceptance_seconds": value}, "10.0.0.1")
        except Conflict:
            return None
        return value

    with ThreadPoolExecutor(8) as pool:
        done = [v for v in pool.map(change, range(10, 58)) if v is not None]
    entries, _ = DynamoAuditLog().entries(tenant, AuditQuery(limit=100))
    chain = [e.after["acceptance_seconds"] for e in reversed(entries)]
    violations = int(sorted(chain) != sorted(done)) + int(not done)
    violations += sum(e.before != p.after for p, e in zip(reversed(entries[1:]), reversed(entries[:-1]), strict=True))
    stored = deps.tenants.read(tenant)
    violations += int(stored is None or stored.settings.acceptance_seconds != chain[-1])
    violations += int(stored is None or stored.version != len(done))
    print(f"settings race: {len(done)} of 48 changes made, the others refused")
    assert violations == 0
