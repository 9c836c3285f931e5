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

from local.stream_pump import epoch_seconds, normalised

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
