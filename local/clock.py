"""The local test clock: ``POST /__local__/clock {"advance_seconds": N}`` moves the app's clock N seconds forward.

Served only with ``GUICHET_LOCAL_RESET=1``, as ``/__local__/reset`` (``local/reset.py``): a test stack's clock, never a
user's. It sets ``UtcClock.offset`` (``chalicelib/adapters/system.py``), which the app's clock adds to the wall clock
(on AWS nothing sets it), and the timer pump fires Scheduler ``at()`` schedules by that same clock
(``local/timer_pump.py``), so a booking more than 15 minutes ahead starts as soon as the clock passes its time.
SQS delays (timers less than 15 minutes ahead) still run on real time, as moto holds them. The clock only moves
forward; a reset puts the offset back to 0.

- GET  /__local__/clock: ``{"offset_seconds": 1200.0, "now": "2026-12-07T09:20:00.000000+00:00"}``
- POST /__local__/clock ``{"advance_seconds": N}`` (0 < N <= 366 days): the same, after the advance; 400 otherwise
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aiohttp import web

from chalicelib.adapters.system import UtcClock

MAX_ADVANCE_SECONDS = 366 * 24 * 3600


def advance(seconds: float) -> timedelta:
    """Move the app's clock forward; the new offset."""
    UtcClock.offset = UtcClock.offset + timedelta(seconds=seconds)
    return UtcClock.offset


def reset() -> None:
    """Back to the wall clock (the local reset calls it)."""
    UtcClock.offset = timedelta(0)


def state() -> dict[str, Any]:
    return {"offset_seconds": UtcClock.offset.total_seconds(), "now": UtcClock().now().isoformat()}


def clock_routes() -> list[web.RouteDef]:
    async def read(_request: web.Request) -> web.Response:
        return web.json_response(state())

    async def move(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            body = None
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= MAX_ADVANCE_SECONDS:
            return web.json_response(
                {"error": f"advance_seconds is a number of seconds, above 0 and at most {MAX_ADVANCE_SECONDS}"},
                status=400)
        advance(float(seconds))
        return web.json_response(state())

    return [web.get("/__local__/clock", read), web.post("/__local__/clock", move)]
