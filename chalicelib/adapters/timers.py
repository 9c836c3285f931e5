"""Timers: SQS DelaySeconds for short ones, EventBridge Scheduler one-time schedules for long ones.

Both deliver the same JSON body to the timer queue, so one handler (`app.on_timer`) serves them. Delivery is at
least once; handlers re-read state and act only if what the timer was armed for still holds (invariant 5).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timedelta

from chalicelib.adapters.aws import client
from chalicelib.ports import Timer

SQS_MAX_DELAY = timedelta(seconds=900)


def timer_body(timer: Timer) -> str:
    return json.dumps({"kind": timer.kind, "tenant": timer.tenant, **timer.payload}, separators=(",", ":"))


class QueueAndSchedulerTimers:
    def __init__(self, queue_url: str, queue_arn: str, schedule_group: str, scheduler_role_arn: str) -> None:
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._group = schedule_group
        self._role_arn = scheduler_role_arn

    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        delay = fire_at - now
        body = timer_body(timer)
        if delay <= SQS_MAX_DELAY:
            client("sqs").send_message(
                QueueUrl=self._queue_url, MessageBody=body, DelaySeconds=max(0, math.ceil(delay.total_seconds()))
            )
            return
        # Scheduler has minute precision; a name derived from the timer makes a re-arm idempotent.
        digest = hashlib.sha256(f"{fire_at.isoformat()}|{body}".encode()).hexdigest()[:24]
        name = f"{timer.kind.replace('.', '-')}-{digest}"[:64]
        scheduler = client("scheduler")
        try:
            scheduler.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=f"at({fire_at.strftime('%Y-%m-%dT%H:%M:%S')})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={"Arn": self._queue_arn, "RoleArn": self._role_arn, "Input": body},
            )
        except scheduler.exceptions.ConflictException:
            return  # already armed
