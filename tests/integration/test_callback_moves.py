"""The visitor's own callback through Chalice's handler on moto (issue 13): read it, move the booking to another slot
(its old time is free again), and every refusal a 4xx naming its field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.callbacks.model import Callback, CallbackMode, DailyLimits
from chalicelib.services import timers
from tests.integration.test_slice_handlers import login, make_agent, visitor_token

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def _call(http: Any, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    extra = {} if body is None else {"body": body if isinstance(body, str) else json.dumps(body)}
    answer = getattr(http, method.lower())(path, headers=headers, **extra)
    return answer.status_code, answer.json_body


def _slots(http: Any, tenant: str) -> dict[str, dict[str, Any]]:
    """The slots offered now whose every time is a quarter of an hour ahead at least: no time passes during a test."""
    status, listed = _call(http, "GET", f"/tenants/{tenant}/callbacks/slots")
    soon = datetime.now(UTC) + timedelta(minutes=15)
    ahead = {s["key"]: s for s in listed["slots"] if datetime.fromisoformat(s["next"]) > soon}
    assert status == 200 and len(ahead) >= 2, listed
    return ahead


def _book(http: Any, tenant: str, token: str, when: str, phone: str = "06 12 34 56 78") -> dict[str, Any]:
    status, booked = _call(http, "POST", f"/tenants/{tenant}/callbacks", token,
                           {"phone": phone, "name": "Zoé", "when": when})
    assert status == 201, booked
    return dict(booked)


def test_a_visitor_reads_their_callback_and_moves_it_to_another_slot(http: Any, tenant: str) -> None:
    token = visitor_token(http, tenant)
    before = _slots(http, tenant)
    first, second = list(before)[:2]
    booked = _book(http, tenant, token, first)
    path = f"/tenants/{tenant}/callbacks/{booked['id']}"
    assert _call(http, "GET", path, token) == (200, booked)
    status, moved = _call(http, "PATCH", path, token, {"when": second})
    assert status == 200, moved
    assert (moved["id"], moved["slot"], moved["state"]) == (booked["id"], second, "booked")
    assert datetime.fromisoformat(moved["at"]) == datetime.fromisoformat(before[second]["next"])  # its earliest
    assert _call(http, "GET", path, token) == (200, moved)
    after = _slots(http, tenant)
    assert after[first]["free"] == before[first]["free"]  # its old time is free again
    assert after[second]["free"] == before[second]["free"] - 1
    assert _call(http, "PATCH", path, token, {"when": second}) == (200, moved)  # the same slot: nothing moves


def test_a_move_into_a_full_slot_answers_slot_full_and_keeps_the_booking(http: Any, tenant: str) -> None:
    slots = _slots(http, tenant)
    first, second = list(slots)[:2]
    for n in range(slots[second]["free"]):  # others fill the second slot
        _book(http, tenant, visitor_token(http, tenant), second, phone=f"+3361100{n:04d}")
    token = visitor_token(http, tenant)
    booked = _book(http, tenant, token, first)
    path = f"/tenants/{tenant}/callbacks/{booked['id']}"
    status, refused = _call(http, "PATCH", path, token, {"when": second})
    assert (status, refused["code"], refused["field"]) == (409, "slot_full", "when")
    assert _call(http, "GET", path, token) == (200, booked)


def test_refusals_name_their_field(http: Any, tenant: str) -> None:
    token = visitor_token(http, tenant)
    first, second = list(_slots(http, tenant))[:2]
    booked = _book(http, tenant, token, first)
    path = f"/tenants/{tenant}/callbacks/{booked['id']}"
    for body, expected in (({}, (400, "missing_field", "when")), ({"when": "tomorrow"}, (400, "invalid_field", "when")),
                           ({"when": 9}, (400, "invalid_field", "when")), ("{", (400, "invalid_field", "body"))):
        status, refused = _call(http, "PATCH", path, token, body)
        assert (status, refused["code"], refused.get("field")) == expected, body
    other = visitor_token(http, tenant)  # another visitor's callback is nobody's to them
    for method, sent in (("GET", None), ("PATCH", {"when": second})):
        status, refused = _call(http, method, path, other, sent)
        assert (status, refused["code"], refused["field"]) == (404, "not_found", "callback_id")
    agent = login(http, make_agent(tenant))
    assert _call(http, "GET", path, agent)[1]["code"] == "forbidden"
    assert _call(http, "GET", path)[0] == 401
    assert _call(http, "PATCH", path, None, {"when": second})[0] == 401
    # An immediate callback, or a cancelled booking, does not move.
    other_id = _call(http, "GET", f"/tenants/{tenant}/me", other)[1]["id"]
    store = bootstrap.container().deps.callbacks
    assert store is not None
    store.open(Callback(tenant=tenant, id="now-1", visitor_id=other_id, phone="+33612345679", name="A",
                        mode=CallbackMode.IMMEDIATE, created_at=datetime.now(UTC)),
               DailyLimits(day=date.today(), per_visitor=9, per_number=9, seconds_to_next_day=60))
    _call(http, "DELETE", path, token)
    for owner, callback_id in ((other, "now-1"), (token, booked["id"])):
        status, refused = _call(http, "PATCH", f"/tenants/{tenant}/callbacks/{callback_id}", owner, {"when": second})
        assert (status, refused["code"], refused["field"]) == (409, "conflict", "callback_id")
    assert _call(http, "GET", path, token)[1]["state"] == "cancelled"  # still readable


def test_the_timer_armed_for_the_old_time_starts_nothing_and_the_new_time_starts_the_call(http: Any,
                                                                                        tenant: str) -> None:
    token = visitor_token(http, tenant)
    first, second = list(_slots(http, tenant))[:2]
    booked = _book(http, tenant, token, first)
    moved = _call(http, "PATCH", f"/tenants/{tenant}/callbacks/{booked['id']}", token, {"when": second})[1]
    deps = bootstrap.container().deps

    def due(at: str) -> bool:  # the `callback.due` timer as arm_first arms it for a booking at `at`
        stamp = datetime.fromisoformat(at).isoformat()
        return timers.fire(deps, json.dumps({"kind": "callback.due", "tenant": tenant, "callback_id": booked["id"],
                                             "attempt": 1, "at": stamp}))

    assert due(booked["at"]) is False  # armed before the move
    assert _call(http, "GET", f"/tenants/{tenant}/callbacks/{booked['id']}", token)[1]["state"] == "booked"
    assert due(moved["at"]) is True
    assert _call(http, "GET", f"/tenants/{tenant}/callbacks/{booked['id']}", token)[1]["state"] != "booked"
