"""Logs and metrics through Powertools for AWS Lambda (docs/operations.md).

Logs: the records of the `guichet` logger (and its children) become JSON lines on stdout, each with the keys of the
invocation that `bind` sets (`tenant`, `conversation_id`, `correlation_id`). The level is `LOG_LEVEL` (INFO).
Metrics: `EmfMetrics` counts in memory and `flush` prints one CloudWatch EMF document per invocation (namespace
`Guichet`, dimensions `service` and `stage`) on stdout, which Lambda sends to CloudWatch Logs and the local stack
shows with its log. Powertools is imported on first use, so importing `app` stays cheap (bench/import_bench.py).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections import Counter
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

NAMESPACE = "Guichet"
SERVICE = "guichet"

_lock = threading.Lock()
_logger: Logger | None = None


def logger() -> Logger:
    """The Powertools Logger of the `guichet` logging.Logger, built once (the records of
    `logging.getLogger("guichet")` and of its children go through its JSON formatter)."""
    global _logger
    if _logger is None:
        with _lock:
            if _logger is None:
                from aws_lambda_powertools import Logger

                _logger = Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO").upper(),
                                 stream=cast("IO[str]", _Stdout()))
                # Chalice gave this logger its own text handler (at ERROR unless debug): JSON lines only.
                named = logging.getLogger(SERVICE)
                for handler in [h for h in named.handlers if h is not _logger.registered_handler]:
                    named.removeHandler(handler)
    return _logger


class _Stdout:
    """Whatever `sys.stdout` is when a line is written (so a test that captures stdout sees the log lines)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def bind(*, tenant: str | None = None, conversation_id: str | None = None, correlation_id: str | None = None) -> None:
    """The keys every log line of this invocation (this thread, locally) carries; the previous ones are dropped."""
    keys = {"tenant": tenant, "conversation_id": conversation_id, "correlation_id": correlation_id}
    log = logger()
    log.thread_safe_clear_keys()
    log.thread_safe_append_keys(**{name: value for name, value in keys.items() if value})


def keys_of(event: dict[str, Any]) -> dict[str, str | None]:
    """The log keys of a Lambda event: REST (path parameters, request id), WebSocket (the authorizer's tenant, the
    frame's conversation_id, request id), the `$connect` authorizer, SNS (message id). An SQS batch has none: each of
    its records binds its own (`record_keys`)."""
    context = event.get("requestContext") or {}
    path = event.get("pathParameters") or {}
    tenant = path.get("tenant") or (context.get("authorizer") or {}).get("tenant")
    if tenant is None and event.get("type") == "REQUEST":  # the authorizer: the tenant the token claims
        tenant = (event.get("queryStringParameters") or {}).get("tenant")
    conversation_id = path.get("conversation_id") or _conversation_of(event.get("body"))
    correlation_id = context.get("requestId")
    records = event.get("Records") or []
    if correlation_id is None and len(records) == 1 and "Sns" in records[0]:
        correlation_id = records[0]["Sns"].get("MessageId")
    return {"tenant": _text(tenant), "conversation_id": _text(conversation_id), "correlation_id": _text(correlation_id)}


def record_keys(message_id: str, body: str) -> dict[str, str | None]:
    """The log keys of one timer record: its message id, and the tenant and conversation its body names."""
    timer = _json_object(body)
    return {"tenant": _text(timer.get("tenant")), "conversation_id": _text(timer.get("conversation_id")),
            "correlation_id": message_id}


def _conversation_of(body: object) -> object:
    """A WebSocket frame's conversation_id (the boundary checks the frame later; this only reads it for the log)."""
    if not isinstance(body, str) or '"conversation_id"' not in body or len(body) > 32 * 1024:
        return None
    return _json_object(body).get("conversation_id")


def _json_object(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


def _text(value: object) -> str | None:
    return value[:128] if isinstance(value, str) and value else None


class EmfMetrics:
    """The `Metrics` port: counts kept in memory, printed as one EMF document by `flush` (once per invocation).

    Locally several requests run at once in threads: a flush prints whatever the container counted so far, so the
    totals stay right, whichever invocation prints them."""

    def __init__(self, stage: str) -> None:
        self._stage = stage
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        from aws_lambda_powertools.metrics import MetricUnit
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

        emf = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=SERVICE)
        emf.add_dimension(name="stage", value=self._stage)
        for name, value in sorted(counts.items()):
            emf.add_metric(name=name, unit=MetricUnit.Count, value=value)
        emf.flush_metrics()
