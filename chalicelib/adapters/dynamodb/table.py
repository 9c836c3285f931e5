"""The table's base item, its index, and the one botocore client every model and transaction shares.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.adapters.aws import POOL_CONNECTIONS


class _Meta:
    table_name = os.environ.get("TABLE_NAME", "guichet")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    host = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL") or None
    max_retry_attempts = 3
    max_pool_connections = POOL_CONNECTIONS


class _Item(Model):
    """What every item of the table has: the tenant-prefixed partition key and the sort key."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """PynamoDB builds one botocore client per model class (and several at once when threads race to the first
        request); building one costs ~100 ms of CPU. Every model of this table shares the one client instead."""
        fresh = cls._connection is None or cls._connection.table_name != cls.Meta.table_name
        table = super()._get_connection()
        if fresh:
            table.connection._client = connection().client
        return table


class Gsi1(GlobalSecondaryIndex["Gsi1Entry"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi1"
        projection = IncludeProjection(["connections"])

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi1Entry(_Item):
    """What the index returns: the base item's keys, and a waiting conversation's connections."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    connections = UnicodeSetAttribute(null=True)
    gsi1 = Gsi1()


class Utf8JSONAttribute(JSONAttribute):
    """JSON kept as UTF-8 text. PynamoDB's escapes every character outside ASCII (an emoji takes 12 bytes instead of
    4), which took a tenant's settings and routing, each within the 128 KB of a request body, over DynamoDB's 400 KB
    item. Items written the escaped way read the same."""

    def serialize(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)


_shared: list[Connection] = []
_shared_lock = threading.Lock()


def forget_connection() -> None:
    """The next `connection()` builds a new client (`configure` keeps it while the endpoint stays the same)."""
    with _shared_lock:
        _shared.clear()


def connection() -> Connection:
    """The connection transactions use, and whose botocore client every model shares; made once, since a botocore
    client costs ~100 ms to build."""
    if not _shared:
        with _shared_lock:
            if not _shared:
                made = Connection(region=_Meta.region, host=_Meta.host, max_retry_attempts=_Meta.max_retry_attempts,
                                  max_pool_connections=_Meta.max_pool_connections)
                made.client  # noqa: B018 - built here, under the lock, once
                _shared.append(made)
    return _shared[0]
