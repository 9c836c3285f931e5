"""The stream pump: does locally what the DynamoDB stream's event source mapping does on AWS (issue 15).

moto records the table's stream (one shard, DescribeStream, GetShardIterator, GetRecords) but must never be given an
event source mapping: it would invoke the function with every buffered record labelled INSERT and then drop them
(research §2.3). So, every ``interval``, the pump reads each shard from where it stopped (TRIM_HORIZON the first
time, or LATEST when asked, then AFTER_SEQUENCE_NUMBER of the last record done) and calls the handler in process
with batches of ``batch_size`` records, as the mapping does with ReportBatchItemFailures:
- the handler answers: every record before the first one its ``batchItemFailures`` names is done; that one and
  those after it are delivered again on the next pass;
- the handler raises (or names a record the batch does not hold): the whole batch is delivered again;
- a record failing ``max_retries`` times more is given up, as the mapping sends it to its on-failure queue.
Like the mapping's ``FilterCriteria`` (infra/template.yaml), ``filters`` (Lambda's event-filtering patterns: an object
whose leaves are lists of allowed values) drop the records that match none: they count as done and are never handed
to the handler; a batch left empty invokes nothing. ``template_filters`` reads them from the template, so the local
stack filters exactly as AWS does.
moto's records differ from Lambda's at two edges, which the pump fixes (``normalised``): they have no
``eventSourceARN`` (Chalice's ``DynamoDBRecord`` reads it) and their ``ApproximateCreationDateTime`` is ISO text
(a datetime once boto3 parsed it) instead of epoch seconds.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import yaml

from local import events
from local.pumps import BackgroundPump
from local.timer_pump import batch_item_failures

log = logging.getLogger("local.stream_pump")

StreamHandler = Callable[[dict[str, Any], Any], Any]


@dataclass
class StreamPumpResult:
    """What one pass did; tests assert on it."""

    batches: int = 0
    delivered: int = 0  # records done (not to be delivered again)
    failed: int = 0  # deliveries of a record that is to be delivered again
    given_up: int = 0


class StreamPump(BackgroundPump):
    """Reads the table's stream and feeds it to the handler, batch by batch, in order."""

    name = "stream-pump"

    def __init__(self, handler: StreamHandler, *, table_name: str, region: str = "us-east-1",
                 endpoint_url: str | None = None, interval: float = 1.0, batch_size: int = 100,
                 start: str = "TRIM_HORIZON", max_retries: int = 5, function_name: str = "on_table_change",
                 filters: Sequence[Mapping[str, Any]] | None = None) -> None:
        if start not in ("TRIM_HORIZON", "LATEST"):
            raise ValueError("start must be TRIM_HORIZON or LATEST")
        self._handler = handler
        self._table = table_name
        self._region = region
        super().__init__(interval)
        self._batch_size = batch_size
        self._start = start
        self._max_retries = max_retries
        self._function = function_name
        self._filters = list(filters) if filters is not None else None
        self._dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
        self._streams = boto3.client("dynamodbstreams", region_name=region, endpoint_url=endpoint_url)
        self._stream_arn: str | None = None
        self._shard_ids: list[str] | None = None
        #: shard id -> where to read next: (AFTER_SEQUENCE_NUMBER, last record done) or (AT_SEQUENCE_NUMBER, the
        #: record that failed)
        self._positions: dict[str, tuple[str, str]] = {}
        self._iterators: dict[str, str] = {}  # shard id -> the iterator the last pass ended on, all read and done
        self._retries: dict[str, int] = {}  # sequence number -> failed deliveries
        if start == "LATEST":
            with self._lock:
                for shard_id in self._shards():
                    self._iterators[shard_id] = self._iterator(shard_id, "LATEST")

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def forget(self) -> None:
        """Forget the stream and the positions (the local reset recreated the table, hence a new stream)."""
        with self._lock:
            self._stream_arn = None
            self._shard_ids = None
            self._positions.clear()
            self._iterators.clear()
            self._retries.clear()

    # ---- passes ----------------------------------------------------------------------------------------------
    def drain(self, max_passes: int = 100) -> StreamPumpResult:
        """Pass after pass until the stream has nothing left to deliver (tests call this after acting)."""
        total = StreamPumpResult()
        for _ in range(max_passes):
            result = self.pump_once()
            total.batches += result.batches
            total.delivered += result.delivered
            total.failed += result.failed
            total.given_up += result.given_up
            if result.batches == 0:
                return total
        raise RuntimeError(f"the stream was not drained in {max_passes} passes")

    def pump_once(self) -> StreamPumpResult:
        """Deliver, shard by shard, every record after the last one done; a batch that fails ends the shard's pass
        (the next pass starts again from its first failed record)."""
        with self._lock:
            result = StreamPumpResult()
            if self._paused.is_set():
                return result
            for shard_id in self._shards():
                self._pump_shard(shard_id, result)
            return result

    def _pump_shard(self, shard_id: str, result: StreamPumpResult) -> None:
        iterator: str | None = self._position(shard_id)
        while iterator:
            page = self._streams.get_records(ShardIterator=iterator, Limit=self._batch_size)
            records = page.get("Records", [])
            if not records:
                if page.get("NextShardIterator"):  # keep the place: the next pass asks for no new iterator
                    self._iterators[shard_id] = str(page["NextShardIterator"])
                return
            result.batches += 1
            done = self._deliver(records)
            result.delivered += done
            if done:
                last = str(records[done - 1]["dynamodb"]["SequenceNumber"])
                self._positions[shard_id] = ("AFTER_SEQUENCE_NUMBER", last)
            if done < len(records):
                failed = str(records[done]["dynamodb"]["SequenceNumber"])
                self._retries[failed] = self._retries.get(failed, 0) + 1
                result.failed += 1
                self._positions[shard_id] = ("AT_SEQUENCE_NUMBER", failed)
                if self._retries[failed] > self._max_retries:
                    log.error("stream record %s failed %d times: given up (on AWS: the on-failure queue)",
                              failed, self._retries[failed])
                    self._positions[shard_id] = ("AFTER_SEQUENCE_NUMBER", failed)
                    result.given_up += 1
                return
            iterator = page.get("NextShardIterator")

    def _deliver(self, records: list[dict[str, Any]]) -> int:
        """Hand one batch to the handler (its records the filters keep); how many records, from the first, are done
        (a record filtered out is done once those before it are)."""
        kept = [r for r in records if self._filters is None or any(matches(f, r) for f in self._filters)]
        if not kept:
            return len(records)
        event = {"Records": [normalised(r, self._arn()) for r in kept]}
        ids = [str(r["dynamodb"]["SequenceNumber"]) for r in kept]
        try:
            answer = self._handler(event, events.lambda_context(self._function))
        except Exception:
            log.exception("%s failed for records %s..%s; the batch will be retried", self._function, ids[0], ids[-1])
            return 0
        failures = batch_item_failures(answer, ids)
        if failures is None:
            log.error("%s answered an invalid batchItemFailures %r; the batch will be retried", self._function, answer)
            return 0
        if not failures:
            return len(records)
        first = str(kept[min(ids.index(f) for f in failures)]["dynamodb"]["SequenceNumber"])  # Lambda resumes there
        return next(i for i, r in enumerate(records) if str(r["dynamodb"]["SequenceNumber"]) == first)

    # ---- the stream ------------------------------------------------------------------------------------------
    def _arn(self) -> str:
        if self._stream_arn is None:
            self._stream_arn = str(self._dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"])
        return self._stream_arn

    def _shards(self) -> list[str]:
        """The stream's shards, described once per stream (a table's stream keeps its shard here; `forget` drops it
        when the reset recreates the table)."""
        if self._shard_ids is None:
            description = self._streams.describe_stream(StreamArn=self._arn())["StreamDescription"]
            shard_ids = [str(shard["ShardId"]) for shard in description.get("Shards", [])]
            if not shard_ids:
                return []  # not kept: asked again next pass
            self._shard_ids = shard_ids
        return self._shard_ids

    def _position(self, shard_id: str) -> str | None:
        """Where the pass starts: the iterator the last pass ended on when it read everything, else after the last
        record done (or at the one that failed), else the shard's oldest record."""
        if shard_id in self._iterators:
            return self._iterators.pop(shard_id)
        if shard_id in self._positions:
            kind, sequence_number = self._positions[shard_id]
            return self._iterator(shard_id, kind, sequence_number)
        return self._iterator(shard_id, "TRIM_HORIZON")

    def _iterator(self, shard_id: str, kind: str, sequence_number: str | None = None) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self._arn(), "ShardId": shard_id, "ShardIteratorType": kind}
        if sequence_number is not None:
            kwargs["SequenceNumber"] = sequence_number
        return str(self._streams.get_shard_iterator(**kwargs)["ShardIterator"])


