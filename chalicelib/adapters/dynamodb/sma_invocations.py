"""The SIP media application's answers, one item per invocation (TransactionId, Sequence), so that a retried
invocation gets the first answer back (issue 13, CB-6 to CB-9; services/calls.py).

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.adapters.dynamodb.items import SmaInvocationItem
from chalicelib.adapters.dynamodb.keys import SMA_INVOCATION_TTL, _sma_invocation_sk, _sma_transaction_pk
from chalicelib.adapters.dynamodb.transactions import _failed_condition
from chalicelib.ports.telephony import InvocationKey


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DynamoSmaInvocations:
    """`SmaInvocations` on the table: a consistent GetItem, and a PutItem on the condition that the item is new."""

    def __init__(self, now: Callable[[], datetime] = _utc_now) -> None:
        self._now = now

    def remembered(self, key: InvocationKey) -> dict[str, Any] | None:
        transaction_id, sequence = key
        try:
            item = SmaInvocationItem.get(_sma_transaction_pk(transaction_id), _sma_invocation_sk(sequence),
                                         consistent_read=True)
        except DoesNotExist:
            return None
        return dict(item.response)

    def remember(self, key: InvocationKey, response: dict[str, Any]) -> dict[str, Any]:
        transaction_id, sequence = key
        item = SmaInvocationItem(_sma_transaction_pk(transaction_id), _sma_invocation_sk(sequence),
                                 response=response, expires_at=self._now() + SMA_INVOCATION_TTL)
        try:
            item.save(condition=SmaInvocationItem.pk.does_not_exist())
        except PutError as exc:
            if not _failed_condition(exc):
                raise
            return self.remembered(key) or response  # a concurrent delivery answered first: its answer stands
        return response
