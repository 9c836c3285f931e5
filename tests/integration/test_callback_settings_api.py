"""The callback settings (issue 13) through Chalice's handlers, against moto: an admin's PUT /settings with a
`callback` section changes only the keys it gives, is stored and read back, shows its public part to the widget, and
a bad key is refused with 400 naming it; an agent's call settings are stored and answered, and refused by field."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.model import Role
from tests.integration.test_routing_admin import agent_id_of, call, http, make_user  # noqa: F401 - the fixture
from tests.integration.test_slice_handlers import login, make_agent

SLOTS = [{"weekday": "saturday", "start": "10:00", "end": "12:00", "capacity": 12}]


def test_an_admin_puts_a_callback_section_and_only_its_keys_change(http: Any, tenant: str) -> None:  # noqa: F811
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    path = f"/tenants/{tenant}/settings"

    first = call(http, "put", path, admin, {"callback": {"slots": SLOTS, "country": "BE", "recording": True,
                                                         "recording_notice": "audio/notice.wav",
                                                         "hold_music": "hold/music.wav"}})
    second = call(http, "put", path, admin, {"callback": {"attempts": 3}, "acceptance_seconds": 40})
    read = call(http, "get", path, admin).json_body["callback"]

    assert first.status_code == 200, first.body
    assert second.status_code == 200, second.body
    assert read["slots"] == SLOTS and read["country"] == "BE" and read["recording"] is True
    assert read["hold_music"] == "hold/music.wav" and read["attempts"] == 3
    assert read["spacing_seconds"] == 300 and read["time_zone"] == "Europe/Paris"  # defaults not given stay
    assert call(http, "get", path, admin).json_body["acceptance_seconds"] == 40
    widget = http.get(f"/tenants/{tenant}/widget").json_body["callback"]
    assert widget == {"immediate": "when_agents_available", "scheduled": "always", "country": "BE",
                      "recording": True}


@pytest.mark.parametrize(("callback", "field"), [
    ({"slots": [{"weekday": "monday", "start": "09:00", "end": "10:00", "capacity": 61}]},
     "callback.slots.0.capacity"),
    ({"immediate": "opening_hours"}, "callback.opening_hours"),
    ({"allowed_countries": ["FR", "ZZ"]}, "callback.allowed_countries[1]"),
    ({"per_visitor_daily": 0}, "callback.per_visitor_daily"),
    ({"ringtone": "x"}, "callback.ringtone"),
], ids=["capacity", "hours", "country", "limit", "unknown"])
def test_a_bad_callback_setting_is_refused_by_field_and_nothing_changes(
        http: Any, tenant: str, callback: Any, field: str) -> None:  # noqa: F811
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    path = f"/tenants/{tenant}/settings"
    before = call(http, "get", path, admin).json_body

    refused = call(http, "put", path, admin, {"acceptance_seconds": 45, "callback": callback})

    assert (refused.status_code, refused.json_body["code"], refused.json_body["field"]) == (
        400, "invalid_field", field)
    assert call(http, "get", path, admin).json_body == before


def test_an_admin_sets_an_agents_call_settings_and_they_are_stored(http: Any, tenant: str) -> None:  # noqa: F811
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    agent = login(http, make_agent(tenant))
    path = f"/tenants/{tenant}/agents/{agent_id_of(http, tenant, agent)}/settings"
    fresh = call(http, "get", path, admin).json_body

    changed = call(http, "put", path, admin, {"takes_calls": True, "own_line": "+33 6 12 34 56 78",
                                              "auto_answer_seconds": 45})
    partial = call(http, "put", path, admin, {"auto_answer": False, "ask_line_at_login": True})
    read = call(http, "get", path, admin).json_body

    assert {k: fresh[k] for k in ("takes_calls", "own_line", "ask_line_at_login", "auto_answer",
                                  "auto_answer_seconds")} == {
        "takes_calls": False, "own_line": "", "ask_line_at_login": False, "auto_answer": True,
        "auto_answer_seconds": 20}
    assert (changed.status_code, partial.status_code) == (200, 200), (changed.body, partial.body)
    assert {k: read[k] for k in ("takes_calls", "own_line", "ask_line_at_login", "auto_answer",
                                 "auto_answer_seconds")} == {
        "takes_calls": True, "own_line": "+33612345678", "ask_line_at_login": True, "auto_answer": False,
        "auto_answer_seconds": 45}
    assert call(http, "get", f"/tenants/{tenant}/me", agent).json_body["own_line"] == "+33612345678"
    cleared = call(http, "put", path, admin, {"own_line": ""})
    assert cleared.json_body["own_line"] == "" and call(http, "get", path, admin).json_body["own_line"] == ""


@pytest.mark.parametrize(("body", "field"), [
    ({"own_line": "06 12 34 56 78"}, "own_line"),
    ({"own_line": "+33 8 99 12 34 56"}, "own_line"),
    ({"auto_answer_seconds": 301}, "auto_answer_seconds"),
    ({"takes_calls": "yes"}, "takes_calls"),
], ids=["national", "premium", "delay", "flag"])
def test_bad_call_settings_are_refused_by_field_and_change_nothing(
        http: Any, tenant: str, body: Any, field: str) -> None:  # noqa: F811
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    path = f"/tenants/{tenant}/agents/{agent_id_of(http, tenant, login(http, make_agent(tenant)))}/settings"
    before = call(http, "get", path, admin).json_body

    refused = call(http, "put", path, admin, body)

    assert (refused.status_code, refused.json_body["field"]) == (400, field)
    assert call(http, "get", path, admin).json_body == before
