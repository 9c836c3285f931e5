"""The callbacks' storage for the call flow on moto's DynamoDB server (issue 13): a change happens only while its
expectations hold, so a timer or an SMA invocation delivered twice changes once; a callback that closes frees its
number; a booking moves to a free time of another slot and never overfills it; the agenda lists a day's scheduled
callbacks in every state."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb import DynamoCallbacks
from chalicelib.adapters.dynamodb.callback_items import CallbackItem
from chalicelib.adapters.dynamodb.keys import STATE, _callback_pk
from chalicelib.domain.callbacks.model import (
    Callback,
    CallbackMode,
    CallbackState,
    CallPhase,
    DailyLimits,
    NumberHasCallback,
    SlotFull,
)
from chalicelib.domain.errors import Conflict

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LIMITS = DailyLimits(day=date(2026, 12, 7), per_visitor=50, per_number=50, seconds_to_next_day=57_600)
MORNING = "2026-12-07T09:00-10:00"
AFTERNOON = "2026-12-07T14:00-18:00"
NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MORNING_TIMES = [NINE + timedelta(minutes=10 * n) for n in range(6)]  # 6 in 9:00-10:00
AFTERNOON_TIMES = [datetime(2026, 12, 7, 14, 0, tzinfo=UTC) + timedelta(minutes=10 * n) for n in range(24)]


def _callback(tenant: str, n: int, *, slot: str = MORNING, mode: CallbackMode = CallbackMode.SCHEDULED) -> Callback:
    return Callback(tenant=tenant, id=f"cb-{n}", visitor_id=f"v-{n}", phone=f"+3361234{n:04d}", name=f"Visitor {n}",
                    mode=mode, created_at=NOW, slot=slot if mode is CallbackMode.SCHEDULED else "")


def _booked(store: DynamoCallbacks, tenant: str, n: int, slot: str = MORNING) -> Callback:
    return store.book(_callback(tenant, n, slot=slot), MORNING_TIMES if slot == MORNING else AFTERNOON_TIMES, LIMITS)


# --- change ---------------------------------------------------------------------------------------------------------


def test_a_change_sets_every_call_field_and_get_reads_them_all_back(tenant: str) -> None:
    store = DynamoCallbacks()
    store.open(_callback(tenant, 1, mode=CallbackMode.IMMEDIATE), LIMITS)
    at = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)
    changes = {"state": CallbackState.CALLING, "attempt": 2, "record": True, "no_record": True,
               "phase": CallPhase.RINGING_AGENT, "since": at, "next_at": at + timedelta(minutes=5),
               "first_attempt_at": at - timedelta(minutes=5), "outcome": "busy", "queue": "sales", "agent_id": "a-1",
               "agent_name": "Alice", "agent_call": "tx-a", "visitor_call": "tx-v", "room": "room-1",
               "recording_key": "recordings/cb-1.wav", "email": "zoe@example.org", "conversation_id": "c-9"}
    changed = store.change(tenant, "cb-1", changes, {"state": CallbackState.BOOKED, "attempt": 0})
    assert changed is not None and store.get(tenant, "cb-1") == changed
    assert {name: getattr(changed, name) for name in changes} == changes
    assert changed.call_conversation_id == "cb-1-2"
    # Back to the defaults: the attributes go, and the callback reads as before.
    defaults = {f.name: f.default for f in fields(Callback) if f.name in changes and f.name != "state"}
    reset = store.change(tenant, "cb-1", defaults, {"attempt": 2, "phase": "ringing_agent", "record": True})
    assert reset is not None and store.get(tenant, "cb-1") == reset
    item = CallbackItem.get(_callback_pk(tenant, "cb-1"), STATE, consistent_read=True)
    assert all(getattr(item, name) is None for name in defaults)


def test_a_change_happens_only_while_its_expectations_hold(tenant: str) -> None:
    store = DynamoCallbacks()
    store.open(_callback(tenant, 1, mode=CallbackMode.IMMEDIATE), LIMITS)
    # Defaults expected: an absent attribute meets them.
    ringing = store.change(tenant, "cb-1", {"phase": CallPhase.RINGING_AGENT, "agent_id": "a-1"},
                           {"phase": CallPhase.NONE, "agent_id": "", "attempt": 0, "record": False, "since": None})
    assert ringing is not None and ringing.phase is CallPhase.RINGING_AGENT
    assert store.change(tenant, "cb-1", {"phase": CallPhase.CONNECTED}, {"agent_id": "a-2"}) is None
    assert store.change(tenant, "cb-1", {"state": CallbackState.CONNECTED}, {"state": CallbackState.CALLING}) is None
    assert store.get(tenant, "cb-1") == ringing  # nothing changed
    assert store.change(tenant, "nobody", {"phase": CallPhase.CONNECTED}, {}) is None
    assert store.change(tenant, "nobody", {"state": CallbackState.ENDED}, {}) is None
    assert store.get(tenant, "nobody") is None  # a change never makes a callback
    with pytest.raises(ValueError):
        store.change(tenant, "cb-1", {"phone": "+33600000000"}, {})


def test_an_item_written_before_the_call_fields_existed_reads_with_their_defaults(tenant: str) -> None:
    CallbackItem(_callback_pk(tenant, "old"), STATE, visitor_id="v", phone="+33612340000", name="Zoé",
                 mode="immediate", state="booked", created_at=NOW).save()
    found = DynamoCallbacks().get(tenant, "old")
    assert found == Callback(tenant=tenant, id="old", visitor_id="v", phone="+33612340000", name="Zoé",
                             mode=CallbackMode.IMMEDIATE, created_at=NOW)
    changed = DynamoCallbacks().change(tenant, "old", {"state": CallbackState.CALLING, "attempt": 1},
                                       {"state": CallbackState.BOOKED, "attempt": 0, "phase": CallPhase.NONE})
    assert changed is not None and changed.attempt == 1


@pytest.mark.parametrize("state", [CallbackState.ENDED, CallbackState.NOT_REACHED, CallbackState.EXPIRED,
                                   CallbackState.CANCELLED])
def test_a_callback_that_closes_frees_its_number_and_its_time(tenant: str, state: CallbackState) -> None:
    store = DynamoCallbacks()
    booked = _booked(store, tenant, 1)
    with pytest.raises(NumberHasCallback):
        store.open(Callback(**{**booked.__dict__, "id": "again", "mode": CallbackMode.IMMEDIATE}), LIMITS)
    closed = store.change(tenant, booked.id, {"state": state, "outcome": "no_answer"}, {"state": CallbackState.BOOKED})
    assert closed is not None and closed.state is state and store.get(tenant, booked.id) == closed
    assert store.booked_times(tenant, MORNING_TIMES[0], MORNING_TIMES[-1]) == set()
    store.open(Callback(**{**booked.__dict__, "id": "again", "mode": CallbackMode.IMMEDIATE}), LIMITS)  # free again


def test_closing_a_callback_leaves_the_lock_of_another_callback_of_its_number(tenant: str) -> None:
    store = DynamoCallbacks()
    first = _booked(store, tenant, 1)
    store.cancel(tenant, first.id)
    second = store.book(Callback(**{**first.__dict__, "id": "second"}), MORNING_TIMES, LIMITS)
    assert second.at == MORNING_TIMES[0]  # the freed time again
    # A late change closes the first callback once more (its expectations hold): the second keeps its number.
    assert store.change(tenant, first.id, {"state": CallbackState.EXPIRED}, {"state": "cancelled"}) is not None
    with pytest.raises(NumberHasCallback):
        store.open(Callback(**{**first.__dict__, "id": "third", "mode": CallbackMode.IMMEDIATE}), LIMITS)
    assert store.booked_times(tenant, MORNING_TIMES[0], MORNING_TIMES[-1]) == {MORNING_TIMES[0]}


def _delivered_twice(store: DynamoCallbacks, tenant: str, callback_id: str, changes: dict[str, Any]) -> list[bool]:
    """The same change, with the same expectations (what the callback was), by two threads at once."""
    expect = {name: getattr(store.get(tenant, callback_id), name) for name in changes}
    start = threading.Barrier(2)

    def deliver(_: int) -> bool:
        start.wait()
        return store.change(tenant, callback_id, changes, expect) is not None

    with ThreadPoolExecutor(2) as pool:
        return sorted(pool.map(deliver, range(2)))


def test_a_double_delivery_changes_once(own_aws: str) -> None:
    tenant, store = own_aws, DynamoCallbacks()
    _booked(store, tenant, 1)
    store.open(_callback(tenant, 2, mode=CallbackMode.IMMEDIATE), LIMITS)
    assert _delivered_twice(store, tenant, "cb-1", {"state": CallbackState.CALLING, "attempt": 1}) == [False, True]
    assert _delivered_twice(store, tenant, "cb-2", {"phase": CallPhase.RINGING_AGENT}) == [False, True]  # UpdateItem
    assert _delivered_twice(store, tenant, "cb-1", {"state": CallbackState.ENDED}) == [False, True]  # frees the number


# --- agenda lines ---------------------------------------------------------------------------------------------------


def test_the_agenda_lists_the_days_scheduled_callbacks_in_every_state_earliest_first(tenant: str) -> None:
    store = DynamoCallbacks()
    late, early, other = _booked(store, tenant, 1, AFTERNOON), _booked(store, tenant, 2), _booked(store, tenant, 3)
    store.open(_callback(tenant, 4, mode=CallbackMode.IMMEDIATE), LIMITS)  # not on the agenda
    store.book(_callback(tenant, 5, slot="2026-12-08T09:00-10:00"), [NINE + timedelta(days=1)], LIMITS)  # next day
    store.cancel(tenant, other.id)
    store.change(tenant, early.id, {"state": CallbackState.CALLING, "attempt": 1, "queue": "sales",
                                    "agent_name": "Alice", "phase": CallPhase.RINGING_AGENT}, {"state": "booked"})
    day = store.agenda(tenant, datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC))
    assert [(c.id, c.at, c.state) for c in day] == [
        (early.id, NINE, CallbackState.CALLING), (other.id, MORNING_TIMES[1], CallbackState.CANCELLED),
        (late.id, AFTERNOON_TIMES[0], CallbackState.BOOKED)]
    first = day[0]
    assert (first.name, first.phone, first.attempt, first.queue, first.agent_name, first.slot) == (
        "Visitor 2", "+33612340002", 1, "sales", "Alice", MORNING)
    # A phase change alone leaves the line as it is; the state's next change shows.
    store.change(tenant, early.id, {"phase": CallPhase.CONNECTED}, {"phase": "ringing_agent"})
    store.change(tenant, early.id, {"state": CallbackState.NOT_REACHED}, {"state": "calling"})
    again = store.agenda(tenant, NINE, NINE + timedelta(minutes=1))
    assert [(c.id, c.state) for c in again] == [(early.id, CallbackState.NOT_REACHED)]


def test_a_freed_time_shows_its_cancelled_line_and_the_next_booking_both(tenant: str) -> None:
    store = DynamoCallbacks()
    first = _booked(store, tenant, 1)
    store.cancel(tenant, first.id)
    second = _booked(store, tenant, 2)
    day = store.agenda(tenant, NINE, NINE + timedelta(hours=1))
    assert {(c.id, c.at, c.state) for c in day} == {(first.id, NINE, CallbackState.CANCELLED),
                                                     (second.id, NINE, CallbackState.BOOKED)}


# --- move -----------------------------------------------------------------------------------------------------------


def test_a_booking_moves_to_the_earliest_free_time_of_another_slot_and_frees_its_old_time(tenant: str) -> None:
    store = DynamoCallbacks()
    _booked(store, tenant, 1, AFTERNOON)
    mine = _booked(store, tenant, 2)
    moved = store.move(mine, AFTERNOON, AFTERNOON_TIMES)
    assert (moved.at, moved.slot) == (AFTERNOON_TIMES[1], AFTERNOON) and store.get(tenant, mine.id) == moved
    assert store.booked_times(tenant, MORNING_TIMES[0], AFTERNOON_TIMES[-1]) == set(AFTERNOON_TIMES[:2])
    assert [(c.id, c.at) for c in store.agenda(tenant, NINE, NINE + timedelta(hours=12))] == [
        ("cb-1", AFTERNOON_TIMES[0]), (mine.id, AFTERNOON_TIMES[1])]
    with pytest.raises(Conflict):  # the caller's copy is stale: it is no longer at 9:00
        store.move(mine, MORNING, MORNING_TIMES)
    assert store.get(tenant, mine.id) == moved


def test_a_move_into_a_full_slot_answers_slot_full_and_keeps_the_old_time(tenant: str) -> None:
    store = DynamoCallbacks()
    for n in range(6):
        _booked(store, tenant, n)
    mine = _booked(store, tenant, 9, AFTERNOON)
    with pytest.raises(SlotFull) as full:
        store.move(mine, MORNING, MORNING_TIMES)
    assert (full.value.code, full.value.field) == ("slot_full", "when")
    assert store.get(tenant, mine.id) == mine
    assert store.booked_times(tenant, AFTERNOON_TIMES[0], AFTERNOON_TIMES[-1]) == {AFTERNOON_TIMES[0]}


def test_only_a_booked_callback_moves(tenant: str) -> None:
    store = DynamoCallbacks()
    mine = _booked(store, tenant, 1)
    calling = store.change(tenant, mine.id, {"state": CallbackState.CALLING, "attempt": 1}, {"state": "booked"})
    assert calling is not None
    with pytest.raises(Conflict):
        store.move(calling, AFTERNOON, AFTERNOON_TIMES)
    with pytest.raises(Conflict):  # a stale copy that still says booked: the condition on the state refuses it
        store.move(mine, AFTERNOON, AFTERNOON_TIMES)
    assert store.get(tenant, mine.id) == calling
    assert store.booked_times(tenant, AFTERNOON_TIMES[0], AFTERNOON_TIMES[-1]) == set()


def test_sixteen_moves_racing_for_the_last_three_times_overbook_nothing(own_aws: str) -> None:
    tenant, store = own_aws, DynamoCallbacks()
    for n in range(3):  # 3 of the 6 morning times are taken already
        _booked(store, tenant, n)
    movers = [_booked(store, tenant, 100 + n, AFTERNOON) for n in range(16)]
    start = threading.Barrier(16)

    def race(callback: Callback) -> str:
        start.wait()
        try:
            return store.move(callback, MORNING, MORNING_TIMES).id
        except SlotFull:
            return "slot_full"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(race, movers))
    winners = [o for o in outcomes if o != "slot_full"]
    assert len(winners) == 3 and outcomes.count("slot_full") == 13
    holders = [store.get(tenant, w).at for w in winners]  # type: ignore[union-attr]
    assert sorted(holders) == MORNING_TIMES[3:]  # type: ignore[type-var]
    assert store.booked_times(tenant, MORNING_TIMES[0], MORNING_TIMES[-1]) == set(MORNING_TIMES)  # 6: none over
    for loser in (m for m, o in zip(movers, outcomes, strict=True) if o == "slot_full"):
        assert store.get(tenant, loser.id) == loser  # kept its old time
    kept = {m.at for m, o in zip(movers, outcomes, strict=True) if o == "slot_full"}
    assert store.booked_times(tenant, AFTERNOON_TIMES[0], AFTERNOON_TIMES[-1]) == kept
    assert len(store.agenda(tenant, NINE, NINE + timedelta(hours=12))) == 3 + 16
