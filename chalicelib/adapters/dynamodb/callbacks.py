"""Callbacks, their booked call times, their numbers' locks, the daily counts and the agenda (issue 13, CB-2, CB-11).

The tenant's booked call times share one partition, one item per time, so a time holds one callback and a slot never
more than its N whatever the concurrency. Booking is one Query (the slot's times) and one transaction: the time, the
callback, its agenda line, the number's lock and the two daily counts, each on its condition. A change of the call
flow is one conditional write, a transaction when the number's lock, the time or the agenda line follow it. The item
layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib.adapters.dynamodb.callback_items import (
    CALLBACK_TYPE,
    CHANGEABLE,
    LIVE_STATES,
    ON_AGENDA,
    STORED,
    AgendaLineItem,
    CallbackItem,
    CallTimeItem,
    DailyCountItem,
    LiveCallItem,
    NumberLockItem,
    agenda_line,
    at_of_stamp,
    callback_item,
    callback_of,
    callback_of_line,
    live_call,
    stored,
)
from chalicelib.adapters.dynamodb.keys import (
    CALL_TIME,
    DAILY,
    POINTER,
    STATE,
    _agenda_line_sk,
    _agenda_pk,
    _call_times_pk,
    _callback_pk,
    _daily_pk,
    _live_calls_pk,
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
    return at_of_stamp(sk.removeprefix(CALL_TIME))


def _holds(callback: Callback, expect: Mapping[str, Any]) -> bool:
    return all(stored(getattr(callback, name)) == stored(value) for name, value in expect.items())


def _condition(expect: Mapping[str, Any]) -> Any:
    """The item exists and each expected field holds its value; a default ("", None, 0, False) is also met by an
    absent attribute (items never store defaults, and older items lack the newer fields)."""
    condition = CallbackItem.pk.exists()
    for name, value in expect.items():
        attribute = getattr(CallbackItem, name)
        if stored(value) is not None:
            condition &= attribute == stored(value)
        elif value is None:
            condition &= attribute.does_not_exist()
        else:
            condition &= attribute.does_not_exist() | (attribute == getattr(value, "value", value))
    return condition


def _actions(changes: Mapping[str, Any]) -> list[Any]:
    """The update's actions: each change, and the item's type (which an item made before it existed lacks)."""
    actions = [CallbackItem.kind.set(CALLBACK_TYPE)]
    for name, value in changes.items():
        attribute, kept = getattr(CallbackItem, name), stored(value)
        actions.append(attribute.remove() if kept is None else attribute.set(kept))
    return actions


def _check_names(changes: Mapping[str, Any], expect: Mapping[str, Any]) -> None:
    """A name outside the model is a bug of the caller, not a business outcome."""
    if not changes or set(changes) - CHANGEABLE:
        raise ValueError(f"change() sets some of {sorted(CHANGEABLE)}, not {sorted(changes)}")
    if set(expect) - set(STORED):
        raise ValueError(f"change() expects fields of Callback, not {sorted(set(expect) - set(STORED))}")


class DynamoCallbacks:
    def get(self, tenant: str, callback_id: str) -> Callback | None:
        try:
            item = CallbackItem.get(_callback_pk(tenant, callback_id), STATE, consistent_read=True)
        except DoesNotExist:
            return None
        return callback_of(tenant, callback_id, item)

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
                        tx.named_save("line", agenda_line(booked))
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

    def cancel(self, tenant: str, callback_id: str, at: datetime | None = None) -> Callback | None:
        changes: dict[str, Any] = {"state": CallbackState.CANCELLED}
        if at is not None:
            changes["since"] = at
        for _ in range(_CONFLICT_RETRIES + 1):
            found = self.get(tenant, callback_id)
            if found is None or found.state not in OPEN_STATES:
                return None
            cancelled = self._write(found, changes, {"state": found.state})
            if cancelled is not None:
                return cancelled
        raise Conflict("the callback changed meanwhile; read it again", field="callback_id")

    def change(self, tenant: str, callback_id: str, changes: Mapping[str, Any],
               expect: Mapping[str, Any]) -> Callback | None:
        _check_names(changes, expect)
        if not set(changes) & ON_AGENDA:  # nothing else follows: one UpdateItem, no read
            return self._update(tenant, callback_id, changes, expect)
        for _ in range(_CONFLICT_RETRIES + 1):
            found = self.get(tenant, callback_id)
            if found is None or not _holds(found, expect):
                return None  # a second delivery stops here, at a read
            changed = self._write(found, changes, expect)
            if changed is not None:
                return changed
        raise Conflict("the callback met too many changes at once; retry", field="callback_id")

    def move(self, callback: Callback, slot: str, times: Sequence[datetime]) -> Callback:
        old = callback.at
        if old is None or callback.state is not CallbackState.BOOKED:
            raise Conflict("only a callback booked at a time moves", field="callback_id")
        times = [at for at in times if at != old]
        taken = self.booked_times(callback.tenant, times[0], times[-1]) if times else set()
        conflicts = 0
        for at in times:
            while at not in taken:
                moved = replace(callback, at=at, slot=slot)
                tx = _Tx()
                try:
                    with tx:
                        self._move(tx, callback, moved)
                except TransactWriteError as exc:
                    failed = tx.failed(exc)
                    if failed == "time":
                        taken.add(at)  # somebody took it meanwhile: the next time
                        continue
                    if failed in ("old_time", "callback"):
                        raise Conflict("the callback changed meanwhile; read it again", field="callback_id") from exc
                    conflicts += 1
                    if conflicts <= _CONFLICT_RETRIES:
                        continue
                    raise Conflict("the move met too many others at once; retry", field="when") from exc
                return moved
        raise SlotFull("every call time of this slot is booked", field="when")

    def live(self, tenant: str) -> list[Callback]:
        """One Query of the live call items, one BatchGet of their callbacks (at most a page each: 100)."""
        ids = [item.sk for item in LiveCallItem.query(_live_calls_pk(tenant), consistent_read=True, limit=100)]
        keys = [(_callback_pk(tenant, callback_id), STATE) for callback_id in ids]
        found = [callback_of(tenant, item.pk.rsplit("#", 1)[-1], item) for item in CallbackItem.batch_get(keys)]
        live = [callback for callback in found if callback.state in LIVE_STATES]
        return sorted(live, key=lambda c: (c.first_attempt_at or c.created_at, c.id))

    def agenda(self, tenant: str, start: datetime, end: datetime) -> list[Callback]:
        """From `start` (included) to `end` (excluded), earliest first: one Query, paginated by PynamoDB."""
        condition = AgendaLineItem.sk.between(_stamp(start), _stamp(end))
        return [callback_of_line(tenant, line) for line in AgendaLineItem.query(_agenda_pk(tenant), condition)]

    @staticmethod
    def _save(tx: _Tx, callback: Callback, limits: DailyLimits) -> None:
        tenant = callback.tenant
        tx.named_save("callback", callback_item(callback), condition=CallbackItem.pk.does_not_exist())
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

    @staticmethod
    def _update(tenant: str, callback_id: str, changes: Mapping[str, Any],
                expect: Mapping[str, Any]) -> Callback | None:
        """The call's own fields: one conditional UpdateItem, which answers the callback as it now is."""
        for _ in range(_CONFLICT_RETRIES + 1):
            item = CallbackItem(_callback_pk(tenant, callback_id), STATE)
            try:
                item.update(_actions(changes), condition=_condition(expect))
            except UpdateError as exc:
                if exc.cause_response_code == "TransactionConflictException":
                    continue  # the item is in another's transaction: the condition is checked again after it
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return None
                raise
            return callback_of(tenant, callback_id, item)
        raise Conflict("the callback met too many changes at once; retry", field="callback_id")

    @staticmethod
    def _write(found: Callback, changes: Mapping[str, Any], expect: Mapping[str, Any]) -> Callback | None:
        """`changes` on `found` (read just before), with what follows them: the agenda line of a scheduled callback,
        and for a callback that closes, its number's lock and its call time (each only if this callback holds it).
        None when the callback changed since it was read: the caller reads it again."""
        changed = replace(found, **changes)
        tenant, callback_id = found.tenant, found.id
        on_agenda = found.mode is CallbackMode.SCHEDULED and found.at is not None
        closing = "state" in changes and changed.state not in OPEN_STATES
        if on_agenda:  # the line copies these: written from a read that is still true
            expect = {**{name: getattr(found, name) for name in ON_AGENDA}, "at": found.at, **expect}
        let_go = {"number", "time"} if closing else set()
        starts_live = changed.state in LIVE_STATES and found.state not in LIVE_STATES
        ends_live = found.state in LIVE_STATES and changed.state not in LIVE_STATES
        if not let_go and not on_agenda and not starts_live and not ends_live:
            return DynamoCallbacks._update(tenant, callback_id, changes, expect)
        for _ in range(3):
            tx = _Tx()
            try:
                with tx:
                    tx.named_update("callback", CallbackItem(_callback_pk(tenant, callback_id), STATE),
                                    _actions(changes), condition=_condition(expect))
                    if on_agenda:
                        tx.named_save("line", agenda_line(changed))
                    if starts_live:
                        tx.named_save("live", live_call(changed))
                    if ends_live:
                        tx.named_delete("live", live_call(changed))
                    if "number" in let_go:
                        tx.named_delete("number", NumberLockItem(_number_pk(tenant, found.phone), POINTER),
                                        condition=(NumberLockItem.callback_id == callback_id)
                                        | NumberLockItem.pk.does_not_exist())
                    if "time" in let_go and found.at is not None and found.slot:
                        tx.named_delete("time", CallTimeItem(_call_times_pk(tenant), _time_sk(found.at)),
                                        condition=(CallTimeItem.callback_id == callback_id)
                                        | CallTimeItem.pk.does_not_exist())
            except TransactWriteError as exc:
                failed = tx.failed(exc)
                if failed in let_go:
                    let_go.discard(failed)  # another callback holds it now: not ours to free
                    continue
                return None
            return changed
        return None

    @staticmethod
    def _move(tx: _Tx, callback: Callback, moved: Callback) -> None:
        """Frees the old time (held by this callback), takes the new one (free), and moves the callback and its
        line, on the condition that it is still booked at its old time."""
        tenant, old, at = callback.tenant, callback.at, moved.at
        assert old is not None and at is not None
        tx.named_delete("old_time", CallTimeItem(_call_times_pk(tenant), _time_sk(old)),
                        condition=CallTimeItem.callback_id == callback.id)
        tx.named_delete("old_line", AgendaLineItem(_agenda_pk(tenant), _agenda_line_sk(old, callback.id)))
        tx.named_save("time", CallTimeItem(_call_times_pk(tenant), _time_sk(at), callback_id=callback.id,
                                           slot=moved.slot), condition=CallTimeItem.pk.does_not_exist())
        tx.named_save("line", agenda_line(moved))
        tx.named_update("callback", CallbackItem(_callback_pk(tenant, callback.id), STATE),
                        [CallbackItem.at.set(at), CallbackItem.slot.set(moved.slot),
                         CallbackItem.kind.set(CALLBACK_TYPE)],
                        condition=(CallbackItem.state == CallbackState.BOOKED.value) & (CallbackItem.at == old))
