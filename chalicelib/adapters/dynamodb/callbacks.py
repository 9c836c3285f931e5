"""Callbacks, their booked call times and their numbers' locks (issue 13, CB-2).

A slot's partition holds one item per booked call time, so a time holds one callback and a slot never more than its
N, whatever the concurrency: booking is one Query of the slot and one transaction (the time, the callback, the
number's lock), each Put on the condition that nobody holds it yet. The item layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.adapters.dynamodb.items import CallbackItem, CallTimeItem, NumberLockItem
from chalicelib.adapters.dynamodb.keys import CALL_TIME, POINTER, STATE, _callback_pk, _number_pk, _slot_pk, _stamp
from chalicelib.adapters.dynamodb.transactions import _Tx
from chalicelib.domain.callbacks.model import (
    OPEN_STATES,
    Callback,
    CallbackMode,
    CallbackState,
    NumberHasCallback,
    SlotFull,
)
from chalicelib.domain.errors import Conflict

#: Transactions that lose to a concurrent one on the same items are tried again this many times, then refused.
_CONFLICT_RETRIES = 5


def _time_sk(at: datetime) -> str:
    return f"{CALL_TIME}{_stamp(at)}"


def _time_of(sk: str) -> datetime:
    return datetime.strptime(sk.removeprefix(CALL_TIME), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class DynamoCallbacks:
    def get(self, tenant: str, callback_id: str) -> Callback | None:
        try:
            item = CallbackItem.get(_callback_pk(tenant, callback_id), STATE, consistent_read=True)
        except DoesNotExist:
            return None
        return Callback(tenant=tenant, id=callback_id, visitor_id=item.visitor_id, phone=item.phone, name=item.name,
                        mode=CallbackMode(item.mode), created_at=item.created_at, state=CallbackState(item.state),
                        at=item.at, slot=item.slot or "", email=item.email or "",
                        conversation_id=item.conversation_id or "")

    def booked_times(self, tenant: str, slot: str) -> set[datetime]:
        return {_time_of(item.sk) for item in CallTimeItem.query(
            _slot_pk(tenant, slot), CallTimeItem.sk.startswith(CALL_TIME), consistent_read=True)}

    def open(self, callback: Callback) -> None:
        tx = _Tx()
        try:
            with tx:
                self._save(tx, callback)
        except TransactWriteError as exc:
            if tx.failed(exc) == "number":
                raise NumberHasCallback() from exc
            raise

    def book(self, callback: Callback, times: Sequence[datetime]) -> Callback:
        taken = self.booked_times(callback.tenant, callback.slot)
        conflicts = 0
        for at in times:
            while at not in taken:
                booked = replace(callback, at=at, state=CallbackState.BOOKED)
                tx = _Tx()
                try:
                    with tx:
                        tx.named_save("time", CallTimeItem(_slot_pk(callback.tenant, callback.slot), _time_sk(at),
                                                           callback_id=callback.id),
                                      condition=CallTimeItem.pk.does_not_exist())
                        self._save(tx, booked)
                except TransactWriteError as exc:
                    failed = tx.failed(exc)
                    if failed == "time":
                        taken.add(at)  # somebody took it meanwhile: the next time
                        continue
                    if failed == "number":
                        raise NumberHasCallback() from exc
                    conflicts += 1  # another transaction held one of the items: try again
                    if failed == "transaction_conflict" and conflicts <= _CONFLICT_RETRIES:
                        continue
                    raise Conflict("the booking met too many others at once; retry", field="slot") from exc
                return booked
        raise SlotFull("every call time of this slot is booked", field="slot")

    def cancel(self, tenant: str, callback_id: str) -> Callback | None:
        found = self.get(tenant, callback_id)
        if found is None or found.state not in OPEN_STATES:
            return None
        tx = _Tx()
        try:
            with tx:
                tx.named_update("callback", CallbackItem(_callback_pk(tenant, callback_id), STATE),
                                [CallbackItem.state.set(CallbackState.CANCELLED.value)],
                                condition=CallbackItem.state == found.state.value)
                tx.named_delete("number", NumberLockItem(_number_pk(tenant, found.phone), POINTER),
                                condition=NumberLockItem.callback_id == callback_id)
                if found.slot and found.at is not None:
                    tx.named_delete("time", CallTimeItem(_slot_pk(tenant, found.slot), _time_sk(found.at)),
                                    condition=CallTimeItem.callback_id == callback_id)
        except TransactWriteError as exc:
            raise Conflict("the callback changed meanwhile; read it again", field="callback_id") from exc
        return replace(found, state=CallbackState.CANCELLED)

    @staticmethod
    def _save(tx: _Tx, callback: Callback) -> None:
        tenant = callback.tenant
        tx.named_save("callback", CallbackItem(
            _callback_pk(tenant, callback.id), STATE, visitor_id=callback.visitor_id, phone=callback.phone,
            name=callback.name, mode=callback.mode.value, state=callback.state.value, created_at=callback.created_at,
            at=callback.at, slot=callback.slot or None, email=callback.email or None,
            conversation_id=callback.conversation_id or None), condition=CallbackItem.pk.does_not_exist())
        tx.named_save("number", NumberLockItem(_number_pk(tenant, callback.phone), POINTER, callback_id=callback.id),
                      condition=NumberLockItem.pk.does_not_exist())
