"""A tenant's callback settings (issue 13): when immediate (CB-1) and scheduled (CB-2) callbacks are offered, the
booking slots, the numbers that may be called, retries (CB-8), the maximum delay (CB-3), recording (CB-9), the call
order and hold music (CB-7), and the daily limits against abuse. Checked field by field, as an admin PUTs them in
`{"callback": {...}}` of the tenant's settings.

The JSON form is flat, one key per setting the admin's form shows, so that an error names exactly the input at
fault ("callback.slots.3.capacity", "callback.attempts"):

    {"immediate": "when_agents_available", "opening_hours": null,
     "scheduled": "always", "scheduled_hours": null,
     "slots": [{"weekday": "monday", "start": "09:00", "end": "12:00", "capacity": 18}, ...], "holidays": [],
     "horizon_days": 14, "time_zone": "Europe/Paris",
     "country": "FR", "allowed_countries": [],
     "attempts": 5, "spacing_seconds": 300, "max_delay_seconds": 600,
     "recording": false, "recording_share_percent": 70,
     "recording_notice": "",
     "call_order": "agent_first", "hold_music": "", "per_visitor_daily": 3, "per_number_daily": 3,
     "acd_number": "", "acd_welcome": "", "acd_welcome_ms": 0, "acd_prompt": "", "acd_welcome_seconds": 10,
     "acd_id_tries": 3, "acd_id_digits": 4}

The `acd_*` keys are ACD mode's (CB-5): domain/callbacks/acd.py.

Opening hours (immediate = "opening_hours") and scheduled hours (scheduled = "on_schedule") reuse the slots' weekly
ranges and holidays, written as `{"slots": [...], "holidays": [...]}`: a range's capacity may be left out (1) and is
ignored there, and their time zone is always the slots' `time_zone`, the tenant's clock. They are required by the
mode that reads them, and kept (not cleared) when the admin switches to another mode, so that switching back
finds them.

A partial update replaces each key given and keeps the others; slots, holidays, horizon_days and time_zone are the
keys of slot_settings.py, each replaced as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any

from chalicelib.domain.callbacks.acd import KEYS as ACD_KEYS
from chalicelib.domain.callbacks.acd import AcdSettings, acd_to_json, check_acd, updated_acd
from chalicelib.domain.callbacks.attempts import (
    ATTEMPTS,
    DEFAULT_MAX_DELAY_SECONDS,
    MAX_DELAY_SECONDS,
    SPACING_SECONDS,
    RetryPolicy,
)
from chalicelib.domain.callbacks.numbers import NumberRules, countries, country
from chalicelib.domain.callbacks.recording import SHARE_PERCENT, RecordingPolicy
from chalicelib.domain.callbacks.slot_settings import slot_settings_to_json, updated_slot_settings
from chalicelib.domain.callbacks.slots import SlotRange, SlotSettings, WeeklyRange
from chalicelib.domain.errors import InvalidInput

IMMEDIATE_MODES = ("off", "when_agents_available", "opening_hours")
SCHEDULED_MODES = ("off", "always", "when_immediate_unavailable", "on_schedule")
CALL_ORDERS = ("agent_first", "visitor_first")
#: The daily limits' range (bounds included): callbacks a visitor may ask for, and a number may receive, per day.
DAILY_LIMIT = (1, 50)
DEFAULT_DAILY_LIMIT = 3
#: Hold music and the recording notice are WAV objects of the audio bucket (8 kHz mono 16-bit PCM: audio.py).
_AUDIO_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._/-]{0,199}\.wav$")
_SLOT_KEYS = ("slots", "holidays", "horizon_days", "time_zone")
_HOURS_KEYS = ("slots", "holidays")
_PER_HOUR = 6


def _default_slots() -> SlotSettings:
    """Monday to Friday, 09:00-12:00 and 14:00-18:00, 6 callbacks an hour, on Paris time."""
    ranges = (SlotRange(time(9), time(12), 3 * _PER_HOUR), SlotRange(time(14), time(18), 4 * _PER_HOUR))
    weekly = tuple(WeeklyRange(day, hours) for day in range(5) for hours in ranges)
    return SlotSettings(weekly=weekly, horizon_days=14, time_zone="Europe/Paris")


@dataclass(frozen=True)
class CallbackSettings:
    """The tenant's callback settings; built checked by callback_settings_from_json."""

    immediate: str = "when_agents_available"
    opening_hours: SlotSettings | None = None  # read when immediate == "opening_hours"; capacities ignored
    scheduled: str = "always"
    scheduled_hours: SlotSettings | None = None  # read when scheduled == "on_schedule"; capacities ignored
    slots: SlotSettings = field(default_factory=_default_slots)
    numbers: NumberRules = field(default_factory=lambda: NumberRules("FR"))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_delay_seconds: int = DEFAULT_MAX_DELAY_SECONDS
    recording: RecordingPolicy = field(default_factory=RecordingPolicy)
    #: The audio object's key played to the visitor before recording starts (CB-9): required while recording is on.
    recording_notice: str = ""
    call_order: str = "agent_first"
    hold_music: str = ""  # the audio object's key; "": silence (no music uploaded yet)
    per_visitor_daily: int = DEFAULT_DAILY_LIMIT
    per_number_daily: int = DEFAULT_DAILY_LIMIT
    #: ACD mode (CB-5): calls go to the brand's ACD number instead of Guichet's agents (domain/callbacks/acd.py).
    acd: AcdSettings = field(default_factory=AcdSettings)


