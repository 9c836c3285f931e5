"""Capacity units computed from DynamoDB requests and item images, by the documented sizing rules.

moto answers every ``ReturnConsumedCapacity`` with a made-up 1.0, so the bench cannot read capacity from the
responses; it applies the rules of "DynamoDB read/write capacity unit sizing rules, AWS Developer Guide" to the
items each request read or wrote (bench/README.md lists them). Items are in the low-level wire form
(``{"name": {"S": "..."}}``), as botocore sends and parses them. Everything here is pure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
LIST_OR_MAP_OVERHEAD = 3
ELEMENT_OVERHEAD = 1

Item = Mapping[str, Mapping[str, Any]]


# --- sizes ----------------------------------------------------------------------------------------------------------


def number_size(value: str) -> int:
    """A number takes about one byte per two significant digits, plus one (leading/trailing zeroes trimmed)."""
    digits = str(Decimal(value).normalize()).lstrip("-").replace(".", "")
    if "E" in digits:
        digits = digits.split("E", 1)[0]
    significant = digits.strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1


def _binary_size(value: Any) -> int:
    return len(value) if isinstance(value, (bytes, bytearray)) else len(str(value).encode("utf-8"))


def value_size(value: Mapping[str, Any]) -> int:
    """Size of one attribute value (without its name)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return _binary_size(inner)
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(number_size(n) for n in inner)
    if kind == "BS":
        return sum(_binary_size(b) for b in inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return LIST_OR_MAP_OVERHEAD + sum(ELEMENT_OVERHEAD + value_size(v) for v in inner)
    if kind == "M":
        return LIST_OR_MAP_OVERHEAD + sum(
            ELEMENT_OVERHEAD + len(k.encode("utf-8")) + value_size(v) for k, v in inner.items()
        )
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: Item | None) -> int:
    """Sum over attributes of the UTF-8 length of the name plus the size of the value."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


# --- units ----------------------------------------------------------------------------------------------------------


def write_units(size: int, *, transactional: bool = False) -> float:
    """One WCU per started 1 KB, at least 1; a transactional write costs twice."""
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return float(units * (2 if transactional else 1))


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """One RCU per started 4 KB when strongly consistent (at least 1), half when eventually, twice in a transaction."""
    units = float(max(1, math.ceil(size / READ_UNIT_BYTES)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


# --- table shape ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None = None
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)


@dataclass(frozen=True)
class Table:
    name: str
    hash_key: str
    range_key: str | None = None
    indexes: tuple[Index, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    def key_of(self, item: Item) -> dict[str, Any]:
        return {k: dict(item[k]) for k in self.keys if k in item}

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> Table:
        """From ``DescribeTable``'s ``Table``."""

        def keys(schema: Sequence[Mapping[str, str]]) -> tuple[str, str | None]:
            by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
            return by_type["HASH"], by_type.get("RANGE")

        indexes = []
        for gsi in [*description.get("GlobalSecondaryIndexes", []), *description.get("LocalSecondaryIndexes", [])]:
            hash_key, range_key = keys(gsi["KeySchema"])
            projection = gsi.get("Projection", {})
            indexes.append(Index(gsi["IndexName"], hash_key, range_key, projection.get("ProjectionType", "ALL"),
                                 tuple(projection.get("NonKeyAttributes", ()))))
        hash_key, range_key = keys(description["KeySchema"])
        return cls(description["TableName"], hash_key, range_key, tuple(indexes))


def projected(item: Item, table: Table, index: Index) -> dict[str, Any]:
    """The index entry of an item: the index's and the table's keys, plus the projected attributes."""
    if index.projection == "ALL":
        return dict(item)
    wanted = {*index.keys, *table.keys, *(index.non_key_attributes if index.projection == "INCLUDE" else ())}
    return {k: v for k, v in item.items() if k in wanted}


