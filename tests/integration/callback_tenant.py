"""The callback settings the booking and mail tests share: Monday 9:00-10:00 in Paris with `capacity` call times,
and immediate callback offered by the clock (Monday 8:00-20:00), not by an agent's availability."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.callbacks.settings import callback_settings_from_json
from chalicelib.ports import Deps


def set_callback_slots(deps: Deps, tenant: str, capacity: int) -> None:
    found = deps.tenants.get(tenant)
    assert found is not None
    settings = callback_settings_from_json({
        "slots": [{"weekday": "monday", "start": "09:00", "end": "10:00", "capacity": capacity}], "holidays": [],
        "time_zone": "Europe/Paris", "horizon_days": 8, "country": "FR",
        # immediate callback offered by the clock, not by an agent's availability (test_callback_api.py)
        "immediate": "opening_hours", "opening_hours": {"slots": [{"weekday": "monday", "start": "08:00",
                                                                   "end": "20:00"}]},
    }, found.settings.callback)
    deps.tenants.put(replace(found, settings=replace(found.settings, callback=settings)))
