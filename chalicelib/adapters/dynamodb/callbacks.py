"""Callbacks, their booked call times, their numbers' locks and the daily counts (issue 13, CB-2).

The tenant's booked call times share one partition, one item per time, so a time holds one callback and a slot never
more than its N whatever the concurrency. Booking is one Query (the slot's times) and one transaction: the time, the
callback, the number's lock and the two daily counts, each on its condition. The item layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.adapters.dynamodb.items import CallbackItem, CallTimeItem, DailyCountItem, NumberLockItem
from chalicelib.adapters.dynamodb.keys import (
    CALL_TIME,
    DAILY,
    POINTER,
    STATE,
    _call_times_pk,
    _callback_pk,
    _daily_pk,
    _number_pk,
    _stamp,
)
from chalicelib.adapters.dynamodb.transactions import _Tx
from chalicelib.domain.callbacks.model import (
    OPEN_STATES,
    Callback,
    CallbackMode,
    CallbackState,
    DailyLimits,
    NumberHasCallback,
    SlotFull,
)
from chalicelib.domain.errors import Conflict, RateLimited

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

    def booked_times(self, tenant: str, start: datetime, end: datetime) -> set[datetime]:
        condition = CallTimeItem.sk.between(_time_sk(start), _time_sk(end))
        return {_time_of(item.sk) for item in CallTimeItem.query(_call_times_pk(tenant), condition,
                                                                 consistent_read=True)}

    def open(self, callback: Callback, limits: DailyLimits) -> None:
        tx = _Tx()
        try:
            with tx:
                self._save(tx, callback, limits)
        except TransactWriteError as exc:
            self._refused(tx.failed(exc), limits, exc)
            raise

    def book(self, callback: Callback, times: Sequence[datetime], limits: DailyLimits) -> Callback:
        taken = self.booked_times(callback.tenant, times[0], times[-1]) if times else set()
        conflicts = 0
        for at in times:
            while at not in taken:
                booked = replace(callback, at=at, state=CallbackState.BOOKED)
                tx = _Tx()
                try:
                    with tx:
                        tx.named_save("time", CallTimeItem(_call_times_pk(callback.tenant), _time_sk(at),
                                                           callback_id=callback.id, slot=callback.slot),
                                      condition=CallTimeItem.pk.does_not_exist())
                        self._save(tx, booked, limits)
                except TransactWriteError as exc:
                    failed = tx.failed(exc)
                    if failed == "time":
                        taken.add(at)  # somebody took it meanwhile: the next time
                        continue
                    self._refused(failed, limits, exc)
                    conflicts += 1  # another transaction held one of the items: try again
                    if failed == "transaction_conflict" and conflicts <= _CONFLICT_RETRIES:
                        continue
                    raise Conflict("the booking met too many others at once; retry", field="when") from exc
                return booked
        raise SlotFull("every call time of this slot is booked", field="when")

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
                if found.at is not None and found.slot:
                    tx.named_delete("time", CallTimeItem(_call_times_pk(tenant), _time_sk(found.at)),
                                    condition=CallTimeItem.callback_id == callback_id)
        except TransactWriteError as exc:
            raise Conflict("the callback changed meanwhile; read it again", field="callback_id") from exc
        return replace(found, state=CallbackState.CANCELLED)

    @staticmethod
    def _save(tx: _Tx, callback: Callback, limits: DailyLimits) -> None:
        tenant = callback.tenant
        tx.named_save("callback", CallbackItem(
            _callback_pk(tenant, callback.id), STATE, visitor_id=callback.visitor_id, phone=callback.phone,
            name=callback.name, mode=callback.mode.value, state=callback.state.value, created_at=callback.created_at,
            at=callback.at, slot=callback.slot or None, email=callback.email or None,
            conversation_id=callback.conversation_id or None), condition=CallbackItem.pk.does_not_exist())
        tx.named_save("number", NumberLockItem(_number_pk(tenant, callback.phone), POINTER, callback_id=callback.id),
                      condition=NumberLockItem.pk.does_not_exist())
        expires = datetime.combine(limits.day, datetime.min.time(), UTC) + timedelta(days=2)
        for kind, key, limit in (("visitor", callback.visitor_id, limits.per_visitor),
                                 ("number", callback.phone, limits.per_number)):
            count = DailyCountItem(_daily_pk(tenant, limits.day.isoformat(), kind, key), DAILY)
            tx.named_update(f"{kind}_daily", count, [DailyCountItem.n.add(1), DailyCountItem.expires_at.set(expires)],
                            condition=DailyCountItem.n.does_not_exist() | (DailyCountItem.n < limit))

    @staticmethod
    def _refused(failed: str, limits: DailyLimits, exc: Exception) -> None:
        if failed == "number":
            raise NumberHasCallback() from exc
        if failed in ("visitor_daily", "number_daily"):
            raise RateLimited("too many callbacks asked today; try again tomorrow",
                              retry_after=limits.seconds_to_next_day,
                              field="phone" if failed == "number_daily" else "visitor") from exc

    # Issue 13, in progress: the storage helper implements these three (ports/callbacks.py says what they do).
    def change(self, tenant: str, callback_id: str, changes: Mapping[str, Any],
               expect: Mapping[str, Any]) -> Callback | None:
        raise NotImplementedError

    def move(self, callback: Callback, slot: str, times: Sequence[datetime]) -> Callback:
        raise NotImplementedError

    def agenda(self, tenant: str, start: datetime, end: datetime) -> list[Callback]:
        raise NotImplementedError
