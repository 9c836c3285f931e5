"""Callback bookings on moto's DynamoDB server (issue 13, CB-2): a booking takes the earliest free call time of its
slot, a cancellation frees it, a number has one open callback, daily limits hold, and racing bookings never overfill
a slot."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb import DynamoCallbacks
from chalicelib.domain.callbacks.model import (
    Callback,
    CallbackMode,
    CallbackState,
    DailyLimits,
    NumberHasCallback,
    SlotFull,
)
from chalicelib.domain.errors import RateLimited

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SLOT = "2026-12-07T09:00-10:00"
LIMITS = DailyLimits(day=date(2026, 12, 7), per_visitor=50, per_number=50, seconds_to_next_day=57_600)
TIMES = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC) + timedelta(minutes=10 * n) for n in range(6)]  # 6 in 9:00-10:00


def _callback(tenant: str, n: int, *, mode: CallbackMode = CallbackMode.SCHEDULED) -> Callback:
    return Callback(tenant=tenant, id=f"cb-{n}", visitor_id=f"v-{n}", phone=f"+3361234{n:04d}", name=f"Visitor {n}",
                    mode=mode, created_at=NOW, slot=SLOT if mode is CallbackMode.SCHEDULED else "")


def test_a_booking_takes_the_earliest_free_time_and_a_cancellation_frees_it(tenant: str) -> None:
    store = DynamoCallbacks()
    first, second = store.book(_callback(tenant, 1), TIMES, LIMITS), store.book(_callback(tenant, 2), TIMES, LIMITS)
    assert (first.at, second.at) == (TIMES[0], TIMES[1])
    assert store.booked_times(tenant, TIMES[0], TIMES[-1]) == {TIMES[0], TIMES[1]}
    cancelled = store.cancel(tenant, first.id)
    assert cancelled is not None and cancelled.state is CallbackState.CANCELLED
    assert store.booked_times(tenant, TIMES[0], TIMES[-1]) == {TIMES[1]}
    assert store.book(_callback(tenant, 3), TIMES, LIMITS).at == TIMES[0]  # the freed time is the earliest again
    assert store.get(tenant, first.id) == cancelled
    assert store.cancel(tenant, first.id) is None  # nothing left to cancel


def test_a_full_slot_answers_slot_full_and_stores_nothing(tenant: str) -> None:
    store = DynamoCallbacks()
    for n in range(6):
        store.book(_callback(tenant, n), TIMES, LIMITS)
    with pytest.raises(SlotFull) as full:
        store.book(_callback(tenant, 6), TIMES, LIMITS)
    assert (full.value.code, full.value.field) == ("slot_full", "when")
    assert store.get(tenant, "cb-6") is None


def test_a_number_has_one_open_callback_until_it_is_cancelled(tenant: str) -> None:
    store = DynamoCallbacks()
    now = _callback(tenant, 1, mode=CallbackMode.IMMEDIATE)
    store.open(now, LIMITS)
    again = Callback(**{**now.__dict__, "id": "cb-again", "mode": CallbackMode.SCHEDULED, "slot": SLOT})
    with pytest.raises(NumberHasCallback) as refused:
        store.book(again, TIMES, LIMITS)
    assert refused.value.field == "phone"
    assert store.booked_times(tenant, TIMES[0], TIMES[-1]) == set()  # the refused booking holds no time
    store.cancel(tenant, now.id)
    assert store.book(again, TIMES, LIMITS).at == TIMES[0]


def test_sixteen_threads_racing_for_the_last_three_times_overbook_nothing(own_aws: str) -> None:
    tenant = own_aws
    store = DynamoCallbacks()
    for n in range(3):  # 3 of the 6 times are taken already
        store.book(_callback(tenant, n), TIMES, LIMITS)
    start = threading.Barrier(16)

    def race(n: int) -> str:
        start.wait()
        try:
            return store.book(_callback(tenant, 100 + n), TIMES, LIMITS).id
        except SlotFull:
            return "slot_full"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(race, range(16)))
    winners = [o for o in outcomes if o != "slot_full"]
    holders = {store.get(tenant, w).at for w in winners}  # type: ignore[union-attr]
    overbooked = len(store.booked_times(tenant, TIMES[0], TIMES[-1])) - 6 + (len(winners) - len(holders))
    assert overbooked == 0
    assert len(winners) == 3 and outcomes.count("slot_full") == 13
    assert holders == set(TIMES[3:])


def test_daily_limits_per_visitor_and_per_number_refuse_and_store_nothing(tenant: str) -> None:
    store = DynamoCallbacks()
    limits = DailyLimits(day=date(2026, 12, 7), per_visitor=2, per_number=3, seconds_to_next_day=57_600)
    one = _callback(tenant, 1)
    for n in range(2):  # the same visitor asks twice (each cancelled, so its number is free again)
        store.book(Callback(**{**one.__dict__, "id": f"cb-v{n}"}), TIMES, limits)
        store.cancel(tenant, f"cb-v{n}")
    with pytest.raises(RateLimited) as refused:
        store.book(Callback(**{**one.__dict__, "id": "cb-v2"}), TIMES, limits)
    assert (refused.value.field, refused.value.retry_after) == ("visitor", 57_600)
    assert store.get(tenant, "cb-v2") is None and store.booked_times(tenant, TIMES[0], TIMES[-1]) == set()
    # Other visitors asking for the same number: its third is the last of the day.
    store.book(Callback(**{**one.__dict__, "id": "cb-o1", "visitor_id": "other-1"}), TIMES, limits)
    store.cancel(tenant, "cb-o1")
    with pytest.raises(RateLimited) as refused:
        store.book(Callback(**{**one.__dict__, "id": "cb-o2", "visitor_id": "other-2"}), TIMES, limits)
    assert refused.value.field == "phone"
    tomorrow = DailyLimits(day=date(2026, 12, 8), per_visitor=2, per_number=3, seconds_to_next_day=86_400)
    assert store.book(Callback(**{**one.__dict__, "id": "cb-t"}), TIMES, tomorrow).at == TIMES[0]