def index_write_sizes(before: Item | None, after: Item | None, table: Table, index: Index) -> list[int]:
    """Sizes of the writes one base-table write causes in an index.

    Entry appears: one put. Entry disappears: one delete (sized by the old entry). Index key changes: delete and put.
    Same key, projected attributes changed: one put. Otherwise nothing.
    """
    old = projected(before, table, index) if before and all(k in before for k in index.keys) else None
    new = projected(after, table, index) if after and all(k in after for k in index.keys) else None
    if old is None and new is None:
        return []
    if old is None:
        return [item_size(new)]
    if new is None:
        return [item_size(old)]
    if any(old[k] != new[k] for k in index.keys):
        return [item_size(old), item_size(new)]
    if old != new:
        return [max(item_size(old), item_size(new))]
    return []


# --- per request ----------------------------------------------------------------------------------------------------


@dataclass
class WrittenItem:
    """One item a write request touched: its images before and after (None when absent)."""

    table: str
    before: Item | None
    after: Item | None
    transactional: bool = False
    succeeded: bool = True


@dataclass
class Units:
    rcu: float = 0.0
    wcu: float = 0.0
    detail: list[str] = field(default_factory=list)

    def __iadd__(self, other: Units) -> Units:
        self.rcu += other.rcu
        self.wcu += other.wcu
        self.detail += other.detail
        return self


def write_cost(written: WrittenItem, table: Table) -> Units:
    """Base-table write sized by the larger image, plus the index writes it causes (none when it failed)."""
    size = max(item_size(written.before), item_size(written.after))
    units = Units(wcu=write_units(size, transactional=written.transactional),
                  detail=[f"write {size} B -> {write_units(size, transactional=written.transactional):g} WCU"])
    if written.succeeded:
        for index in table.indexes:
            for index_size in index_write_sizes(written.before, written.after, table, index):
                cost = write_units(index_size, transactional=written.transactional)
                units.wcu += cost
                units.detail.append(f"{index.name} write {index_size} B -> {cost:g} WCU")
    return units


def read_cost(operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> Units:
    """Read units of GetItem, Query, Scan, BatchGetItem and TransactGetItems, from the items they returned."""
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        size = item_size(response.get("Item"))
        return Units(rcu=read_units(size, consistent=consistent), detail=[f"get {size} B"])
    if operation in ("Query", "Scan"):
        size = sum(item_size(i) for i in response.get("Items", []))
        count = len(response.get("Items", []))
        detail = f"{operation.lower()} {count} items {size} B"
        return Units(rcu=read_units(size, consistent=consistent), detail=[detail])
    if operation == "BatchGetItem":
        units = Units()
        for table, items in response.get("Responses", {}).items():
            strong = bool(params.get("RequestItems", {}).get(table, {}).get("ConsistentRead"))
            for item in items:
                units.rcu += read_units(item_size(item), consistent=strong)
                units.detail.append(f"batch get {item_size(item)} B")
        return units
    if operation == "TransactGetItems":
        units = Units()
        for entry in response.get("Responses", []):
            size = item_size(entry.get("Item"))
            units.rcu += read_units(size, consistent=True, transactional=True)
            units.detail.append(f"transact get {size} B")
        return units
    return Units()


READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


def written_keys(
    operation: str, params: Mapping[str, Any], tables: Mapping[str, Table]
) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of each item a write request names, in request order."""
    found: list[tuple[str, dict[str, Any]]] = []

    def add(table_name: str, body: Mapping[str, Any]) -> None:
        table = tables[table_name]
        key = body.get("Key") or table.key_of(body.get("Item", {}))
        found.append((table_name, dict(key)))

    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        add(params["TableName"], params)
    elif operation == "BatchWriteItem":
        for table_name, requests in params.get("RequestItems", {}).items():
            for request in requests:
                body = request.get("PutRequest") or request.get("DeleteRequest") or {}
                add(table_name, body)
    elif operation == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            ((_, body),) = entry.items()
            add(body["TableName"], body)
    return found


def total(costs: Iterable[Units]) -> Units:
    result = Units()
    for cost in costs:
        result += cost
    return result
