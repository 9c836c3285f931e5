"""bench/callback_bench.py's pure parts: the overbooking count, the cost formula, the SMA's invocations it plays and
the timers it finds in the recorded requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.callback_bench import Prices, Usage, cost_usd, overbooked
from bench.meter import Call
from bench.sma_calls import SmaCall, timer_bodies
from chalicelib.domain.telephony.events import translate

NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TIMES = [NINE + timedelta(minutes=10 * n) for n in range(6)]


@pytest.mark.parametrize(("held", "expected"), [
    (TIMES, 0),  # every time held once
    (TIMES[:3], 0),
    ([*TIMES[:5], TIMES[0]], 1),  # a time held twice, the slot not full
    ([*TIMES, TIMES[0], TIMES[0]], 2),  # a time held three times: two extra, nothing else beyond the slot
    ([*TIMES, NINE + timedelta(hours=2)], 1),  # one callback beyond the slot's 6 times
    ([*TIMES, None], 0),  # an open callback without a time is not on the slot's times
], ids=["full", "half", "doubled", "tripled", "beyond", "no-time"])
def test_overbooked_counts_extra_callbacks_on_a_time_and_beyond_the_slot(held: list[datetime | None],
                                                                       expected: int) -> None:
    assert overbooked(held, len(TIMES)) == expected


def test_the_cost_adds_each_service_at_its_list_price() -> None:
    prices = Prices()
    assert cost_usd(Usage(), prices) == 0
    assert cost_usd(Usage(wcu=1_000_000), prices) == pytest.approx(0.625)
    assert cost_usd(Usage(rest_requests=1_000_000), prices) == pytest.approx(3.50)
    assert cost_usd(Usage(emails=1000), prices) == pytest.approx(0.10)
    assert cost_usd(Usage(schedules_fired=1_000_000), prices) == pytest.approx(1.00)
    one_run = 0.128 * 0.05 * 0.0000166667
    assert cost_usd(Usage(lambda_invocations=1), prices) == pytest.approx(0.20 / 1e6 + one_run)
    assert "not billed per request" in prices.describe()


def test_the_sma_invocations_are_numbered_per_call_keep_its_attributes_and_translate() -> None:
    call = SmaCall("tx-1", "+33612345678", {"party": "visitor", "callback_id": "cb1"})
    new = call.new()
    assert (new["Sequence"], new["InvocationEventType"]) == (1, "NEW_OUTBOUND_CALL")
    assert new["ActionData"]["Parameters"]["Arguments"] == {"party": "visitor", "callback_id": "cb1"}
    call.remember({"SchemaVersion": "1.0", "Actions": [], "TransactionAttributes": {"callback_id": "cb1"}})
    answered = call.answered()
    assert answered["Sequence"] == 2
    assert answered["CallDetails"]["TransactionAttributes"] == {"callback_id": "cb1"}
    call.succeeded({"Type": "JoinChimeMeeting", "Parameters": {}})
    assert [p["ParticipantTag"] for p in call.ringing()["CallDetails"]["Participants"]] == ["LEG-A", "LEG-B"]
    assert call.room_closed()["ActionData"]["Parameters"]["ParticipantTag"] == "LEG-B"
    hangup = call.hangup()
    assert hangup["CallDetails"]["Participants"][0]["Status"] == "Disconnected"
    assert hangup["Sequence"] == 6  # new, answered, succeeded, ringing, room closed, hang-up
    for event in (new, answered, call.update({"guichet_command": "hang_up"}), hangup):
        translate(event)  # the app's translator accepts each


def test_timer_bodies_come_from_sqs_messages_and_schedules() -> None:
    calls = [Call("sqs", "SendMessage", {"MessageBody": '{"kind": "a"}'}),
             Call("dynamodb", "PutItem", {}),
             Call("scheduler", "CreateSchedule", {"Target": {"Input": '{"kind": "b"}'}})]
    assert timer_bodies(calls) == ['{"kind": "a"}', '{"kind": "b"}']
