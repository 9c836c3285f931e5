"""bench/capacity.py applies DynamoDB's capacity sizing rules to items in the low-level wire form."""

from __future__ import annotations

from typing import Any

import pytest

from bench import capacity
from bench.capacity import Index, Table, WrittenItem

TABLE = Table("t", "pk", "sk", (Index("gsi1", "gsi1pk", "gsi1sk", "KEYS_ONLY"),))


def item_of(size: int, **extra: Any) -> dict[str, Any]:
    """An item of exactly ``size`` bytes: name 'pk' (2 B) + 'sk' (2 B) + 'v' (1 B) + values."""
    base = {"pk": {"S": "p"}, "sk": {"S": "s"}, **extra}
    rest = size - capacity.item_size(base) - 1
    assert rest >= 0
    return {**base, "v": {"S": "x" * rest}}


@pytest.mark.parametrize(("value", "size"), [
    ({"S": "abc"}, 3),
    ({"S": "é"}, 2),  # UTF-8 bytes, not characters
    ({"S": ""}, 0),
    ({"N": "123"}, 3),  # 3 significant digits -> 2 bytes, + 1
    ({"N": "1000"}, 2),  # trailing zeroes trimmed
    ({"N": "-0.05"}, 2),
    ({"N": "1234567890"}, 6),
    ({"B": b"\x00\x01\x02"}, 3),
    ({"SS": ["ab", "c"]}, 3),
    ({"NS": ["1", "22"]}, 4),
    ({"BOOL": True}, 1),
    ({"NULL": True}, 1),
    ({"L": []}, 3),
    ({"M": {}}, 3),
    ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (1 + 2) + (1 + 2)),
    ({"M": {"a": {"S": "bc"}}}, 3 + 1 + 1 + 2),
])
def test_a_value_is_sized_by_its_type(value: dict[str, Any], size: int) -> None:
    assert capacity.value_size(value) == size


def test_an_item_counts_its_attribute_names() -> None:
    assert capacity.item_size({"name": {"S": "Ann"}, "n": {"N": "7"}}) == 4 + 3 + 1 + 2
    assert capacity.item_size(None) == 0


@pytest.mark.parametrize(("size", "transactional", "wcu"), [
    (10, False, 1),
    (1000, False, 1),
    (1024, False, 1),
    (1025, False, 2),
    (3000, False, 3),
    (100, True, 2),  # a transactional write counts double
    (1025, True, 4),
])
def test_write_units(size: int, transactional: bool, wcu: float) -> None:
    written = WrittenItem("t", None, item_of(size), transactional=transactional)
    assert capacity.item_size(written.after) == size
    assert capacity.write_cost(written, TABLE).wcu == wcu


@pytest.mark.parametrize(("size", "consistent", "rcu"), [
    (4096, True, 1),
    (4198, True, 2),  # 4.1 KB
    (4096, False, 0.5),  # eventually consistent halves
    (4198, False, 1),
    (0, True, 1),  # a get that finds nothing still costs the minimum
    (0, False, 0.5),
])
def test_get_item_units(size: int, consistent: bool, rcu: float) -> None:
    response = {"Item": item_of(size)} if size else {}
    assert capacity.read_cost("GetItem", {"ConsistentRead": consistent}, response).rcu == rcu


@pytest.mark.parametrize(("sizes", "consistent", "rcu"), [
    ([1000, 1000, 1000], True, 1),  # a query is sized by the total, not item by item
    ([3000, 2000], True, 2),
    ([3000, 2000], False, 1),
    ([], True, 1),
    ([], False, 0.5),
])
def test_query_units(sizes: list[int], consistent: bool, rcu: float) -> None:
    response = {"Items": [item_of(s) for s in sizes]}
    assert capacity.read_cost("Query", {"ConsistentRead": consistent}, response).rcu == rcu


