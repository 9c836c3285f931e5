"""The local test clock (`local/clock.py`, served as `/__local__/clock` by a resettable local stack): an advance moves
the app's clock (`UtcClock`, what `bootstrap` wires) and the clock the timer pump fires Scheduler schedules by, so a
timer more than 15 minutes ahead fires after the advance, not before."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.system import UtcClock
from chalicelib.domain.model import AgentStatus
from chalicelib.ports import Timer
from chalicelib.services import presence
from local import clock
from local.gateway import Gateway, GatewayThread
from local.timer_pump import TimerPump
from tests.integration.test_timers import away_agent, status


@pytest.fixture
def clock_url() -> Iterator[str]:
    """A gateway serving only the clock's routes; the offset is back to 0 afterwards (it is process-wide)."""
    runner = GatewayThread(Gateway(SimpleNamespace(), extra_routes=clock.clock_routes()))
    url = runner.start()
    try:
        yield url
    finally:
        clock.reset()
        runner.stop()


def call(url: str, method: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(f"{url}/__local__/clock", method=method, data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_an_advance_moves_the_apps_clock_and_a_reset_puts_it_back(clock_url: str) -> None:
    status_code, read = call(clock_url, "GET")
    assert (status_code, read["offset_seconds"]) == (200, 0)
    before = bootstrap.container().deps.clock.now()
    status_code, moved = call(clock_url, "POST", {"advance_seconds": 3600})
    assert (status_code, moved["offset_seconds"]) == (200, 3600)
    status_code, moved = call(clock_url, "POST", {"advance_seconds": 90.5})
    assert (status_code, moved["offset_seconds"]) == (200, 3690.5)
    now = bootstrap.container().deps.clock.now()  # the clock the app's services are wired with
    assert timedelta(seconds=3690) <= now - before < timedelta(seconds=3700)
    assert abs(datetime.fromisoformat(moved["now"]) - now) < timedelta(seconds=5)
    assert call(clock_url, "GET")[1]["offset_seconds"] == 3690.5
    clock.reset()
    assert call(clock_url, "GET")[1]["offset_seconds"] == 0
    assert abs(UtcClock().now() - datetime.now(UTC)) < timedelta(seconds=1)


@pytest.mark.parametrize("body", [{}, {"advance_seconds": 0}, {"advance_seconds": -60}, {"advance_seconds": "60"},
                                  {"advance_seconds": True}, {"advance_seconds": 367 * 86400}, [60], b"not json",
                                  b'{"advance_seconds": NaN}', b'{"advance_seconds": Infinity}'])
def test_the_clock_only_moves_forward_by_a_number_of_seconds(clock_url: str, body: Any) -> None:
    status_code, answer = call(clock_url, "POST", body)
    assert status_code == 400 and "advance_seconds" in answer["error"]
    assert call(clock_url, "GET")[1]["offset_seconds"] == 0


def test_a_schedule_fires_after_the_advance_not_before(stack: Any, tenant: str, clock_url: str) -> None:
    deps = bootstrap.container().deps
    away_agent(tenant)  # Available; a presence check armed for "available" takes her Offline when it fires
    now = deps.clock.now()
    timer = Timer(kind=presence.CHECK, tenant=tenant, payload={"agent_id": "a1", "status": "available"})
    deps.timers.arm(timer, now + timedelta(hours=2), now)  # more than 15 minutes: a Scheduler at() schedule
    scheduler = boto3.client("scheduler")
    group = stack.env["SCHEDULE_GROUP"]

    def ours() -> list[str]:
        return [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]
                if tenant in scheduler.get_schedule(Name=s["Name"], GroupName=group)["Target"]["Input"]]

    assert len(ours()) == 1
    pump = TimerPump(lambda_app.on_timer, queue_url=stack.env["TIMER_QUEUE_URL"], schedule_group=group,
                     endpoint_url=stack.env["AWS_ENDPOINT_URL"], clock=UtcClock().now)  # as `python -m local`
    pump.pump_once()
    assert len(ours()) == 1 and status(tenant) is AgentStatus.AVAILABLE  # not due on the wall clock

    assert call(clock_url, "POST", {"advance_seconds": 2 * 3600 - 120})[0] == 200
    pump.pump_once()
    assert len(ours()) == 1 and status(tenant) is AgentStatus.AVAILABLE  # two minutes early: still not due

    assert call(clock_url, "POST", {"advance_seconds": 180})[0] == 200
    assert pump.pump_once().fired >= 1  # (a schedule left by another test may be due too)
    assert ours() == []  # ActionAfterCompletion DELETE
    pump.pump_once()  # the timer queue delivers it to the timer handler
    assert status(tenant) is AgentStatus.OFFLINE
