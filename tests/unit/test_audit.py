"""The audit log's rules: an entry keeps only the fields that changed (nested ones as nested objects) and never a
secret; `GET /audit`'s filters are checked, each bad one named; the cursor is opaque and checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import audit
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.services import users


def test_the_diff_keeps_only_what_changed_nested_and_drops_secrets() -> None:
    before = {"a": 1, "b": {"x": 1, "y": 2}, "c": [1, 2], "gone": True, "secret": "s1", "same": "v"}
    after = {"a": 1, "b": {"x": 1, "y": 3}, "c": [2, 1], "new": "n", "secret": "s2", "same": "v",
             "nested": {"password": "p", "ok": 1}}
    was, now = audit.diff(before, after)
    assert was == {"b": {"y": 2}, "c": [1, 2], "gone": True}
    assert now == {"b": {"y": 3}, "c": [2, 1], "new": "n", "nested": {"ok": 1}}


def test_an_entry_names_its_actor_and_address() -> None:
    actor = Principal("t1", "u1", PrincipalKind.AGENT, "Ada", frozenset({Role.ADMIN}))
    at = datetime(2026, 12, 24, 9, 30, tzinfo=UTC)
    made = audit.entry(actor, ip="192.0.2.7", action="settings.update", target="settings", before={"n": 1},
                       after={"n": 2}, entry_id="e1", at=at)
    assert made.to_json() == {"id": "e1", "at": "2026-12-24T09:30:00.000000Z", "actor": {"id": "u1", "name": "Ada"},
                              "ip": "192.0.2.7", "action": "settings.update", "target": "settings",
                              "before": {"n": 1}, "after": {"n": 2}}


def test_filters_are_checked_and_the_cursor_round_trips() -> None:
    query = audit.query_from({"from": "2026-12-01", "to": "2026-12-02", "actor": "u1", "action": "user.roles",
                              "cursor": audit.encode_cursor("2026-12-01T10:00:00.000000Z#e1")})
    assert query.start == datetime(2026, 12, 1, tzinfo=UTC)
    assert query.end == datetime(2026, 12, 2, 23, 59, 59, 999999, tzinfo=UTC)
    assert (query.actor, query.action, query.after_key) == ("u1", "user.roles", "2026-12-01T10:00:00.000000Z#e1")
    for params, field in (({"from": "12/01/2026"}, "from"), ({"to": "x"}, "to"),
                          ({"from": "2026-12-03", "to": "2026-12-02"}, "to"), ({"action": "a..b"}, "action"),
                          ({"cursor": "!!"}, "cursor"), ({"actor": "a" * 129}, "actor")):
        with pytest.raises(InvalidInput) as refused:
            audit.query_from(params)
        assert refused.value.field == field, params


def test_a_temporary_password_meets_the_pool_policy() -> None:
    for _ in range(50):
        password = users.temporary_password()
        assert len(password) == 16 and password.isalnum()
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "N", "roles": ["agent"]}, "email"),
    ({"email": "not-an-address", "name": "N", "roles": ["agent"]}, "email"),
    ({"email": "a@example.com", "name": " ", "roles": ["agent"]}, "name"),
    ({"email": "a@example.com", "name": "n" * 81, "roles": ["agent"]}, "name"),
    ({"email": "a@example.com", "name": "N", "roles": []}, "roles"),
    ({"email": "a@example.com", "name": "N", "roles": ["root"]}, "roles"),
])
def test_an_invitation_is_checked_field_by_field_before_anything_is_written(body: dict[str, object],
                                                                             field: str) -> None:
    from tests.unit.fakes import make_deps

    admin = Principal("t1", "u1", PrincipalKind.AGENT, "Ada", frozenset({Role.ADMIN}))

    class NoAccounts:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"nothing may reach Cognito: {name}")

    with pytest.raises(InvalidInput) as refused:
        users.invite(make_deps(), NoAccounts(), admin, body, ip="", desk_url="")  # type: ignore[arg-type]
    assert refused.value.field == field
