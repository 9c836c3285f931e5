"""The agenda through Chalice's handler on moto (issue 13, CB-11): an agent sees a day's scheduled callbacks of their
groups and those not routed yet, earliest first and in every state; `GET /callbacks/agenda` is never read as a
callback's id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.callbacks.model import CallbackState
from tests.integration.test_slice_handlers import PASSWORD, login, visitor_token

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")  # the default settings' time zone


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def _call(http: Any, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    extra = {} if body is None else {"body": json.dumps(body)}
    answer = getattr(http, method.lower())(path, headers=headers, **extra)
    return answer.status_code, answer.json_body


def _agent(http: Any, tenant: str, name: str, queues: list[str]) -> str:
    from chalicelib.services import tenants

    c = bootstrap.container()
    username = f"{name.lower()}-{tenant}"
    tenants.create_agent(c.deps, c.identity, tenant=tenant, username=username, password=PASSWORD, name=name,
                         queues=queues)
    return login(http, username)


def _book(http: Any, tenant: str, when: str, n: int) -> tuple[dict[str, Any], str]:
    """A visitor books in the slot `when`: the callback, and the visitor's token."""
    token = visitor_token(http, tenant)
    status, booked = _call(http, "POST", f"/tenants/{tenant}/callbacks", token,
                           {"phone": f"+3361200{n:04d}", "name": f"Visitor {n}", "when": when})
    assert status == 201, booked
    return dict(booked), token


def test_an_agent_sees_the_days_callbacks_of_their_groups_and_the_unrouted_ones(http: Any, tenant: str) -> None:
    slots = _call(http, "GET", f"/tenants/{tenant}/callbacks/slots")[1]["slots"]
    first = next(s["key"] for s in slots if s["free"] >= 4)
    day = first.partition("T")[0]  # a slot's key starts with its date on the tenant's clock
    (mine, _), (theirs, _), (unrouted, _), (cancelled, owner) = (_book(http, tenant, first, n) for n in range(4))
    store = bootstrap.container().deps.callbacks
    assert store is not None
    store.change(tenant, mine["id"], {"queue": "default", "state": CallbackState.CALLING, "attempt": 1,
                                      "agent_name": "Ann"}, {"state": "booked"})
    store.change(tenant, theirs["id"], {"queue": "sales"}, {})
    _call(http, "DELETE", f"/tenants/{tenant}/callbacks/{cancelled['id']}", owner)
    ann = _agent(http, tenant, "Ann", ["default"])
    status, agenda = _call(http, "GET", f"/tenants/{tenant}/callbacks/agenda?day={day}", ann)
    assert status == 200, agenda
    assert (agenda["day"], agenda["time_zone"]) == (day, "Europe/Paris")
    lines = {line["id"]: line for line in agenda["callbacks"]}
    assert set(lines) == {mine["id"], unrouted["id"], cancelled["id"]}
    assert [line["at"] for line in agenda["callbacks"]] == sorted(line["at"] for line in agenda["callbacks"])
    assert lines[mine["id"]] == {"id": mine["id"], "at": mine["at"], "name": "Visitor 0", "phone": "+33612000000",
                                 "state": "calling", "attempt": 1, "attempts": 5, "agent_name": "Ann",
                                 "queue": "default"}
    assert (lines[cancelled["id"]]["state"], lines[unrouted["id"]]["queue"]) == ("cancelled", "")
    bob = _agent(http, tenant, "Bob", ["sales"])
    assert {line["id"] for line in _call(http, "GET", f"/tenants/{tenant}/callbacks/agenda?day={day}", bob)[1][
        "callbacks"]} == {theirs["id"], unrouted["id"], cancelled["id"]}


def test_the_default_day_is_today_on_the_tenants_clock(http: Any, tenant: str) -> None:
    ann = _agent(http, tenant, "Ann", ["default"])
    status, agenda = _call(http, "GET", f"/tenants/{tenant}/callbacks/agenda", ann)
    assert status == 200, agenda
    assert (agenda["day"], agenda["time_zone"]) == (datetime.now(PARIS).date().isoformat(), "Europe/Paris")


@pytest.mark.parametrize("day", ["tomorrow", "2026-13-01", "2026-02-30", "1999-12-31", "2026-1-01", ""])
def test_a_bad_day_is_refused_naming_the_field(http: Any, tenant: str, day: str) -> None:
    ann = _agent(http, tenant, "Ann", ["default"])
    status, refused = _call(http, "GET", f"/tenants/{tenant}/callbacks/agenda?day={day}", ann)
    assert (status, refused["code"], refused["field"]) == (400, "invalid_field", "day")


def test_agenda_is_a_route_of_its_own_and_not_a_callbacks_id(http: Any, tenant: str) -> None:
    token = visitor_token(http, tenant)
    booked = _call(http, "POST", f"/tenants/{tenant}/callbacks", token,
                   {"phone": "+33612009999", "name": "Zoé", "when": _call(
                       http, "GET", f"/tenants/{tenant}/callbacks/slots")[1]["slots"][0]["key"]})[1]
    assert _call(http, "GET", f"/tenants/{tenant}/callbacks/{booked['id']}", token) == (200, booked)
    status, refused = _call(http, "GET", f"/tenants/{tenant}/callbacks/agenda", token)  # the agenda refuses visitors
    assert (status, refused["code"]) == (403, "forbidden")
    assert _call(http, "GET", f"/tenants/{tenant}/callbacks/agenda")[0] == 401
    assert "callbacks" in _call(http, "GET", f"/tenants/{tenant}/callbacks/agenda",
                                _agent(http, tenant, "Ann", ["default"]))[1]
