"""The callbox's REST routes (issue 13) through Chalice's handler on moto: a visitor books and cancels, every refusal
is a 4xx naming its field, agents may not book for a visitor, and the answers show the number masked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from tests.integration.test_slice_handlers import login, make_agent, visitor_token

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def _call(http: Any, method: str, path: str, token: str | None = None, body: str = "{}") -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    answer = getattr(http, method.lower())(path, headers=headers, **({} if method in ("GET", "DELETE") else
                                                                     {"body": body}))
    return answer.status_code, answer.json_body


def test_a_visitor_books_a_slot_then_cancels_it(http: Any, tenant: str) -> None:
    token = visitor_token(http, tenant)
    status, listed = _call(http, "GET", f"/tenants/{tenant}/callbacks/slots")
    assert status == 200 and listed["slots"], listed
    first = listed["slots"][0]
    status, booked = _call(http, "POST", f"/tenants/{tenant}/callbacks", token,
                           f'{{"phone": "06 12 34 56 78", "name": "Zoé", "when": "{first["key"]}"}}')
    assert status == 201, booked
    assert (booked["mode"], booked["state"], booked["slot"], booked["phone"]) == (
        "scheduled", "booked", first["key"], "+33 6 •• •• •• 78")
    after = next(s for s in _call(http, "GET", f"/tenants/{tenant}/callbacks/slots")[1]["slots"]
                 if s["key"] == first["key"])
    assert after["free"] == first["free"] - 1
    status, cancelled = _call(http, "DELETE", f"/tenants/{tenant}/callbacks/{booked['id']}", token)
    assert (status, cancelled["state"]) == (200, "cancelled")
    status, gone = _call(http, "DELETE", f"/tenants/{tenant}/callbacks/{booked['id']}", token)
    assert (status, gone["code"], gone["field"]) == (404, "not_found", "callback_id")


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ('{"phone": "08 99 12 34 56", "name": "Zoé"}', 400, "invalid_field", "phone"),
    ('{"name": "Zoé"}', 400, "missing_field", "phone"),
    ('{"phone": "0612345678"}', 400, "missing_field", "name"),
    ('{"phone": "0612345678", "name": "Zoé", "when": "tomorrow"}', 400, "invalid_field", "when"),
    ('{"phone": "0612345678", "name": "Zoé", "email": "zoé@"}', 400, "invalid_field", "email"),
], ids=["premium", "no-phone", "no-name", "bad-when", "email"])
def test_a_refused_request_is_a_4xx_naming_the_field(http: Any, tenant: str, body: str, status: int, code: str,
                                                     field: str) -> None:
    answer = _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), body)
    assert (answer[0], answer[1]["code"], answer[1].get("field")) == (status, code, field)


def test_a_number_has_one_open_callback_and_agents_do_not_book(http: Any, tenant: str) -> None:
    body = '{"phone": "+33612345678", "name": "Zoé"}'
    assert _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), body)[0] == 201
    status, refused = _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), body)
    assert (status, refused["code"], refused["field"]) == (409, "conflict", "phone")
    agent = login(http, make_agent(tenant))
    status, refused = _call(http, "POST", f"/tenants/{tenant}/callbacks", agent, '{"phone": "0612345679", "name": "A"}')
    assert (status, refused["code"]) == (403, "forbidden")
    assert _call(http, "POST", f"/tenants/{tenant}/callbacks", None, body)[0] == 401