def normalised(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record of moto's GetRecords as Lambda hands it: with ``eventSourceARN`` and an epoch
    ``ApproximateCreationDateTime`` (Chalice's ``DynamoDBRecord`` reads both)."""
    out = copy.deepcopy(record)
    out["eventSourceARN"] = stream_arn
    stream = out["dynamodb"]
    stream["ApproximateCreationDateTime"] = epoch_seconds(stream.get("ApproximateCreationDateTime"))
    return out


def epoch_seconds(value: Any) -> float:
    """moto's creation time as epoch seconds: ISO text on the wire, which boto3 hands as a datetime (an epoch number,
    Lambda's own form, stays as it is)."""

    if isinstance(value, int | float):
        return float(value)
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Lambda's event filtering for what the template uses: every key of the pattern is in the event, a nested object
    matches recursively, and a list names the values allowed."""
    if not isinstance(event, Mapping):
        return False
    for key, wanted in pattern.items():
        if key not in event:
            return False
        if isinstance(wanted, Mapping):
            if not matches(wanted, event[key]):
                return False
        elif event[key] not in wanted:
            return False
    return True


def template_filters(template: Path, function: str) -> list[dict[str, Any]] | None:
    """The FilterCriteria patterns of `function`'s event source in the template (None when it filters nothing). The
    merge template gives only what Chalice cannot declare (not the event's Type): its one filtered event is the
    stream's."""
    resources = yaml.safe_load(template.read_text(encoding="utf-8")).get("Resources", {})
    events = (resources.get(function, {}).get("Properties", {}).get("Events") or {}).values()
    for event in events:
        criteria = (event.get("Properties") or {}).get("FilterCriteria")
        if criteria:
            return [json.loads(f["Pattern"]) for f in criteria.get("Filters", [])]
    return None
