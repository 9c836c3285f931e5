"""Callback facts (issue 15): every write of a callback's item, before and after, turned into the facts the reports
count (docs/reports.md, "Callbacks"), and the stream record of a callback's item read as that change.

The callback below is asked at 22:00 UTC on 6 December: 23:00 in Paris, the tenant's clock. Every transition the
services make is a row: the facts' keys (kind, callback, cycle), their day on the tenant's clock, and their metrics.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.dynamodb.callback_items import CALLBACK_TYPE, callback_item
from chalicelib.adapters.dynamodb.keys import STATE, _callback_pk, _number_pk
from chalicelib.adapters.dynamodb.stream_records import CONSUMED_TYPES, change_of
from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState, CallPhase
from chalicelib.domain.report_callback_facts import CallbackChange, callback_facts, slot_range
from chalicelib.domain.report_facts import Fact, Measure
from chalicelib.services import report_stream
from tests.unit.fakes import make_deps
from tests.unit.fakes_reports import FakeReports

PARIS = ZoneInfo("Europe/Paris")
CREATED = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # 23:00 in Paris, on the 6th
MIN = timedelta(minutes=1)

ASKED = Callback(tenant="acme", id="cb1", visitor_id="v1", phone="+33612345678", name="Ada",
                 mode=CallbackMode.IMMEDIATE, created_at=CREATED)
CALLING = replace(ASKED, state=CallbackState.CALLING, attempt=1, phase=CallPhase.WAITING_AGENT, since=CREATED,
                  first_attempt_at=CREATED, queue="default")
DIALLING = replace(CALLING, phase=CallPhase.CALLING_VISITOR, agent_id="ann", agent_name="Ann", since=CREATED + MIN)
CONNECTED = replace(DIALLING, state=CallbackState.CONNECTED, phase=CallPhase.CONNECTED, since=CREATED + 2 * MIN,
                    connected_at=CREATED + 2 * MIN, outcome="connected")
RECORDING = replace(CONNECTED, recording_key="recordings/acme/cb1/a.wav")
ENDED = replace(CONNECTED, state=CallbackState.ENDED, phase=CallPhase.NONE, since=CREATED + 9 * MIN,
                outcome="visitor_hung_up")
ENDED_RECORDED = replace(ENDED, recording_key="recordings/acme/cb1/a.wav")
SLOT = "2026-12-07T09:00-10:00"
BOOKED = replace(ASKED, mode=CallbackMode.SCHEDULED, slot=SLOT, at=datetime(2026, 12, 7, 8, 0, tzinfo=UTC))

Key = tuple[str, str, int]


def keyed(facts: list[Fact]) -> list[tuple[Key, date, tuple[Measure, ...]]]:
    return [((f.kind, f.subject_id, f.cycle), f.day, f.measures) for f in facts]


def ended(state: CallbackState, at: datetime, before: Callback = CALLING, **more: Any) -> Callback:
    return replace(before, state=state, phase=CallPhase.NONE, since=at, **more)


DAY, NEXT = date(2026, 12, 6), date(2026, 12, 7)

TRANSITIONS: list[tuple[str, Callback | None, Callback | None, list[tuple[Key, date, tuple[Measure, ...]]]]] = [
    ("asked now: requested", None, ASKED, [(("cb_requested", "cb1", 1), DAY, (Measure("requested"),))]),
    ("booked in a slot: requested, booked, in its local range", None, BOOKED,
     [(("cb_requested", "cb1", 1), DAY,
       (Measure("requested"), Measure("booked"), Measure("booked_slot:09:00-10:00")))]),
    ("its first attempt starts", ASKED, CALLING, []),
    ("an agent's phone rings", CALLING, replace(CALLING, phase=CallPhase.RINGING_AGENT, agent_id="ann"), []),
    ("the visitor is dialled", CALLING, DIALLING, []),
    ("connected on attempt 1, 2 minutes after the request", DIALLING, CONNECTED,
     [(("cb_connected", "cb1", 1), DAY, (Measure("connected", 120.0, 120.0), Measure("connected_attempt:1")))]),
    ("put on hold", CONNECTED, replace(CONNECTED, held_since=CREATED + 3 * MIN), []),
    ("its recording's key written", CONNECTED, RECORDING, []),
    ("ended connected and recorded", RECORDING, ENDED_RECORDED,
     [(("cb_end", "cb1", 1), DAY, (Measure("recorded"),))]),
    ("ended connected, not recorded: the connection was its fact", CONNECTED, ENDED, []),
    ("the visitor hung up while waiting for an agent", replace(CALLING, since=CREATED + MIN),
     ended(CallbackState.ENDED, CREATED + 61 * MIN, outcome="visitor_hung_up"),
     [(("cb_end", "cb1", 1), NEXT, (Measure("left_while_waiting"),))]),
    ("an attempt failed and a retry is due", DIALLING,
     ended(CallbackState.RETRYING, CREATED + 2 * MIN, before=DIALLING, next_at=CREATED + 5 * MIN), []),
    ("the last attempt failed: not reached", replace(DIALLING, attempt=5),
     ended(CallbackState.NOT_REACHED, CREATED + 30 * MIN, before=replace(DIALLING, attempt=5), outcome="no_answer"),
     [(("cb_end", "cb1", 1), DAY, (Measure("not_reached"),))]),
    ("no agent took it within the maximum delay: expired", CALLING,
     ended(CallbackState.EXPIRED, CREATED + 10 * MIN, outcome="expired"),
     [(("cb_end", "cb1", 1), DAY, (Measure("expired"),))]),
    ("the visitor cancelled it the next day", BOOKED,
     replace(BOOKED, state=CallbackState.CANCELLED, since=CREATED + 3 * 60 * MIN),
     [(("cb_end", "cb1", 1), NEXT, (Measure("cancelled"),))]),
    ("transferred to a queue: waiting again, connection kept", CONNECTED,
     replace(CONNECTED, state=CallbackState.CALLING, phase=CallPhase.WAITING_AGENT, agent_id=""), []),
    ("connected again after the transfer: counted once", replace(CONNECTED, state=CallbackState.CALLING,
                                                                  phase=CallPhase.RINGING_AGENT, agent_id="bob"),
     replace(CONNECTED, agent_id="bob", since=CREATED + 6 * MIN), []),
    ("transferred, then nobody took it: expired, its connection already counted",
     replace(CONNECTED, state=CallbackState.CALLING, phase=CallPhase.WAITING_AGENT),
     ended(CallbackState.EXPIRED, CREATED + 20 * MIN, before=CONNECTED, outcome="expired"),
     [(("cb_end", "cb1", 1), DAY, (Measure("expired"),))]),
    ("the recording's key written after the end", ENDED, ENDED_RECORDED,
     [(("cb_recorded", "cb1", 1), DAY, (Measure("recorded"),))]),
    ("a later write to an ended callback", ENDED_RECORDED, replace(ENDED_RECORDED, note="called back"), []),
    ("connected before connected_at existed: the transition counts", replace(DIALLING, attempt=2),
     replace(CONNECTED, attempt=2, connected_at=None, since=CREATED + 4 * MIN),
     [(("cb_connected", "cb1", 2), DAY, (Measure("connected", 240.0, 240.0), Measure("connected_attempt:2")))]),
    ("ended and recorded, connected before connected_at existed", replace(RECORDING, connected_at=None),
     replace(ENDED_RECORDED, connected_at=None), [(("cb_end", "cb1", 1), DAY, (Measure("recorded"),))]),
    ("deleted", ENDED, None, []),
]


@pytest.mark.parametrize(("old", "new", "expected"), [row[1:] for row in TRANSITIONS],
                         ids=[row[0] for row in TRANSITIONS])
def test_each_write_brings_the_facts_a_report_counts_and_no_other(old: Callback | None, new: Callback | None,
                                                                  expected: list[Any]) -> None:
    facts = callback_facts(CallbackChange("acme", old, new), PARIS)
    assert keyed(facts) == expected
    again = callback_facts(CallbackChange("acme", old, new), PARIS)  # a redelivered record: the same fact keys
    assert again == facts


def test_the_connected_fact_names_the_queue_the_agent_and_the_call_channel() -> None:
    [fact] = callback_facts(CallbackChange("acme", DIALLING, CONNECTED), PARIS)
    assert fact == Fact(tenant="acme", kind="cb_connected", subject_id="cb1", cycle=1, day=DAY,
                        at=CREATED + 2 * MIN, queue="default", agent_id="ann", channel="call",
                        measures=(Measure("connected", 120.0, 120.0), Measure("connected_attempt:1")))
    assert fact.dimensions() == (("tenant", "acme"), ("queue", "default"), ("agent", "ann"), ("channel", "call"))


def test_a_request_has_no_queue_or_agent_yet_and_an_end_not_connected_no_agent() -> None:
    [asked] = callback_facts(CallbackChange("acme", None, ASKED), PARIS)
    assert [d for d, _ in asked.dimensions()] == ["tenant", "channel"]
    [expired] = callback_facts(CallbackChange("acme", DIALLING, ended(CallbackState.EXPIRED, CREATED + 10 * MIN,
                                                                     before=DIALLING)), PARIS)
    assert (expired.queue, expired.agent_id, expired.at) == ("default", "", CREATED + 10 * MIN)


def test_a_scheduled_callback_waits_from_its_booked_time_not_from_the_request() -> None:
    due = BOOKED.at
    assert due is not None
    dialling = replace(BOOKED, state=CallbackState.CALLING, attempt=1, phase=CallPhase.CALLING_VISITOR,
                       agent_id="ann", queue="default", since=due)
    [fact] = callback_facts(CallbackChange("acme", dialling, replace(
        dialling, state=CallbackState.CONNECTED, phase=CallPhase.CONNECTED, connected_at=due + timedelta(seconds=95),
        since=due + timedelta(seconds=95))), PARIS)
    assert (fact.day, fact.measures[0]) == (NEXT, Measure("connected", 95.0, 95.0))


@pytest.mark.parametrize(("connected_at", "day"), [
    (datetime(2026, 12, 6, 22, 59, tzinfo=UTC), DAY),  # 23:59 in Paris
    (datetime(2026, 12, 6, 23, 0, tzinfo=UTC), NEXT),  # midnight in Paris
])
def test_the_connection_counts_on_its_day_on_the_tenants_clock(connected_at: datetime, day: date) -> None:
    [fact] = callback_facts(CallbackChange("acme", DIALLING, replace(CONNECTED, connected_at=connected_at)), PARIS)
    assert fact.day == day


@pytest.mark.parametrize(("slot", "hours"), [(SLOT, "09:00-10:00"), ("2026-12-07T14:30-15:00", "14:30-15:00"),
                                             ("s", "s")])
def test_a_slot_is_counted_under_its_local_range(slot: str, hours: str) -> None:
    assert slot_range(slot) == hours


# --- the boundary: a callback's stream record --------------------------------------------------------------------


SAMPLE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "aws-events" /
                     "dynamodb-stream-event.json").read_text())


def record(sequence: str, old: Callback | None, new: Callback | None, pk: str = _callback_pk("acme", "cb1"),
           strip_type: bool = False) -> tuple[str, dict[str, Any]]:
    out: dict[str, Any] = copy.deepcopy(SAMPLE["Records"][1])
    stream = out["dynamodb"]
    stream["SequenceNumber"] = sequence
    stream["Keys"] = {"pk": {"S": pk}, "sk": {"S": STATE}}
    for name, image in (("OldImage", old), ("NewImage", new)):
        stream.pop(name, None)
        if image is not None:
            stream[name] = callback_item(image).serialize()
            if strip_type:
                stream[name].pop("t")
    return sequence, out


def test_a_callback_record_reads_as_the_callback_before_and_after_and_carries_its_type() -> None:
    _, raw = record("1", DIALLING, CONNECTED)
    assert raw["dynamodb"]["NewImage"]["t"] == {"S": CALLBACK_TYPE} and CALLBACK_TYPE in CONSUMED_TYPES
    assert change_of(raw) == CallbackChange("acme", DIALLING, CONNECTED)


def test_an_image_written_before_callbacks_had_a_type_reads_all_the_same() -> None:
    _, raw = record("1", None, ASKED, strip_type=True)
    assert change_of(raw) == CallbackChange("acme", None, ASKED)


def test_a_callbacks_other_items_are_ignored() -> None:
    _, raw = record("1", None, ASKED, pk=_number_pk("acme", "+33612345678"))
    assert change_of(raw) is None
    _, raw = record("2", None, ASKED)
    raw["dynamodb"]["Keys"]["sk"] = {"S": "POINTER"}
    assert change_of(raw) is None


def test_a_callbacks_life_through_the_consumer_counts_each_fact_once_when_delivered_again() -> None:
    deps = replace(make_deps("acme"), reports=FakeReports())
    life = [ASKED, CALLING, DIALLING, CONNECTED, RECORDING, ENDED_RECORDED]
    batch = [record(str(n), old, new) for n, (old, new) in enumerate(zip([None, *life], life, strict=False), 1)]

    first = report_stream.consume(deps, batch, change_of)
    again = report_stream.consume(deps, batch, change_of)

    assert (first.recorded, first.repeated, first.ignored, first.failed) == (3, 0, 3, None)
    assert (again.recorded, again.repeated) == (0, 3)
    assert deps.reports is not None
    day = deps.reports.day_aggregates("acme", DAY)
    tenant = day[("tenant", "acme")]
    assert {metric: counts.n for metric, counts in tenant.items()} == {
        "requested": 1, "connected": 1, "connected_attempt:1": 1, "recorded": 1}
    assert tenant["connected"].total == 120.0
    assert {metric: counts.n for metric, counts in day[("agent", "ann")].items()} == {
        "connected": 1, "connected_attempt:1": 1, "recorded": 1}
    assert sorted((f.kind, f.cycle) for f in deps.reports.facts("acme", DAY)) == [
        ("cb_connected", 1), ("cb_end", 1), ("cb_requested", 1)]
