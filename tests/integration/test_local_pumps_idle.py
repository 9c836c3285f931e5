"""The local stack's pumps ask little while nothing happens (an e2e process holds two or three stacks for its whole
run, each pumping every second): the stream pump asks only for the next records once it has read everything, and the
timer pump reads a schedule once per version, not on every pass."""

from __future__ import annotations

import collections
import time
from datetime import timedelta
from typing import Any

import boto3

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.ports import Timer
from chalicelib.services import presence
from local.stream_pump import StreamPump
from local.timer_pump import TimerPump
from tests.integration.conftest import Stack


def counted(client: Any) -> collections.Counter[str]:
    """Every API call the client makes from now on, by operation name."""
    calls: collections.Counter[str] = collections.Counter()
    client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    return calls


def test_an_idle_stream_pump_asks_only_for_the_next_records(stack: Stack, tenant: str) -> None:
    pump = StreamPump(lambda_app.on_table_change, table_name=stack.env["TABLE_NAME"],
                      endpoint_url=stack.env["AWS_ENDPOINT_URL"], start="LATEST")
    calls = counted(pump._streams)
    pump.pump_once()
    calls.clear()
    for _ in range(3):
        pump.pump_once()
    assert calls == {"GetRecords": 3}


def test_the_timer_pump_reads_a_schedule_not_yet_due_once_and_again_once_it_changes(stack: Stack,
                                                                                    tenant: str) -> None:
    deps = bootstrap.container().deps
    pump = TimerPump(lambda_app.on_timer, queue_url=stack.env["TIMER_QUEUE_URL"],
                     schedule_group=stack.env["SCHEDULE_GROUP"], endpoint_url=stack.env["AWS_ENDPOINT_URL"])
    now = deps.clock.now()
    timer = Timer(kind=presence.CHECK, tenant=tenant, payload={"agent_id": "a1", "status": "available"})
    fire_at = now + timedelta(hours=30)
    deps.timers.arm(timer, fire_at, now)
    scheduler = boto3.client("scheduler")
    ours = next(s["Name"] for s in scheduler.list_schedules(GroupName=stack.env["SCHEDULE_GROUP"])["Schedules"]
                if tenant in scheduler.get_schedule(Name=s["Name"], GroupName=s["GroupName"])["Target"]["Input"])
    read: list[str] = []
    pump._scheduler.meta.events.register(
        "before-parameter-build.scheduler.GetSchedule", lambda params, **_: read.append(params["Name"]))
    for _ in range(3):
        pump.pump_once(now=now)
    assert read.count(ours) == 1 and len(read) == len(set(read))  # each schedule of the group read once
    read.clear()
    time.sleep(1.1)  # a new version: its LastModificationDate, to the second, differs
    detail = scheduler.get_schedule(Name=ours, GroupName=stack.env["SCHEDULE_GROUP"])
    later = (fire_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.update_schedule(Name=ours, GroupName=stack.env["SCHEDULE_GROUP"], ScheduleExpression=f"at({later})",
                              FlexibleTimeWindow=detail["FlexibleTimeWindow"], Target=detail["Target"], State="ENABLED")
    pump.pump_once(now=now)  # a new version of the schedule is read again, once
    pump.pump_once(now=now)
    assert read == [ours]