_KNOWN = ("immediate", "opening_hours", "scheduled", "scheduled_hours", *_SLOT_KEYS, "country", "allowed_countries",
          "attempts", "spacing_seconds", "max_delay_seconds", "recording", "recording_share_percent",
          "recording_notice", "call_order", "hold_music", "per_visitor_daily", "per_number_daily", *ACD_KEYS)


def callback_settings_from_json(data: object, current: CallbackSettings | None = None,
                                where: str = "callback") -> CallbackSettings:
    """`current` (the defaults if None) with each given key replaced; InvalidInput naming `where.<key>...` for an
    unknown key, a bad value, or hours missing for the mode that reads them."""
    settings = current if current is not None else CallbackSettings()
    if not isinstance(data, dict):
        raise InvalidInput("must be a JSON object", field=where)
    for name in data:
        if name not in _KNOWN:
            raise InvalidInput(f"unknown setting; use {', '.join(_KNOWN)}", field=f"{where}.{name}")
    slot_changes = {k: v for k, v in data.items() if k in _SLOT_KEYS}
    if slot_changes:
        settings = replace(settings, slots=updated_slot_settings(settings.slots, slot_changes, where))
    values: dict[str, Any] = {}
    for name, value in data.items():
        path = f"{where}.{name}"
        if name == "immediate":
            values[name] = _choice(value, path, IMMEDIATE_MODES)
        elif name == "scheduled":
            values[name] = _choice(value, path, SCHEDULED_MODES)
        elif name == "call_order":
            values[name] = _choice(value, path, CALL_ORDERS)
        elif name in ("opening_hours", "scheduled_hours"):
            values[name] = _hours(value, path)
        elif name in ("max_delay_seconds", "per_visitor_daily", "per_number_daily"):
            values[name] = _int(value, path, *(MAX_DELAY_SECONDS if name == "max_delay_seconds" else DAILY_LIMIT))
        elif name in ("hold_music", "recording_notice"):
            values[name] = _audio_key(value, path)
    settings = replace(settings, **values)
    numbers = settings.numbers
    if "country" in data:
        numbers = replace(numbers, country=country(data["country"], field=f"{where}.country"))
    if "allowed_countries" in data:
        numbers = replace(numbers, allowed_countries=countries(data["allowed_countries"],
                                                               field=f"{where}.allowed_countries"))
    retry = settings.retry
    if "attempts" in data:
        retry = replace(retry, attempts=_int(data["attempts"], f"{where}.attempts", *ATTEMPTS))
    if "spacing_seconds" in data:
        retry = replace(retry, spacing_seconds=_int(data["spacing_seconds"], f"{where}.spacing_seconds",
                                                    *SPACING_SECONDS))
    recording = settings.recording
    if "recording" in data:
        if not isinstance(data["recording"], bool):
            raise InvalidInput("must be true or false", field=f"{where}.recording")
        recording = replace(recording, enabled=data["recording"])
    if "recording_share_percent" in data:
        recording = replace(recording, share_percent=_int(data["recording_share_percent"],
                                                          f"{where}.recording_share_percent", *SHARE_PERCENT))
    acd = updated_acd(settings.acd, data, where)
    return _checked(replace(settings, numbers=numbers, retry=retry, recording=recording, acd=acd), where)


