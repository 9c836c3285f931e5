"""A tenant's callback settings (issue 13): their defaults, the JSON round trip, partial updates that keep what is not
given, opening and scheduling hours on the slots' clock, every per-field error, and their place in TenantSettings
(the admin's JSON, the widget's public part)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest

from chalicelib.domain.callbacks.attempts import RetryPolicy
from chalicelib.domain.callbacks.numbers import NumberRules
from chalicelib.domain.callbacks.recording import RecordingPolicy
from chalicelib.domain.callbacks.settings import (
    CallbackSettings,
    callback_settings_from_json,
    callback_settings_to_json,
)
from chalicelib.domain.callbacks.slots import Holiday, SlotRange, WeeklyRange, ranges_on
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.settings import TenantSettings, from_json, updated

MONDAY_HOURS = {"slots": [{"weekday": "monday", "start": "08:00", "end": "20:00"}]}


def test_the_defaults_offer_both_callbacks_on_weekday_slots_in_paris() -> None:
    settings = CallbackSettings()

    assert (settings.immediate, settings.scheduled, settings.call_order) == ("when_agents_available", "always",
                                                                              "agent_first")
    assert settings.opening_hours is None and settings.scheduled_hours is None
    assert settings.numbers == NumberRules("FR", ())
    assert settings.retry == RetryPolicy(attempts=5, spacing_seconds=300)
    assert settings.max_delay_seconds == 600
    assert settings.recording == RecordingPolicy(enabled=False, share_percent=70)
    assert (settings.hold_music, settings.per_visitor_daily, settings.per_number_daily) == ("", 3, 3)
    assert (settings.slots.time_zone, settings.slots.horizon_days, settings.slots.holidays) == ("Europe/Paris", 14, ())
    morning, afternoon = SlotRange(time(9), time(12), 18), SlotRange(time(14), time(18), 24)
    assert ranges_on(settings.slots, date(2026, 12, 7)) == (morning, afternoon)  # a Monday
    assert ranges_on(settings.slots, date(2026, 12, 11)) == (morning, afternoon)  # a Friday
    assert ranges_on(settings.slots, date(2026, 12, 12)) == ()  # a Saturday
    assert len(settings.slots.weekly) == 10


def test_the_defaults_json_is_flat_with_one_key_per_setting() -> None:
    data = callback_settings_to_json(CallbackSettings())

    assert data["slots"][:2] == [{"weekday": "monday", "start": "09:00", "end": "12:00", "capacity": 18},
                                 {"weekday": "monday", "start": "14:00", "end": "18:00", "capacity": 24}]
    del data["slots"]
    assert data == {
        "immediate": "when_agents_available", "opening_hours": None, "scheduled": "always", "scheduled_hours": None,
        "holidays": [], "horizon_days": 14, "time_zone": "Europe/Paris", "country": "FR", "allowed_countries": [],
        "attempts": 5, "spacing_seconds": 300, "max_delay_seconds": 600, "recording": False,
        "recording_share_percent": 70, "recording_notice": "", "call_order": "agent_first", "hold_music": "",
        "per_visitor_daily": 3,
        "per_number_daily": 3,
        "acd_number": "", "acd_welcome": "", "acd_welcome_ms": 0, "acd_prompt": "", "acd_welcome_seconds": 10,
        "acd_id_tries": 3, "acd_id_digits": 4,
    }


EVERY_KEY: dict[str, Any] = {
    "immediate": "opening_hours",
    "opening_hours": {"slots": [{"weekday": "monday", "start": "08:00", "end": "20:00", "capacity": 1}],
                      "holidays": [{"date": "2026-12-25", "slots": []}]},
    "scheduled": "on_schedule",
    "scheduled_hours": {"slots": [{"weekday": "saturday", "start": "10:00", "end": "12:00", "capacity": 1}],
                        "holidays": []},
    "slots": [{"weekday": "tuesday", "start": "10:00", "end": "11:00", "capacity": 4}],
    "holidays": [{"date": "2026-12-24", "slots": [{"start": "09:00", "end": "10:00", "capacity": 2}]}],
    "horizon_days": 30,
    "time_zone": "America/Montreal",
    "country": "CA",
    "allowed_countries": ["CA", "US"],
    "attempts": 3,
    "spacing_seconds": 120,
    "max_delay_seconds": 900,
    "recording": True,
    "recording_share_percent": 40,
    "recording_notice": "audio/t-1/recording_notice-0123456789ab.wav",
    "call_order": "visitor_first",
    "hold_music": "hold-music/t-1/jazz.wav",
    "per_visitor_daily": 1,
    "per_number_daily": 50,
    "acd_number": "+15145550123",
    "acd_welcome": "audio/t-1/acd_welcome-0123456789ab.wav",
    "acd_welcome_ms": 4200,
    "acd_prompt": "audio/t-1/acd_prompt-0123456789ab.wav",
    "acd_welcome_seconds": 8,
    "acd_id_tries": 2,
    "acd_id_digits": 6,
}


def test_every_setting_round_trips_through_json() -> None:
    settings = callback_settings_from_json(EVERY_KEY)

    assert callback_settings_to_json(settings) == EVERY_KEY
    assert callback_settings_from_json(callback_settings_to_json(settings)) == settings
    assert settings.numbers == NumberRules("CA", ("CA", "US"))
    assert settings.retry == RetryPolicy(3, 120) and settings.recording == RecordingPolicy(True, 40)
    assert settings.slots.weekly == (WeeklyRange(1, SlotRange(time(10), time(11), 4)),)
    assert settings.slots.holidays == (Holiday(date(2026, 12, 24), (SlotRange(time(9), time(10), 2),)),)


def test_a_partial_update_changes_only_the_keys_given() -> None:
    current = callback_settings_from_json(EVERY_KEY)

    changed = callback_settings_from_json({"attempts": 7, "country": "US", "recording": False}, current)

    assert changed.retry == RetryPolicy(7, 120)  # the spacing given before stays
    assert changed.numbers == NumberRules("US", ("CA", "US"))
    assert changed.recording == RecordingPolicy(False, 40)
    assert changed.slots == current.slots and changed.opening_hours == current.opening_hours
    assert changed.hold_music == "hold-music/t-1/jazz.wav"


def test_a_slot_key_replaces_that_part_of_the_slots_only() -> None:
    changed = callback_settings_from_json({"horizon_days": 7})

    assert changed.slots.horizon_days == 7
    assert changed.slots.weekly == CallbackSettings().slots.weekly and changed.slots.time_zone == "Europe/Paris"


def test_hours_take_no_capacity_and_follow_the_slots_time_zone() -> None:
    settings = callback_settings_from_json({"immediate": "opening_hours", "opening_hours": MONDAY_HOURS})

    assert settings.opening_hours is not None
    assert settings.opening_hours.weekly == (WeeklyRange(0, SlotRange(time(8), time(20), 1)),)
    assert settings.opening_hours.time_zone == "Europe/Paris"
    moved = callback_settings_from_json({"time_zone": "Asia/Tokyo"}, settings)
    assert moved.opening_hours is not None and moved.opening_hours.time_zone == "Asia/Tokyo"
    assert callback_settings_to_json(moved)["opening_hours"] == {
        "slots": [{"weekday": "monday", "start": "08:00", "end": "20:00", "capacity": 1}], "holidays": []}


def test_hours_are_kept_when_the_admin_switches_to_another_mode() -> None:
    with_hours = callback_settings_from_json({"immediate": "opening_hours", "opening_hours": MONDAY_HOURS})

    switched = callback_settings_from_json({"immediate": "when_agents_available"}, with_hours)
    back = callback_settings_from_json({"immediate": "opening_hours"}, switched)

    assert back.opening_hours == with_hours.opening_hours


def test_scheduled_hours_round_trip_in_the_tenant_settings() -> None:
    settings = updated(TenantSettings(), {"callback": {"scheduled": "on_schedule", "scheduled_hours": MONDAY_HOURS}})

    assert settings.callback.scheduled == "on_schedule"
    assert from_json(settings.to_json()) == settings


@pytest.mark.parametrize(("changes", "field"), [
    ([], "callback"),
    ({"colour": "red"}, "callback.colour"),
    ({"immediate": "sometimes"}, "callback.immediate"),
    ({"immediate": "opening_hours"}, "callback.opening_hours"),
    ({"immediate": "opening_hours", "opening_hours": None}, "callback.opening_hours"),
    ({"opening_hours": []}, "callback.opening_hours"),
    ({"opening_hours": {"time_zone": "UTC"}}, "callback.opening_hours.time_zone"),
    ({"opening_hours": {"slots": [{"weekday": "monday", "start": "20:00", "end": "08:00"}]}},
     "callback.opening_hours.slots.0.end"),
    ({"opening_hours": {"holidays": [{"date": "2026-13-01", "slots": []}]}},
     "callback.opening_hours.holidays.0.date"),
    ({"opening_hours": {"holidays": [{"date": "2026-12-24", "slots": [{"start": "9:00", "end": "12:00"}]}]}},
     "callback.opening_hours.holidays.0.slots.0.start"),
    ({"scheduled": 1}, "callback.scheduled"),
    ({"scheduled": "on_schedule"}, "callback.scheduled_hours"),
    ({"scheduled_hours": {"slots": [{"weekday": "funday", "start": "08:00", "end": "09:00"}]}},
     "callback.scheduled_hours.slots.0.weekday"),
    ({"slots": [{"weekday": "monday", "start": "09:00", "end": "10:00", "capacity": 61}]}, "callback.slots.0.capacity"),
    ({"slots": [{"weekday": "monday", "start": "09:00", "end": "10:00"}]}, "callback.slots.0.capacity"),
    ({"holidays": {}}, "callback.holidays"),
    ({"horizon_days": 0}, "callback.horizon_days"),
    ({"time_zone": "Mars/Olympus"}, "callback.time_zone"),
    ({"country": "XX"}, "callback.country"),
    ({"allowed_countries": ["FR", "ZZ"]}, "callback.allowed_countries[1]"),
    ({"allowed_countries": "FR"}, "callback.allowed_countries"),
    ({"attempts": 0}, "callback.attempts"),
    ({"attempts": 11}, "callback.attempts"),
    ({"spacing_seconds": 59}, "callback.spacing_seconds"),
    ({"max_delay_seconds": 86_401}, "callback.max_delay_seconds"),
    ({"max_delay_seconds": True}, "callback.max_delay_seconds"),
    ({"recording": "yes"}, "callback.recording"),
    ({"recording_share_percent": 101}, "callback.recording_share_percent"),
    ({"call_order": "both"}, "callback.call_order"),
    ({"hold_music": "music.mp3"}, "callback.hold_music"),
    ({"hold_music": "../other-tenant/music.wav"}, "callback.hold_music"),
    ({"hold_music": "/music.wav"}, "callback.hold_music"),
    ({"hold_music": "hold/../t-2/music.wav"}, "callback.hold_music"),
    ({"hold_music": None}, "callback.hold_music"),
    ({"recording_notice": "notice.mp3"}, "callback.recording_notice"),
    ({"recording_notice": "audio/../t-2/notice.wav"}, "callback.recording_notice"),
    ({"recording": True}, "callback.recording_notice"),
    ({"per_visitor_daily": 0}, "callback.per_visitor_daily"),
    ({"per_number_daily": 51}, "callback.per_number_daily"),
    ({"per_number_daily": "3"}, "callback.per_number_daily"),
])
def test_a_bad_callback_setting_names_its_field(changes: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        callback_settings_from_json(changes, CallbackSettings())
    assert refused.value.field == field


def test_a_refused_change_in_the_tenant_settings_names_the_callback_field_and_changes_nothing() -> None:
    current = TenantSettings()

    with pytest.raises(InvalidInput) as refused:
        updated(current, {"acceptance_seconds": 12, "callback": {"per_visitor_daily": 99}})

    assert refused.value.field == "callback.per_visitor_daily"
    assert current.callback == CallbackSettings()


def test_a_put_of_the_callback_section_changes_only_the_keys_given() -> None:
    first = updated(TenantSettings(), {"callback": {"country": "BE", "hold_music": "hold/t/tone.wav"}})

    second = updated(first, {"callback": {"per_number_daily": 5}})

    assert second.callback.numbers.country == "BE" and second.callback.hold_music == "hold/t/tone.wav"
    assert second.callback.per_number_daily == 5 and second.acceptance_seconds == first.acceptance_seconds


def test_settings_stored_before_callbacks_read_as_the_defaults() -> None:
    stored = TenantSettings().to_json()
    del stored["callback"]

    assert from_json(stored).callback == CallbackSettings()


def test_the_widget_sees_the_modes_the_country_and_whether_calls_are_recorded_only() -> None:
    settings = updated(TenantSettings(), {"callback": {**EVERY_KEY}})

    assert settings.public()["callback"] == {"immediate": "opening_hours", "scheduled": "on_schedule",
                                             "country": "CA", "recording": True}
    assert TenantSettings().public()["callback"] == {"immediate": "when_agents_available", "scheduled": "always",
                                                     "country": "FR", "recording": False}


def test_recording_needs_its_notice_since_the_notice_plays_before_recording_starts() -> None:
    notice = "audio/t-1/recording_notice-0123456789ab.wav"
    with_notice = callback_settings_from_json({"recording_notice": notice})

    recorded = callback_settings_from_json({"recording": True}, with_notice)
    both_at_once = callback_settings_from_json({"recording": True, "recording_notice": notice})
    with pytest.raises(InvalidInput) as cleared:
        callback_settings_from_json({"recording_notice": ""}, recorded)
    stopped = callback_settings_from_json({"recording": False, "recording_notice": ""}, recorded)

    assert recorded.recording.enabled and recorded.recording_notice == notice
    assert both_at_once == recorded
    assert cleared.value.field == "callback.recording_notice"
    assert not stopped.recording.enabled and stopped.recording_notice == ""
