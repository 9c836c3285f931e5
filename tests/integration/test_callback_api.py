"""The callbox's REST routes (issue 13) through Chalice's handler on moto: what the callbox offers now (immediate while
an agent is Available for calls or within opening hours, CB-1; scheduled per its mode, CB-2), a visitor books and
cancels, "do not record me" (CB-9), every refusal is a 4xx naming its field, agents may not book for a visitor, and
the answers show the number masked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.callbacks.settings import callback_settings_from_json
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import callbacks
from chalicelib.services.callbacks import CallbackRequest
from tests.integration.test_routing_admin import agent_id_of, make_user
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
    assert (booked["attempt"], booked["attempts"], booked["next_at"], booked["phase"]) == (0, 5, None, "")
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


def _settings(http: Any, tenant: str, admin: str, callback: dict[str, Any]) -> None:
    status, answer = _call(http, "PUT", f"/tenants/{tenant}/settings", admin, json.dumps({"callback": callback}))
    assert status == 200, answer


def _available_for_calls(http: Any, tenant: str, admin: str) -> str:
    """An agent who takes calls on their own line, Available: immediate callback is offered."""
    agent = login(http, make_agent(tenant))
    path = f"/tenants/{tenant}/agents/{agent_id_of(http, tenant, agent)}/settings"
    assert _call(http, "PUT", path, admin, '{"takes_calls": true, "own_line": "+33 6 11 22 33 44"}')[0] == 200
    assert _call(http, "PUT", f"/tenants/{tenant}/agents/me/status", agent, '{"status": "available"}')[0] == 200
    return agent


def _offers(http: Any, tenant: str) -> dict[str, Any]:
    status, answer = _call(http, "GET", f"/tenants/{tenant}/callbacks/slots")
    assert status == 200, answer
    return dict(answer)


def test_immediate_is_offered_only_while_an_agent_is_available_for_calls(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    _settings(http, tenant, admin, {"scheduled": "when_immediate_unavailable"})
    chat_only = login(http, make_agent(tenant, "Chat"))
    assert _call(http, "PUT", f"/tenants/{tenant}/agents/me/status", chat_only, '{"status": "available"}')[0] == 200
    before = _offers(http, tenant)
    assert (before["immediate"], before["scheduled"], before["time_zone"]) == (False, True, "Europe/Paris")
    now = '{"phone": "0612345678", "name": "Zoé", "when": "now"}'
    status, refused = _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), now)
    assert (status, refused["code"], refused["field"]) == (409, "unavailable", "when")

    agent = _available_for_calls(http, tenant, admin)
    after = _offers(http, tenant)
    assert (after["immediate"], after["scheduled"]) == (True, False)  # scheduled only while immediate is not
    status, made = _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), now)
    assert (status, made["mode"], made["state"], made["attempts"]) == (201, "immediate", "booked", 5), made

    assert _call(http, "PUT", f"/tenants/{tenant}/agents/me/status", agent, '{"status": "away"}')[0] == 200
    assert _offers(http, tenant)["immediate"] is False


MONDAY_10AM_PARIS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MONDAY_HOURS = {"slots": [{"weekday": "monday", "start": "09:00", "end": "12:00"}]}


class _Clock:
    def now(self) -> datetime:
        return MONDAY_10AM_PARIS


def _deps_with(tenant: str, callback: dict[str, Any]) -> Deps:
    real = bootstrap.container().deps
    found = real.tenants.get(tenant)
    assert found is not None
    settings = callback_settings_from_json(callback, found.settings.callback)
    real.tenants.put(replace(found, settings=replace(found.settings, callback=settings)))
    return replace(real, clock=_Clock())


@pytest.mark.parametrize(("callback", "immediate", "scheduled"), [
    ({"immediate": "opening_hours", "opening_hours": MONDAY_HOURS}, True, True),
    ({"immediate": "opening_hours", "opening_hours": {"slots": MONDAY_HOURS["slots"],
                                                      "holidays": [{"date": "2026-12-07", "slots": []}]}},
     False, True),
    ({"immediate": "off", "scheduled": "on_schedule", "scheduled_hours": MONDAY_HOURS}, False, True),
    ({"immediate": "off", "scheduled": "on_schedule",
      "scheduled_hours": {"slots": [{"weekday": "monday", "start": "14:00", "end": "18:00"}]}}, False, False),
    ({"immediate": "off", "scheduled": "off"}, False, False),
], ids=["within-opening-hours", "holiday", "within-schedule", "outside-schedule", "off"])
def test_the_modes_follow_the_tenants_clock(stack: Any, tenant: str, callback: dict[str, Any], immediate: bool,
                                            scheduled: bool) -> None:
    found = callbacks.offers(_deps_with(tenant, callback), tenant)
    assert (found["immediate"], found["scheduled"]) == (immediate, scheduled)


def test_do_not_record_is_kept_and_an_opted_out_visitor_is_never_recorded(stack: Any, tenant: str) -> None:
    deps = _deps_with(tenant, {"recording": True, "recording_share_percent": 100,
                                "recording_notice": "notices/recording.wav"})
    slot = callbacks.free_slots(deps, tenant)[0]["key"]
    made = [callbacks.request_callback(deps, Principal(tenant, f"v-{n}", PrincipalKind.VISITOR), CallbackRequest(
        phone=f"061234567{n}", name="Zoé", when=slot, do_not_record=opted_out))
        for n, opted_out in ((1, True), (2, False))]
    assert [(c.no_record, c.record) for c in made] == [(True, False), (False, True)]
    with pytest.raises(InvalidInput) as refused:
        callbacks.request_callback(deps, Principal(tenant, "v-3", PrincipalKind.VISITOR), CallbackRequest(
            phone="0612345673", name="Zoé", when=slot, do_not_record="yes"))
    assert refused.value.field == "do_not_record"


def test_do_not_record_must_be_a_boolean(http: Any, tenant: str) -> None:
    body = '{"phone": "0612345670", "name": "Zoé", "do_not_record": "yes"}'
    status, refused = _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), body)
    assert (status, refused.get("field")) == (400, "do_not_record")


def test_a_number_has_one_open_callback_and_agents_do_not_book(http: Any, tenant: str) -> None:
    _available_for_calls(http, tenant, login(http, make_user(tenant, Role.AGENT, Role.ADMIN)))
    body = '{"phone": "+33612345678", "name": "Zoé"}'
    assert _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), body)[0] == 201
    status, refused = _call(http, "POST", f"/tenants/{tenant}/callbacks", visitor_token(http, tenant), body)
    assert (status, refused["code"], refused["field"]) == (409, "conflict", "phone")
    agent = login(http, make_agent(tenant))
    status, refused = _call(http, "POST", f"/tenants/{tenant}/callbacks", agent, '{"phone": "0612345679", "name": "A"}')
    assert (status, refused["code"]) == (403, "forbidden")
    assert _call(http, "POST", f"/tenants/{tenant}/callbacks", None, body)[0] == 401
