"""Transactions whose operations carry names, so that a cancellation tells which condition failed.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.table import connection
from chalicelib.domain.errors import Conflict


def _failed_condition(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class _Tx(TransactWrite):
    """A transaction whose operations carry names, so that a cancellation tells which condition failed.

    PynamoDB sends condition checks, then deletes, then puts, then updates; the cancellation reasons follow that
    order, and so do the names."""

    def __init__(self) -> None:
        super().__init__(connection=connection())
        self._names: dict[str, list[str]] = {"delete": [], "put": [], "update": []}

    def named_delete(self, name: str, model: Model, condition: Any = None) -> None:
        self.delete(model, condition=condition)
        self._names["delete"].append(name)

    def named_save(self, name: str, model: Model, condition: Any = None) -> None:
        self.save(model, condition=condition)
        self._names["put"].append(name)

    def named_update(self, name: str, model: Model, actions: list[Any], condition: Any = None) -> None:
        self.update(model, actions=actions, condition=condition)
        self._names["update"].append(name)

    def size(self) -> int:
        return sum(len(names) for names in self._names.values())

    def commit(self) -> None:
        if self.size() > MAX_TRANSACTION_ITEMS:
            raise Conflict("this agent belongs to too many groups and skills to be routed atomically "
                           f"(more than {MAX_TRANSACTION_ITEMS} index changes); see docs/scaling.md")
        self._commit()

    def failed(self, exc: TransactWriteError) -> str:
        order = self._names["delete"] + self._names["put"] + self._names["update"]
        for index, reason in enumerate(exc.cancellation_reasons):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                return order[index] if index < len(order) else "conflict"
        return "transaction_conflict"


MAX_TRANSACTION_ITEMS = 100


def _reason(exc: TransactWriteError, names: Sequence[str]) -> str:
    """Which item of the transaction failed its condition, in the caller's words. PynamoDB sends a transaction's
    condition checks, then deletes, then puts, then updates, and the reasons follow that order."""
    for index, reason in enumerate(exc.cancellation_reasons):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return names[index] if index < len(names) else "conflict"
    return "transaction_conflict"
