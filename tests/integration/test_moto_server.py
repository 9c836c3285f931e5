"""local/moto_server.py speeds moto up without changing what a request answers or stores.

Each test drives the embedded server through boto3 as the app does and checks the DynamoDB or SQS behaviour the
speed-up touches: a cancelled transaction leaves every item (and the stream) as it was, a Query reads one
partition in key order with paging, an index Query and a Scan see every matching item, delayed messages stay
hidden until due.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.moto_server import EmbeddedMoto

from .conftest import FAKE_CREDENTIALS


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = EmbeddedMoto().start()
    try:
        yield server.url
    finally:
        server.stop()


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


@pytest.fixture
def table(endpoint: str) -> tuple[Any, str]:
    ddb = _client("dynamodb", endpoint)
    name = f"t{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "gs")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "gs", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return ddb, name


def _everything(ddb: Any, name: str) -> list[dict[str, Any]]:
    return sorted(ddb.scan(TableName=name, ConsistentRead=True)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _stream_records(endpoint: str, ddb: Any, name: str) -> int:
    streams = _client("dynamodbstreams", endpoint)
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def test_a_cancelled_transaction_leaves_every_item_and_the_stream_as_they_were(
        endpoint: str, table: tuple[Any, str]) -> None:
    ddb, name = table
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "n": {"N": "5"}})
    before, records_before = _everything(ddb, name), _stream_records(endpoint, ddb, name)

    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": name, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": name, "Item": {"pk": {"S": "new"}, "sk": {"S": "1"}}}},
            {"Delete": {"TableName": name, "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
            {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "c"}, "sk": {"S": "1"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])

    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _everything(ddb, name) == before  # the update, the put and the delete were all undone
    assert _stream_records(endpoint, ddb, name) == records_before


def test_a_transaction_naming_one_item_twice_changes_nothing(table: tuple[Any, str]) -> None:
    ddb, name = table
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": "old"}})
    before = _everything(ddb, name)
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": "first"}}}},
            {"Put": {"TableName": name, "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": "second"}}}},
        ])
    assert _everything(ddb, name) == before


def test_a_transaction_that_passes_applies_every_operation(table: tuple[Any, str]) -> None:
    ddb, name = table
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": name, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                    "UpdateExpression": "SET n = n + :one", "ConditionExpression": "n < :two",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}}}},
        {"Put": {"TableName": name, "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}},
         },
    ])
    assert [(i["pk"]["S"], i.get("n")) for i in _everything(ddb, name)] == [("a", {"N": "2"}), ("b", None)]


def test_a_query_reads_its_partition_in_key_order_and_pages(table: tuple[Any, str]) -> None:
    ddb, name = table
    for pk in ("x", "y"):
        for sk in ("03", "01", "02", "10"):
            ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "sk": {"S": sk}})
    page = ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "y"}},
                     Limit=3)
    rest = ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "y"}},
                     ExclusiveStartKey=page["LastEvaluatedKey"])
    backwards = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk > :s", ScanIndexForward=False,
                          ExpressionAttributeValues={":p": {"S": "x"}, ":s": {"S": "01"}})
    missing = ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "z"}})

    assert [i["sk"]["S"] for i in page["Items"]] == ["01", "02", "03"]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in rest["Items"]] == [("y", "10")]
    assert [i["sk"]["S"] for i in backwards["Items"]] == ["10", "03", "02"]
    assert missing["Items"] == []


def test_an_index_query_and_a_scan_see_every_matching_item_in_order(table: tuple[Any, str]) -> None:
    ddb, name = table
    for n in (5, 3, 9, 1):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{n}"}, "sk": {"S": "s"}, "g": {"S": "queue"},
                                           "gs": {"S": f"{n:03d}"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "p0"}, "sk": {"S": "s"}})  # not in the index
    indexed = ddb.query(TableName=name, IndexName="gsi", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "queue"}})
    first = ddb.scan(TableName=name, Limit=2)
    second = ddb.scan(TableName=name, ExclusiveStartKey=first["LastEvaluatedKey"])

    assert [i["gs"]["S"] for i in indexed["Items"]] == ["001", "003", "005", "009"]
    scanned = [i["pk"]["S"] for i in first["Items"] + second["Items"]]
    assert sorted(scanned) == ["p0", "p1", "p3", "p5", "p9"] and len(set(scanned)) == 5


def test_delayed_messages_stay_hidden_until_due_and_are_counted(endpoint: str) -> None:
    sqs = _client("sqs", endpoint)
    url = sqs.create_queue(QueueName=f"q{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=1)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert counts["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "2"
    time.sleep(1.2)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert [m["Body"] for m in got] == ["soon"]


def test_item_answers_dumped_directly_equal_moto_serializer_answers(table: tuple[Any, str]) -> None:
    """Every item operation answers the same whether moto's serializer or the direct dump writes it."""
    from moto.dynamodb.responses import DynamoHandler

    from local import moto_server

    ddb, name = table
    item = {"pk": {"S": "p"}, "sk": {"S": "1"}, "b": {"B": b"\x00\xffbinary"}, "n": {"N": "12.5"},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"x", b"y"]},
            "m": {"M": {"l": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}}, "g": {"S": "G"}, "gs": {"S": "1"}}
    ddb.put_item(TableName=name, Item=item)
    ddb.put_item(TableName=name, Item={**item, "sk": {"S": "2"}, "gs": {"S": "2"}})
    key = {"pk": {"S": "p"}, "sk": {"S": "1"}}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_item", {"Key": key, "ReturnConsumedCapacity": "TOTAL"}),
        ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}, "Limit": 1}),
        ("query", {"IndexName": "gsi", "KeyConditionExpression": "g = :g",
                   "ExpressionAttributeValues": {":g": {"S": "G"}}}),
        ("scan", {"ReturnConsumedCapacity": "INDEXES"}),
        ("update_item", {"Key": key, "UpdateExpression": "SET n = n + :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "ALL_NEW"}),
        ("put_item", {"Item": {**item, "sk": {"S": "3"}}, "ReturnValues": "ALL_OLD"}),
        ("delete_item", {"Key": {"pk": {"S": "p"}, "sk": {"S": "3"}}, "ReturnValues": "ALL_OLD"}),
    ]

    def answers() -> list[dict[str, Any]]:
        out = []
        for method, params in calls:
            answer = getattr(ddb, method)(TableName=name, **params)
            answer.pop("ResponseMetadata")
            out.append(answer)
        batch = ddb.batch_get_item(RequestItems={name: {"Keys": [key]}})
        batch.pop("ResponseMetadata")
        out.append(batch)
        got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": key}}])
        got.pop("ResponseMetadata")
        out.append(got)
        return out

    assert DynamoHandler.serialized is moto_server._data_plane_serialized
    fast = answers()
    DynamoHandler.serialized = moto_server._original_serialized  # type: ignore[method-assign]
    try:
        ddb.delete_item(TableName=name, Key=key)
        ddb.put_item(TableName=name, Item=item)  # the same starting point for the update
        slow = answers()
    finally:
        DynamoHandler.serialized = moto_server._data_plane_serialized  # type: ignore[method-assign]
    assert fast == slow
    assert fast[0]["Item"]["b"] == {"B": b"\x00\xffbinary"} and fast[0]["Item"]["bs"] == {"BS": [b"x", b"y"]}


def test_stream_records_dumped_directly_equal_moto_serializer_records(endpoint: str, table: tuple[Any, str]) -> None:
    """GetRecords answers the same records (keys, images with binary values, times) through either serializer."""
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    from local import moto_server

    ddb, name = table
    item = {"pk": {"S": "p"}, "sk": {"S": "1"}, "b": {"B": b"\x00\xff"}, "n": {"N": "1"}, "g": {"S": "G"},
            "gs": {"S": "1"}}
    ddb.put_item(TableName=name, Item=item)
    ddb.update_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "1"}}, UpdateExpression="SET n = :two",
                    ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "1"}})
    streams = _client("dynamodbstreams", endpoint)
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def records() -> list[dict[str, Any]]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return list(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])

    assert DynamoDBStreamsHandler.serialized is moto_server._streams_serialized
    fast = records()
    DynamoDBStreamsHandler.serialized = moto_server._original_streams_serialized  # type: ignore[method-assign]
    try:
        slow = records()
    finally:
        DynamoDBStreamsHandler.serialized = moto_server._streams_serialized  # type: ignore[method-assign]
    assert [r["eventName"] for r in fast] == ["INSERT", "MODIFY", "REMOVE"]
    assert fast == slow
    assert fast[0]["dynamodb"]["NewImage"]["b"] == {"B": b"\x00\xff"}
