"""The agenda (issue 13, CB-11): a day's scheduled callbacks of the agent's groups, in every state (booked, calling,
connected, not reached, cancelled, expired...), earliest first, on the tenant's clock. A callback not routed yet has
no group and shows to every agent of the tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from chalicelib.domain.callbacks.model import Callback
from chalicelib.domain.errors import InvalidInput, Unavailable
from chalicelib.domain.model import Principal
from chalicelib.ports import Deps
from chalicelib.services import agents, frames, tenants

#: The days an agenda may show: enough for any booking and its history, and far from datetime's limits.
FIRST_YEAR, LAST_YEAR = 2000, 2999


def agenda_for(deps: Deps, principal: Principal, day: str | None = None) -> dict[str, Any]:
    """Agents of the tenant: the agenda of `day` (YYYY-MM-DD on the tenant's clock; today by default)."""
    agent = agents.profile(deps, principal)
    if deps.callbacks is None:
        raise Unavailable("callbacks are not set up here")
    settings = tenants.settings_of(deps, principal.tenant).callback
    zone = settings.slots.zone
    shown = _day(day) if day else deps.clock.now().astimezone(zone).date()
    start = datetime.combine(shown, time(), zone).astimezone(UTC)
    end = datetime.combine(shown + timedelta(days=1), time(), zone).astimezone(UTC)
    found = deps.callbacks.agenda(principal.tenant, start, end)
    return {"day": shown.isoformat(), "time_zone": zone.key,
            "callbacks": [_entry(c, settings.retry.attempts) for c in found if not c.queue or c.queue in agent.queues]}


def _day(value: str) -> date:
    try:
        found = date.fromisoformat(value)
    except ValueError:
        found = None
    if found is None or len(value) != 10 or not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise InvalidInput("'day' must be a date, YYYY-MM-DD", field="day")
    return found


def _entry(callback: Callback, attempts: int) -> dict[str, Any]:
    """An agenda line: the number in full (agents call it; the visitor's own view masks it)."""
    assert callback.at is not None
    return {"id": callback.id, "at": frames.iso(callback.at), "name": callback.name, "phone": callback.phone,
            "state": callback.state.value, "attempt": callback.attempt, "attempts": attempts,
            "agent_name": callback.agent_name or None, "queue": callback.queue}
