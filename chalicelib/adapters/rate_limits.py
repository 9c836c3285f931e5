"""The per-visitor counters (the `RateLimits` port) in the one table.

Item: ``T#<t>#LIMIT#<kind>#<key>`` / ``W#<window start, epoch seconds>``, with ``n`` (how many were counted) and
the table's TTL attribute ``expires_at`` (an hour after the window ends), so old windows go away by themselves.

One UpdateItem per request: ``ADD n 1`` on the condition that ``n`` is below the limit. DynamoDB applies a
conditional update atomically, so racing requests (a visitor's tabs, or a script) never count more than the limit;
a refused request changes nothing (its failed condition still costs a write unit).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb
from chalicelib.adapters.aws import error_code
from chalicelib.domain.rate_limits import HOUR, Window

KEEP_AFTER_WINDOW = HOUR


def limit_pk(tenant: str, kind: str, key: str) -> str:
    return f"T#{tenant}#LIMIT#{kind}#{key}"


class DynamoRateLimits:
    def take(self, tenant: str, kind: str, key: str, limit: int, window: Window) -> bool:
        try:
            # The table's botocore client and name, shared with every model (dynamodb.configure sets both).
            dynamodb.connection().client.update_item(
                TableName=dynamodb._Meta.table_name,
                Key={"pk": {"S": limit_pk(tenant, kind, key)}, "sk": {"S": f"W#{window.start}"}},
                UpdateExpression="ADD n :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(limit)},
                                           ":expires": {"N": str(window.end + KEEP_AFTER_WINDOW)}},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