def test_batch_get_rounds_each_item_and_transact_get_doubles() -> None:
    batch = capacity.read_cost("BatchGetItem", {"RequestItems": {"t": {"ConsistentRead": True}}},
                               {"Responses": {"t": [item_of(100), item_of(100)]}})
    assert batch.rcu == 2
    eventual = capacity.read_cost("BatchGetItem", {"RequestItems": {"t": {}}}, {"Responses": {"t": [item_of(100)]}})
    assert eventual.rcu == 0.5
    transact = capacity.read_cost("TransactGetItems", {}, {"Responses": [{"Item": item_of(100)}]})
    assert transact.rcu == 2


def test_an_update_is_sized_by_the_larger_image() -> None:
    grows = WrittenItem("t", item_of(900), item_of(1100))
    shrinks = WrittenItem("t", item_of(1100), item_of(900))
    assert capacity.write_cost(grows, TABLE).wcu == 2
    assert capacity.write_cost(shrinks, TABLE).wcu == 2


def test_a_failed_conditional_write_costs_the_existing_item_and_touches_no_index() -> None:
    existing = item_of(2000, gsi1pk={"S": "a"}, gsi1sk={"S": "1"})
    assert capacity.write_cost(WrittenItem("t", existing, existing, succeeded=False), TABLE).wcu == 2
    assert capacity.write_cost(WrittenItem("t", None, None, succeeded=False), TABLE).wcu == 1


KEYED = {"gsi1pk": {"S": "a"}, "gsi1sk": {"S": "1"}}
REKEYED = {"gsi1pk": {"S": "b"}, "gsi1sk": {"S": "1"}}


@pytest.mark.parametrize(("before", "after", "index_writes"), [
    (item_of(100), item_of(100), 0),  # never in the index
    (item_of(100), item_of(100, **KEYED), 1),  # enters the index
    (item_of(100, **KEYED), item_of(100), 1),  # leaves it
    (None, item_of(100, **KEYED), 1),  # a new item with index keys
    (item_of(100, **KEYED), None, 1),  # deleted
    (item_of(100, **KEYED), item_of(100, **REKEYED), 2),  # key change: delete + put
    (item_of(100, **KEYED), item_of(200, **KEYED), 0),  # keys-only index, only a non-key attribute changed
])
def test_index_writes(before: dict[str, Any] | None, after: dict[str, Any] | None, index_writes: int) -> None:
    assert capacity.write_cost(WrittenItem("t", before, after), TABLE).wcu == 1 + index_writes
    transactional = capacity.write_cost(WrittenItem("t", before, after, transactional=True), TABLE)
    assert transactional.wcu == 2 * (1 + index_writes)


def test_an_all_projection_index_rewrites_on_any_change() -> None:
    table = Table("t", "pk", "sk", (Index("all", "gsi1pk", "gsi1sk", "ALL"),))
    assert capacity.write_cost(WrittenItem("t", item_of(100, **KEYED), item_of(200, **KEYED)), table).wcu == 2


def test_written_keys_of_each_write_operation() -> None:
    tables = {"t": TABLE}
    key = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    assert capacity.written_keys("PutItem", {"TableName": "t", "Item": item_of(50)}, tables) == [("t", key)]
    assert capacity.written_keys("UpdateItem", {"TableName": "t", "Key": key}, tables) == [("t", key)]
    transact = {"TransactItems": [{"Put": {"TableName": "t", "Item": item_of(50)}},
                                  {"Update": {"TableName": "t", "Key": key}},
                                  {"ConditionCheck": {"TableName": "t", "Key": key}}]}
    assert capacity.written_keys("TransactWriteItems", transact, tables) == [("t", key)] * 3
    batch = {"RequestItems": {"t": [{"PutRequest": {"Item": item_of(50)}}, {"DeleteRequest": {"Key": key}}]}}
    assert capacity.written_keys("BatchWriteItem", batch, tables) == [("t", key)] * 2


def test_table_from_describe_table() -> None:
    described = {
        "TableName": "guichet",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": "gsi1",
            "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                          {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
    }
    assert Table.from_description(described) == Table("guichet", "pk", "sk", TABLE.indexes)
