"""The `hours` setting and the `closed` text in a tenant's settings (issue 16)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.opening_hours import OpeningHours
from chalicelib.domain.settings import TenantSettings, from_json, updated


def test_hours_default_to_not_enabled_and_the_closed_text_is_in_both_languages() -> None:
    settings = TenantSettings()
    assert settings.hours == OpeningHours() and settings.to_json()["hours"]["enabled"] is False
    assert settings.public()["texts"]["en"]["closed"] == "We are closed right now."
    assert settings.public()["texts"]["fr"]["closed"] == "Nous sommes fermés pour le moment."


def test_hours_change_by_key_and_round_trip_through_json() -> None:
    first = updated(TenantSettings(), {"hours": {"enabled": True, "weekly": {"sat": [["10:00", "13:00"]]}}})
    second = updated(first, {"hours": {"holidays": ["2026-12-25"]}, "texts": {"en": {"closed": "Back Monday."}}})
    assert second.to_json()["hours"] == {
        "enabled": True, "time_zone": "Europe/Paris",
        "weekly": {"mon": [], "tue": [], "wed": [], "thu": [], "fri": [], "sat": [["10:00", "13:00"]], "sun": []},
        "holidays": ["2026-12-25"], "overrides": []}
    assert second.texts["en"]["closed"] == "Back Monday." and second.texts["fr"]["closed"] != ""
    assert from_json(second.to_json()) == second


def test_settings_stored_before_hours_load_with_the_defaults() -> None:
    old = TenantSettings().to_json()
    del old["hours"]
    for lang in ("en", "fr"):
        del old["texts"][lang]["closed"]
    loaded = from_json(old)
    assert loaded.hours == OpeningHours() and loaded.texts["fr"]["closed"] == "Nous sommes fermés pour le moment."


def test_a_bad_period_names_its_field_under_hours() -> None:
    with pytest.raises(InvalidInput) as refused:
        updated(TenantSettings(), {"hours": {"weekly": {"mon": [["09:00", "18:00"], ["17:00", "19:00"]]}}})
    assert refused.value.field == "hours.weekly.mon.1"


@pytest.mark.parametrize(("changes", "field"), [({"hours": {"time_zone": "Etc"}}, "hours.time_zone"),
                                                ({"callback": {"time_zone": "America"}}, "callback.time_zone")])
def test_a_folder_of_the_time_zone_database_is_refused_not_a_server_error(changes: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        updated(TenantSettings(), changes)
    assert refused.value.field == field
