"""The live board's watchers and push gate (the `BoardGate` port) in the one table.

Items, in the tenant's board partition ``T#<t>#BOARD``:

- ``W#<connection id>``: one per watching connection, with the table's TTL attribute ``expires_at`` (a
  connection's lifetime), so the watchers are one Query of one partition, never a scan;
- ``GATE``: ``watched`` (1 while someone may watch), ``rev`` (counted up by every watch) and ``next_at`` (epoch
  milliseconds before which no other push is armed).

`claim` is what every state change costs: one eventually consistent GetItem of the gate (half a read unit), and
when the board is watched and no push is due, one conditional UpdateItem ``SET next_at`` on the condition that
``next_at`` is absent or past. DynamoDB applies a conditional update atomically, so of racing changes exactly one
wins per period; a stale read only costs a refused write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb
from chalicelib.adapters.aws import error_code
from chalicelib.adapters.dynamodb import CONNECTION_TTL

GATE = "GATE"
WATCHER = "W#"


def board_pk(tenant: str) -> str:
    return f"T#{tenant}#BOARD"


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


class DynamoBoardGate:
    def _client(self) -> Any:
        return dynamodb.connection().client  # the table's botocore client, shared with every model

    def watch(self, tenant: str, connection_id: str, now: datetime) -> None:
        table = dynamodb._Meta.table_name
        self._client().put_item(TableName=table, Item={
            "pk": {"S": board_pk(tenant)}, "sk": {"S": f"{WATCHER}{connection_id}"},
            "expires_at": {"N": str(int((now + CONNECTION_TTL).timestamp()))}})
        self._client().update_item(
            TableName=table, Key={"pk": {"S": board_pk(tenant)}, "sk": {"S": GATE}},
            UpdateExpression="SET watched = :one ADD rev :one", ExpressionAttributeValues={":one": {"N": "1"}})

    def unwatch(self, tenant: str, connection_id: str) -> None:
        self._client().delete_item(TableName=dynamodb._Meta.table_name,
                                   Key={"pk": {"S": board_pk(tenant)}, "sk": {"S": f"{WATCHER}{connection_id}"}})

    def watchers(self, tenant: str) -> tuple[list[str], int]:
        table = dynamodb._Meta.table_name
        gate = self._client().get_item(TableName=table, Key={"pk": {"S": board_pk(tenant)}, "sk": {"S": GATE}},
                                       ConsistentRead=True).get("Item", {})
        revision = int(gate.get("rev", {}).get("N", "0"))
        found: list[str] = []
        request = {"TableName": table, "ConsistentRead": True,
                   "KeyConditionExpression": "pk = :pk AND begins_with(sk, :w)",
                   "ExpressionAttributeValues": {":pk": {"S": board_pk(tenant)}, ":w": {"S": WATCHER}}}
        while True:
            page = self._client().query(**request)
            found += [item["sk"]["S"][len(WATCHER):] for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found, revision
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def forget_if_unwatched(self, tenant: str, revision: int) -> None:
        try:
            self._client().update_item(
                TableName=dynamodb._Meta.table_name, Key={"pk": {"S": board_pk(tenant)}, "sk": {"S": GATE}},
                UpdateExpression="REMOVE watched", ConditionExpression="attribute_not_exists(rev) OR rev = :rev",
                ExpressionAttributeValues={":rev": {"N": str(revision)}})
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise  # else: someone watched meanwhile, the board stays watched

    def claim(self, tenant: str, now: datetime, next_at: datetime) -> bool:
        table = dynamodb._Meta.table_name
        key = {"pk": {"S": board_pk(tenant)}, "sk": {"S": GATE}}
        gate = self._client().get_item(TableName=table, Key=key).get("Item", {})
        if "watched" not in gate or int(gate.get("next_at", {}).get("N", "0")) > int(_ms(now)):
            return False  # nobody watches, or a push is armed already: the cheap answer of most changes
        try:
            self._client().update_item(
                TableName=table, Key=key, UpdateExpression="SET next_at = :next",
                ConditionExpression="attribute_exists(watched) AND (attribute_not_exists(next_at) OR next_at <= :now)",
                ExpressionAttributeValues={":next": {"N": _ms(next_at)}, ":now": {"N": _ms(now)}})
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
