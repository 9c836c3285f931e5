"""The local stream pump's edge fixes (local/stream_pump.py): moto's records made into what Lambda delivers, which
Chalice's `DynamoDBRecord` (what `app.on_table_change` iterates) must read."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from chalice.app import DynamoDBEvent

from local.stream_pump import StreamPump, epoch_seconds, matches, normalised, template_filters

SAMPLE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "aws-events" /
                     "dynamodb-stream-event.json").read_text())
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/guichet-local/stream/2026-12-06T10:00:00.000"
MOMENT = datetime(2026, 12, 6, 10, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [
    ("2026-12-06T10:00:00.500000", MOMENT.timestamp()),  # moto's wire text, naive: UTC
    ("2026-12-06T10:00:00.500000Z", MOMENT.timestamp()),
    (MOMENT.astimezone(timezone(timedelta(hours=1))), MOMENT.timestamp()),  # boto3's parsed datetime
    (1693997155.0, 1693997155.0),  # Lambda's own form
    (1693997155, 1693997155.0),
])
def test_creation_times_become_epoch_seconds(value: Any, seconds: float) -> None:
    assert epoch_seconds(value) == seconds


def moto_record() -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(SAMPLE["Records"][1])
    del record["eventSourceARN"]  # moto has none
    record["dynamodb"]["ApproximateCreationDateTime"] = MOMENT
    return record


def test_a_moto_record_is_not_readable_by_chalice_until_normalised() -> None:
    with pytest.raises((KeyError, TypeError)):
        list(DynamoDBEvent({"Records": [moto_record()]}, None))
    (record,) = list(DynamoDBEvent({"Records": [normalised(moto_record(), ARN)]}, None))
    assert (record.sequence_number, record.event_source_arn, record.table_name) == ("222", ARN, "guichet-local")
    assert record.timestamp == MOMENT.replace(tzinfo=None)  # Chalice's naive UTC
    assert record.new_image == SAMPLE["Records"][1]["dynamodb"]["NewImage"]


TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


def typed(sequence_number: str, item_type: str | None) -> dict[str, Any]:
    """A moto stream record of an item of type `item_type` (None: a REMOVE, with no new image)."""
    record = moto_record()
    record["dynamodb"]["SequenceNumber"] = sequence_number
    if item_type is None:
        del record["dynamodb"]["NewImage"]
    else:
        record["dynamodb"]["NewImage"]["t"] = {"S": item_type}
    return record


def test_the_local_stack_filters_with_the_templates_own_patterns() -> None:
    from chalicelib.adapters.dynamodb.stream_records import CONSUMED_TYPES

    patterns = template_filters(TEMPLATE, "OnTableChange")
    assert patterns == [{"dynamodb": {"NewImage": {"t": {"S": list(CONSUMED_TYPES)}}}}]
    assert template_filters(TEMPLATE, "OnTimer") is None
    (pattern,) = patterns
    assert matches(pattern, typed("1", "c")) and matches(pattern, typed("2", "cb"))
    assert not matches(pattern, typed("3", "f")) and not matches(pattern, typed("4", None))
    assert not matches({"a": {"b": ["x"]}}, {"a": "not an object"})


def pump_with(handler: Any) -> StreamPump:
    pump = StreamPump(handler, table_name="guichet-local", endpoint_url="http://127.0.0.1:9",
                      filters=[{"dynamodb": {"NewImage": {"t": {"S": ["c"]}}}}])
    pump._stream_arn = ARN  # no stream to describe: the batch is handed straight to _deliver
    return pump


def test_records_no_pattern_keeps_are_done_without_reaching_the_handler() -> None:
    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        batches.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        return {"batchItemFailures": []}

    pump = pump_with(handler)
    assert pump._deliver([typed("1", "f"), typed("2", "c"), typed("3", None), typed("4", "c")]) == 4
    assert pump._deliver([typed("5", "f"), typed("6", None)]) == 2  # nothing kept: no invocation
    assert batches == [["2", "4"]]


def test_a_failed_record_after_filtered_ones_is_where_the_shard_resumes() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "4"}]}

    # 1 is done; 2 (filtered) and 3 (kept, done) too; the failed 4 is delivered again with what follows it
    assert pump_with(handler)._deliver([typed("1", "c"), typed("2", "f"), typed("3", "c"), typed("4", "c"),
                                        typed("5", "f")]) == 3
