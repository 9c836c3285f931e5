"""Callback bookings on moto's DynamoDB server (issue 13, CB-2): a booking takes the earliest free call time of its
slot, a cancellation frees it, a number has one open callback, and racing bookings never overfill a slot."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb import DynamoCallbacks
from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState, NumberHasCallback, SlotFull

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SLOT = "2026-12-07T09:00/6"
TIMES = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC) + timedelta(minutes=10 * n) for n in range(6)]  # 6 in 9:00-10:00


def _callback(tenant: str, n: int, *, mode: CallbackMode = CallbackMode.SCHEDULED) -> Callback:
    return Callback(tenant=tenant, id=f"cb-{n}", visitor_id=f"v-{n}", phone=f"+3361234{n:04d}", name=f"Visitor {n}",
                    mode=mode, created_at=NOW, slot=SLOT if mode is CallbackMode.SCHEDULED else "")


def test_a_booking_takes_the_earliest_free_time_and_a_cancellation_frees_it(tenant: str) -> None:
    store = DynamoCallbacks()
    first, second = store.book(_callback(tenant, 1), TIMES), store.book(_callback(tenant, 2), TIMES)
    assert (first.at, second.at) == (TIMES[0], TIMES[1])
    assert store.booked_times(tenant, SLOT) == {TIMES[0], TIMES[1]}
    cancelled = store.cancel(tenant, first.id)
    assert cancelled is not None and cancelled.state is CallbackState.CANCELLED
    assert store.booked_times(tenant, SLOT) == {TIMES[1]}
    assert store.book(_callback(tenant, 3), TIMES).at == TIMES[0]  # the freed time is the earliest again
    assert store.get(tenant, first.id) == cancelled
    assert store.cancel(tenant, first.id) is None  # nothing left to cancel


def test_a_full_slot_answers_slot_full_and_stores_nothing(tenant: str) -> None:
    store = DynamoCallbacks()
    for n in range(6):
        store.book(_callback(tenant, n), TIMES)
    with pytest.raises(SlotFull) as full:
        store.book(_callback(tenant, 6), TIMES)
    assert (full.value.code, full.value.field) == ("slot_full", "slot")
    assert store.get(tenant, "cb-6") is None


def test_a_number_has_one_open_callback_until_it_is_cancelled(tenant: str) -> None:
    store = DynamoCallbacks()
    now = _callback(tenant, 1, mode=CallbackMode.IMMEDIATE)
    store.open(now)
    again = Callback(**{**now.__dict__, "id": "cb-again", "mode": CallbackMode.SCHEDULED, "slot": SLOT})
    with pytest.raises(NumberHasCallback) as refused:
        store.book(again, TIMES)
    assert refused.value.field == "phone"
    assert store.booked_times(tenant, SLOT) == set()  # the refused booking holds no time
    store.cancel(tenant, now.id)
    assert store.book(again, TIMES).at == TIMES[0]


def test_sixteen_threads_racing_for_the_last_three_times_overbook_nothing(own_aws: str) -> None:
    tenant = own_aws
    store = DynamoCallbacks()
    for n in range(3):  # 3 of the 6 times are taken already
        store.book(_callback(tenant, n), TIMES)
    start = threading.Barrier(16)

    def race(n: int) -> str:
        start.wait()
        try:
            return store.book(_callback(tenant, 100 + n), TIMES).id
        except SlotFull:
            return "slot_full"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(race, range(16)))
    winners = [o for o in outcomes if o != "slot_full"]
    holders = {store.get(tenant, w).at for w in winners}  # type: ignore[union-attr]
    overbooked = len(store.booked_times(tenant, SLOT)) - 6 + (len(winners) - len(holders))
    assert overbooked == 0
    assert len(winners) == 3 and outcomes.count("slot_full") == 13
    assert holders == set(TIMES[3:])
