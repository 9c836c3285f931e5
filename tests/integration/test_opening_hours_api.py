"""Opening hours through Chalice's handlers on moto (issue 16), on a clock the test sets: an admin sets them (a bad
period names its field, nothing changed; an agent may not), availability answers `closed` with the next opening, a
live chat asked for outside them gets an error frame and stores nothing, an asynchronous rule still takes messages,
and the callback offer follows them (immediate only while open, slots only on open dates)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.system import UtcClock
from chalicelib.domain.model import Role
from chalicelib.domain.opening_hours import hours_from_json
from chalicelib.services import callbacks, tenants
from tests.integration.callback_tenant import set_callback_slots
from tests.integration.conftest import ROOT, ConnectionsApi
from tests.integration.handlers import Socket
from tests.integration.test_slice_handlers import PASSWORD, login

MONDAY_8PM_PARIS = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)
MONDAY_10AM_PARIS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HOURS = {"enabled": True, "time_zone": "Europe/Paris",
         "weekly": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]]},
         "holidays": ["2026-12-08"]}  # Tuesday the 8th: closed, so the next opening is Monday the 14th
#: Live chat everywhere (threshold 0: nothing waits), except on /contact, where conversations may wait (asynchronous).
ROUTING = {"groups": [{"id": "live", "name": "Live", "threshold": 0}, {"id": "mail", "name": "Mail", "threshold": 5}],
           "rules": [{"id": "contact", "groups": ["mail"], "match": {"url_contains": "/contact"}},
                     {"id": "all", "groups": ["live"]}]}


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Sets the app's clock (UtcClock, what bootstrap wires) to an instant, give or take the test's own seconds."""
    def set_clock(moment: datetime) -> None:
        monkeypatch.setattr(UtcClock, "offset", moment - datetime.now(UTC))
    return set_clock


def call(http: Any, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return getattr(http, method)(path, headers=headers, **({"body": json.dumps(body)} if body is not None else {}))


def user(http: Any, tenant: str, *roles: Role) -> str:
    username = f"u-{uuid.uuid4().hex[:8]}"
    c = bootstrap.container()
    tenants.create_agent(c.deps, c.identity, tenant=tenant, username=username, password=PASSWORD, name="Ada",
                         roles=list(roles))
    return login(http, username)


def test_an_admin_sets_hours_and_availability_says_closed_until_the_next_opening(http: Any, tenant: str,
                                                                                 at: Any) -> None:
    admin, agent = user(http, tenant, Role.AGENT, Role.ADMIN), user(http, tenant, Role.AGENT)
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, ROUTING).status_code == 200
    settings = f"/tenants/{tenant}/settings"
    assert call(http, "put", settings, agent, {"hours": HOURS}).status_code == 403  # checked on the server
    bad = call(http, "put", settings, admin, {"hours": {**HOURS, "weekly": {"mon": [["09:00", "18:60"]]}},
                                              "texts": {"en": {"closed": "Gone fishing."}}})
    assert (bad.status_code, bad.json_body["field"]) == (400, "hours.weekly.mon.0")
    unchanged = call(http, "get", settings, admin).json_body
    assert unchanged["hours"]["enabled"] is False and unchanged["texts"]["en"]["closed"] == "We are closed right now."
    saved = call(http, "put", settings, admin, {"hours": HOURS, "texts": {"en": {"closed": "Gone fishing."}}})
    assert saved.status_code == 200 and saved.json_body["hours"]["holidays"] == ["2026-12-08"]
    assert call(http, "get", f"/tenants/{tenant}/widget").json_body["texts"]["en"]["closed"] == "Gone fishing."

    at(MONDAY_8PM_PARIS)
    base = f"/tenants/{tenant}/availability?url=https%3A%2F%2Fbrand.example%2F"
    assert call(http, "get", base).json_body == {"available": False, "reason": "closed", "asynchronous": False,
                                                 "closed": True, "next_opening": "2026-12-14T08:00:00Z"}
    waiting = call(http, "get", f"/tenants/{tenant}/availability?url=https%3A%2F%2Fbrand.example%2Fcontact")
    assert waiting.json_body == {"available": True, "reason": None, "asynchronous": True, "closed": True,
                                 "next_opening": "2026-12-14T08:00:00Z"}  # a message may still be left
    at(MONDAY_10AM_PARIS)
    assert call(http, "get", base).json_body == {"available": False, "reason": "full", "asynchronous": False}


def test_a_live_chat_outside_hours_gets_an_error_frame_and_stores_nothing(http: Any, tenant: str, at: Any,
                                                                          connections_api: ConnectionsApi) -> None:
    admin = user(http, tenant, Role.AGENT, Role.ADMIN)
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, ROUTING).status_code == 200
    assert call(http, "put", f"/tenants/{tenant}/settings", admin, {"hours": HOURS}).status_code == 200
    at(MONDAY_8PM_PARIS)
    session = call(http, "post", f"/tenants/{tenant}/visitors", body={}).json_body
    widget = Socket(f"closed-{uuid.uuid4().hex[:8]}", tenant, session["visitor_token"])
    widget.send({"action": "start_conversation", "consent": True, "id": "c1",
                 "page": {"url": "https://brand.example/", "title": "Home"},
                 "message": {"client_message_id": "m1", "text": "Hello?"}})
    (error,) = connections_api.of(widget.id, "error")
    assert (error["code"], error["field"], error["id"]) == ("unavailable", "hours", "c1")
    deps = bootstrap.container().deps
    assert deps.conversations.visitor_state(tenant, session["visitor_id"]) == (None, False)

    widget.send({"action": "start_conversation", "consent": True, "id": "c2",
                 "page": {"url": "https://brand.example/contact", "title": "Contact"}})
    (started,) = [f for f in connections_api.of(widget.id) if f.get("id") == "c2"]
    assert started["type"] == "ack" and started["conversation"]["asynchronous"] is True  # left for later


def test_the_callback_offer_follows_the_opening_hours(tenant: str) -> None:
    real = bootstrap.container().deps
    set_callback_slots(real, tenant, capacity=2)  # Mondays 09:00-10:00; immediate by the clock, Mondays 08:00-20:00
    found = real.tenants.get(tenant)
    assert found is not None
    closed_on_the_14th = {**HOURS, "holidays": ["2026-12-14"]}
    real.tenants.put(replace(found, settings=replace(found.settings, hours=hours_from_json(closed_on_the_14th))))

    class Clock:
        moment = MONDAY_10AM_PARIS

        def now(self) -> datetime:
            return self.moment

    clock = Clock()
    deps = replace(real, clock=clock)
    at_ten = callbacks.offers(deps, tenant)
    assert at_ten["immediate"] is True
    assert [s["key"] for s in at_ten["slots"]] == []  # today's slot has begun; the 14th is a holiday
    clock.moment = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 08:30 in Paris: the callback's hours, not the tenant's
    early = callbacks.offers(deps, tenant)
    assert early["immediate"] is False and [s["key"] for s in early["slots"]] == ["2026-12-07T09:00-10:00"]
