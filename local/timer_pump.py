"""The timer pump: does locally what EventBridge Scheduler and the SQS -> Lambda event source mapping do on AWS.

moto stores Scheduler schedules but never fires them, and nothing polls SQS for a Lambda. So, every ``interval``:

(a) each enabled one-time ``at(...)`` schedule of ``SCHEDULE_GROUP`` whose time has come (in its
    ``ScheduleExpressionTimezone``) has its ``Target.Input`` sent to its ``Target.Arn`` queue, as Scheduler would,
    then is deleted (``ActionAfterCompletion=DELETE``) or remembered as done (``NONE``); "has come" is by
    ``clock`` (``python -m local`` gives the app's own clock, which the local test clock moves: ``local/clock.py``);
(b) the timer queue is drained (moto honours ``DelaySeconds`` and visibility timeouts) and ``on_timer`` is called
    with batches of ``batch_size`` records (1 by default: Lambda may hand any batch up to the mapping's size), as
    the event source mapping does with ``ReportBatchItemFailures``: when the handler returns, every message of the
    batch is deleted except those its ``batchItemFailures`` names; when it raises (or names an id the batch does not
    hold), none is. What is not deleted becomes visible again after the
    visibility timeout and is retried, which is the at-least-once delivery the handlers are written for (they are
    idempotent).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import boto3
from botocore.exceptions import ClientError

from local import events
from local.pumps import BackgroundPump

log = logging.getLogger("local.timer_pump")

TimerHandler = Callable[[dict[str, Any], Any], Any]

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def at_due_time(expression: str, timezone: str | None = None) -> datetime | None:
    """The UTC instant of an ``at(yyyy-mm-ddThh:mm:ss)`` expression, or None for rate()/cron() ones."""
    match = _AT.match(expression.strip())
    if match is None:
        return None
    try:
        zone: Any = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown ScheduleExpressionTimezone %r, using UTC", timezone)
        zone = UTC
    local_time = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=zone)
    return local_time.astimezone(UTC)


@dataclass
class PumpResult:
    """What one ``pump_once`` did; tests assert on it."""

    fired: int = 0
    delivered: int = 0
    failed: int = 0


class TimerPump(BackgroundPump):
    """Fires due schedules into the timer queue and feeds the timer queue to the handler."""

    name = "timer-pump"

    def __init__(
        self,
        handler: TimerHandler,
        *,
        queue_url: str,
        schedule_group: str | None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        interval: float = 1.0,
        max_batches: int = 20,
        batch_size: int = 1,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._handler = handler
        self._clock = clock or (lambda: datetime.now(UTC))
        self._queue_url = queue_url
        self._group = schedule_group
        self._region = region
        super().__init__(interval)
        self._max_batches = max_batches
        self._batch_size = batch_size
        self._sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
        self._scheduler = boto3.client("scheduler", region_name=region, endpoint_url=endpoint_url)
        self._queue_arn: str | None = None
        self._queue_urls: dict[str, str] = {}
        self._completed: set[tuple[str, str]] = set()  # (Arn, LastModificationDate) kept by ActionAfterCompletion NONE
        # GetSchedule's answer per (Arn, LastModificationDate): a schedule not yet due is read once, not every pass
        self._details: dict[tuple[str, str], dict[str, Any]] = {}

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def forget(self) -> None:
        """Forget what the pump learnt about the queue and the schedules it fired (the reset recreated them)."""
        with self._lock:
            self._queue_arn = None
            self._queue_urls.clear()
            self._completed.clear()
            self._details.clear()

    # ---- one pass --------------------------------------------------------------------------------------------
    def pump_once(self, now: datetime | None = None) -> PumpResult:
        """Fire the schedules due at ``now`` (default: the pump's clock), then drain the timer queue (nothing while
        paused)."""
        with self._lock:
            result = PumpResult()
            if self._paused.is_set():
                return result
            if self._group:
                result.fired = self._fire_due_schedules(now or self._clock())
            result.delivered, result.failed = self._drain_queue()
            return result

    def _list_schedules(self) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"GroupName": self._group, "State": "ENABLED"}
        while True:
            page = self._scheduler.list_schedules(**kwargs)
            # moto matches GroupName as a substring, so filter again.
            summaries.extend(s for s in page.get("Schedules", []) if s.get("GroupName") == self._group)
            token = page.get("NextToken")
            if not token:
                return summaries
            kwargs["NextToken"] = token

    def _fire_due_schedules(self, now: datetime) -> int:
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        fired = 0
        listed: set[tuple[str, str]] = set()
        for summary in self._list_schedules():
            key = (summary["Arn"], str(summary.get("LastModificationDate")))
            listed.add(key)
            if key in self._completed:
                continue
            schedule = self._details.get(key)
            if schedule is None:
                try:
                    schedule = self._scheduler.get_schedule(Name=summary["Name"], GroupName=self._group)
                except ClientError as exc:
                    if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                        continue  # cancelled by the app meanwhile
                    raise
                self._details[key] = schedule
            due = at_due_time(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
            if due is None or due > now:
                continue
            if not self._send_to_target(schedule):
                continue
            fired += 1
            if schedule.get("ActionAfterCompletion", "NONE") == "DELETE":
                try:
                    self._scheduler.delete_schedule(Name=schedule["Name"], GroupName=self._group)
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                        raise
            else:
                self._completed.add(key)
        for gone in set(self._details) - listed:  # deleted, updated (a new key) or fired
            del self._details[gone]
        return fired

    def _queue_url_for_arn(self, arn: str) -> str:
        if arn not in self._queue_urls:
            parts = arn.split(":")
            self._queue_urls[arn] = self._sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])[
                "QueueUrl"
            ]
        return self._queue_urls[arn]

    def _send_to_target(self, schedule: dict[str, Any]) -> bool:
        """Deliver like Scheduler's SQS universal target; returns False (retry next pass) when it cannot."""
        target = schedule.get("Target", {})
        arn = str(target.get("Arn", ""))
        if not arn.startswith("arn:aws:sqs:"):
            log.warning("schedule %s targets %r; only SQS targets are emulated locally", schedule.get("Name"), arn)
            return False
        body = target.get("Input") or "{}"
        kwargs: dict[str, Any] = {"QueueUrl": self._queue_url_for_arn(arn), "MessageBody": body}
        if arn.endswith(".fifo"):
            group = target.get("SqsParameters", {}).get("MessageGroupId") or schedule["Name"]
            kwargs["MessageGroupId"] = group
            kwargs["MessageDeduplicationId"] = hashlib.sha256(
                f"{schedule['Arn']}|{schedule.get('ScheduleExpression')}".encode()
            ).hexdigest()
        try:
            self._sqs.send_message(**kwargs)
        except ClientError:
            log.exception("could not deliver schedule %s to %s", schedule.get("Name"), arn)
            return False
        return True

    def _arn_of_queue(self) -> str:
        if self._queue_arn is None:
            attrs = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])
            self._queue_arn = attrs["Attributes"]["QueueArn"]
        return self._queue_arn

    def _drain_queue(self) -> tuple[int, int]:
        delivered = failed = 0
        for _ in range(self._max_batches):
            messages = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,  # explicit: a queue with long polling by default would block the pump
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            for start in range(0, len(messages), self._batch_size):
                batch = messages[start:start + self._batch_size]
                done = self._deliver(batch)
                delivered += done
                failed += len(batch) - done
        return delivered, failed

    def _deliver(self, messages: list[dict[str, Any]]) -> int:
        """Hand one batch to the handler; delete what it did not report as failed. Returns how many were deleted."""
        event = events.sqs_event([events.sqs_record(m, self._arn_of_queue(), self._region) for m in messages])
        ids = [m["MessageId"] for m in messages]
        try:
            answer = self._handler(event, events.lambda_context("on_timer"))
        except Exception:
            log.exception("on_timer failed for messages %s; they will be retried", ids)
            return 0
        failures = batch_item_failures(answer, ids)
        if failures is None:
            log.error("on_timer answered an invalid batchItemFailures %r; the whole batch will be retried", answer)
            return 0
        if failures:
            log.warning("on_timer reported messages %s as failed; they will be retried", sorted(failures))
        done = 0
        for message in messages:
            if message["MessageId"] not in failures:
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
        return done


def batch_item_failures(answer: Any, ids: list[str]) -> set[str] | None:
    """The message ids a handler's answer reports as failed, as Lambda reads it: no answer (or none listed) means
    none; None when the answer is invalid (an item without an id of the batch), which fails the whole batch."""

    if not isinstance(answer, dict) or not answer.get("batchItemFailures"):
        return set()
    failures: set[str] = set()
    for item in answer["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in ids:
            return None
        failures.add(identifier)
    return failures
