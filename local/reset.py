"""``POST /__local__/reset``: the running local stack back to the state of a fresh start, in a fraction of a second.

Booting ``python -m local`` costs several seconds of CPU (imports, provisioning moto, seeding the demo with its
Cognito users); the browser tests need a fresh stack per test, so they keep warm stacks and reset them instead
(``tests/e2e/conftest.py``). The route exists only when ``GUICHET_LOCAL_RESET=1`` (the e2e fixtures set it;
``make run`` does not): a user's stack can never be wiped by a request.

A reset, with the demo settings of the request's body (what ``GUICHET_DEMO_SETTINGS`` means at start-up):
1. pauses the timer pump and the stream pump (a delivery under way finishes first);
2. closes every WebSocket of the gateway (1001, as on a stop) and waits for their ``$disconnect`` handlers; new
   handshakes are refused and REST requests held until the end;
3. deletes every schedule of the stack's Scheduler group, recreates the timer queue and its dead-letter queue
   (messages in flight and delayed ones go with them) and checks they are empty;
4. forgets the outbox's emails (moto's SES backend) and empties the provisioned buckets;
5. recreates the table from the provisioned definition (same keys, GSIs, stream, TTL);
6. puts the test clock back to the wall clock (``local/clock.py``), drops the app's in-process state (settings,
   the bootstrap container with its tenant cache, JWKS and secret caches; the boto3 clients of
   ``chalicelib.adapters.aws`` hold no data and stay) and seeds the demo again (``local.demo.reseed``), reusing the
   Cognito users: same logins, same agent ids;
7. resumes the pumps (the stream pump reads the new table's stream from its start).
It holds no business logic: only AWS APIs, moto's SES backend, and the demo seeding.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from local.embedded_aws import EmbeddedAws
from local.gateway import Gateway
from local.outbox import Outbox
from local.stream_pump import StreamPump
from local.timer_pump import TimerPump

log = logging.getLogger("local.reset")

ENABLED_BY = "GUICHET_LOCAL_RESET"
#: What a reset recreates empty, in this order (the dead-letter queue before the queue whose redrive names it).
_EMPTIED_TYPES = ("AWS::SQS::Queue", "AWS::DynamoDB::Table")
_QUEUE_COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed")


def enabled() -> bool:
    """Whether this process serves the reset route (``GUICHET_LOCAL_RESET=1``)."""
    return os.environ.get(ENABLED_BY) == "1"


class StackReset:
    """The reset of one running stack; the gateway calls it for ``POST /__local__/reset``."""

    def __init__(self, *, aws: EmbeddedAws, gateway: Gateway, pump: TimerPump, outbox: Outbox,
                 schedule_group: str | None, stream_pump: StreamPump | None = None) -> None:
        if aws.provisioned is None:
            raise RuntimeError("the embedded AWS is not provisioned")
        self._endpoint = aws.endpoint_url
        self._region = aws.region
        self._resources = [r for kind in _EMPTIED_TYPES for r in aws.provisioned.resources.values() if r.type == kind]
        self._buckets = [r.ref for r in aws.provisioned.resources.values() if r.type == "AWS::S3::Bucket"]
        self._gateway = gateway
        self._pump = pump
        self._stream_pump = stream_pump
        self._outbox = outbox
        self._group = schedule_group
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            config = Config(s3={"addressing_style": "path"}) if service == "s3" else None
            self._clients[service] = boto3.client(service, endpoint_url=self._endpoint, region_name=self._region,
                                                  config=config)
        return self._clients[service]

    async def __call__(self, overrides: dict[str, Any]) -> None:
        started = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, self._pump.pause)
        if self._stream_pump is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._stream_pump.pause)
        try:
            await self._gateway.quiesce(lambda: self._wipe_and_seed(overrides))
        finally:
            if self._stream_pump is not None:
                self._stream_pump.resume()
            self._pump.resume()
        log.info("reset to the demo settings %s in %.0f ms", json.dumps(overrides), (time.monotonic() - started) * 1e3)

    def _wipe_and_seed(self, overrides: dict[str, Any]) -> None:
        from chalicelib import bootstrap
        from chalicelib.settings import settings
        from local import clock, demo
        from local.provision import recreate

        demo.demo_settings(overrides)  # invalid settings fail here, before anything is wiped
        self._delete_schedules()
        for resource in self._resources:
            recreate(resource, self._endpoint, self._region, self._clients)
        self._check_queues_empty()
        self._pump.forget()
        if self._stream_pump is not None:
            self._stream_pump.forget()
        self._outbox.forget()
        self._empty_buckets()
        clock.reset()
        settings.cache_clear()
        bootstrap.reset()
        os.environ["GUICHET_DEMO_SETTINGS"] = json.dumps(overrides)
        demo.reseed(overrides)

    def _delete_schedules(self) -> None:
        if not self._group:
            return
        scheduler = self._client("scheduler")
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=self._group):
            for schedule in page.get("Schedules", []):
                if schedule.get("GroupName") != self._group:  # moto matches GroupName as a substring
                    continue
                try:
                    scheduler.delete_schedule(Name=schedule["Name"], GroupName=self._group)
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                        raise
        left = [s["Name"] for page in scheduler.get_paginator("list_schedules").paginate(GroupName=self._group)
                for s in page.get("Schedules", []) if s.get("GroupName") == self._group]
        if left:
            raise RuntimeError(f"schedules left in {self._group}: {left}")

    def _empty_buckets(self) -> None:
        s3 = self._client("s3")
        for bucket in self._buckets:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})

    def _check_queues_empty(self) -> None:
        sqs = self._client("sqs")
        for resource in self._resources:
            if resource.type != "AWS::SQS::Queue":
                continue
            counts = sqs.get_queue_attributes(QueueUrl=resource.ref, AttributeNames=list(_QUEUE_COUNTS))["Attributes"]
            if any(int(counts.get(name, 0)) for name in _QUEUE_COUNTS):
                raise RuntimeError(f"queue {resource.ref} is not empty after the reset: {counts}")