def callback_settings_to_json(settings: CallbackSettings) -> dict[str, Any]:
    """The JSON form read by callback_settings_from_json: a round trip gives back equal settings."""
    return {
        "immediate": settings.immediate,
        "opening_hours": _hours_to_json(settings.opening_hours),
        "scheduled": settings.scheduled,
        "scheduled_hours": _hours_to_json(settings.scheduled_hours),
        **slot_settings_to_json(settings.slots),
        "country": settings.numbers.country,
        "allowed_countries": list(settings.numbers.allowed_countries),
        "attempts": settings.retry.attempts,
        "spacing_seconds": settings.retry.spacing_seconds,
        "max_delay_seconds": settings.max_delay_seconds,
        "recording": settings.recording.enabled,
        "recording_share_percent": settings.recording.share_percent,
        "recording_notice": settings.recording_notice,
        "call_order": settings.call_order,
        "hold_music": settings.hold_music,
        "per_visitor_daily": settings.per_visitor_daily,
        "per_number_daily": settings.per_number_daily,
        **acd_to_json(settings.acd),
    }


def callback_settings_public(settings: CallbackSettings) -> dict[str, Any]:
    """What the widget needs to offer callbacks: the modes, the country a number is read in, and whether to show
    the "do not record me" box. No limits, no hold music."""
    return {"immediate": settings.immediate, "scheduled": settings.scheduled, "country": settings.numbers.country,
            "recording": settings.recording.enabled}


def _checked(settings: CallbackSettings, where: str) -> CallbackSettings:
    """Hours follow the slots' time zone; a mode that reads hours has them; recording has its notice."""
    zone = settings.slots.time_zone
    settings = replace(settings, opening_hours=_in_zone(settings.opening_hours, zone),
                       scheduled_hours=_in_zone(settings.scheduled_hours, zone))
    if settings.immediate == "opening_hours" and settings.opening_hours is None:
        raise InvalidInput("give the opening hours when immediate callback follows them",
                           field=f"{where}.opening_hours")
    if settings.scheduled == "on_schedule" and settings.scheduled_hours is None:
        raise InvalidInput("give the hours when scheduled callback follows a schedule",
                           field=f"{where}.scheduled_hours")
    if settings.recording.enabled and not settings.recording_notice:
        raise InvalidInput("upload a recording notice first: it plays before recording starts",
                           field=f"{where}.recording_notice")
    check_acd(settings.acd, where)
    return settings


def _in_zone(hours: SlotSettings | None, zone: str) -> SlotSettings | None:
    return replace(hours, time_zone=zone) if hours is not None else None


def _hours(value: object, where: str) -> SlotSettings | None:
    """Weekly ranges and holidays as the slots write them; a capacity left out is 1 (it is not read)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("must be null or an object with slots and holidays", field=where)
    for key in value:
        if key not in _HOURS_KEYS:
            raise InvalidInput(f"unknown field; use {', '.join(_HOURS_KEYS)}", field=f"{where}.{key}")
    filled = dict(value)
    if isinstance(value.get("slots"), list):
        filled["slots"] = [_with_capacity(r) for r in value["slots"]]
    if isinstance(value.get("holidays"), list):
        filled["holidays"] = [
            {**h, "slots": [_with_capacity(r) for r in h["slots"]]}
            if isinstance(h, dict) and isinstance(h.get("slots"), list) else h
            for h in value["holidays"]]
    return updated_slot_settings(SlotSettings(), filled, where)


def _with_capacity(item: object) -> object:
    return {"capacity": 1, **item} if isinstance(item, dict) else item


def _hours_to_json(hours: SlotSettings | None) -> dict[str, Any] | None:
    if hours is None:
        return None
    full = slot_settings_to_json(hours)
    return {"slots": full["slots"], "holidays": full["holidays"]}


def _choice(value: object, where: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InvalidInput(f"must be one of {', '.join(choices)}", field=where)
    return value


def _int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=where)
    return value


def _audio_key(value: object, where: str) -> str:
    if not isinstance(value, str) or (value and (not _AUDIO_KEY.match(value) or ".." in value)):
        raise InvalidInput("must be empty (none) or the key of a .wav object of the audio bucket",
                           field=where)
    return value
