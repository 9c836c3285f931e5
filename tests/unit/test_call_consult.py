"""Consult calls, conference and the cold transfer to an outside number (issue 14, CB-10: services/call_consult.py),
step by step on the fakes of test_call_flow.py. The same flows run on the phone emulator in
tests/integration/test_call_consult.py."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.callbacks.model import CallbackState
from chalicelib.domain.callbacks.numbers import NumberRefused
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.domain.telephony.commands import CallCommandKind, to_arguments
from chalicelib.ports import Deps
from chalicelib.services import call_consult, call_controls
from tests.unit.fakes_calls import Calls, Dialled, FakeTelephony
from tests.unit.test_call_flow import LINES, T, action_types, callback, connected, ring_and_answer, setup, sma

ALICE = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
OUTSIDE = "+33145678901"  # a Paris fixed line


def kinds(telephony: FakeTelephony, call: Dialled | str) -> list[CallCommandKind]:
    call_id = call if isinstance(call, str) else call.call_id
    return [command.kind for target, command in telephony.commands if target == call_id]


def last_command(telephony: FakeTelephony, call: Dialled) -> dict[str, str]:
    return to_arguments([command for target, command in telephony.commands if target == call.call_id][-1])


def consulting_bob() -> tuple[Deps, FakeTelephony, Calls, Dialled, Dialled]:
    """Alice on the phone with the visitor consults Bob: the visitor's call and Bob's (ringing)."""
    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    visitor_call = connected(deps, telephony, calls_)
    view = call_consult.consult(deps, ALICE, "cb1-1", to_agent="bob")
    assert view["consult"] == {"kind": "agent", "to": "bob", "name": "Bob", "state": "ringing",
                               "since": "2026-11-21T09:00:00Z", "outcome": None}
    assert view["held_since"] == "2026-11-21T09:00:00Z"  # the visitor is on hold first
    bob_call = telephony.dials[-1]
    assert bob_call.to == LINES["bob"] and bob_call.arguments["party"] == "consult"
    return deps, telephony, calls_, visitor_call, bob_call


def test_a_consulted_agent_who_answers_talks_with_the_agent_alone_then_the_three_are_in_conference() -> None:
    deps, telephony, calls_, visitor_call, bob_call = consulting_bob()
    assert kinds(telephony, visitor_call) == [CallCommandKind.HOLD]  # out of the room before Bob is even rung
    with pytest.raises(Conflict, match="in progress already"):
        call_consult.consult(deps, ALICE, "cb1-1", to_agent="bob")  # a second click dials nobody
    assert [d.to for d in telephony.dials].count(LINES["bob"]) == 1
    with pytest.raises(Conflict, match="nobody consulted"):
        call_consult.conference(deps, ALICE, "cb1-1")  # Bob is still ringing

    joined = ring_and_answer(deps, calls_, bob_call, twice=True)
    assert action_types(joined) == ["JoinChimeMeeting"]
    assert joined["Actions"][0]["Parameters"]["MeetingId"] == "meeting-cb1"  # the callback's room: private now
    assert callback(deps).consult_state == "talking" and callback(deps).held_since is not None
    with pytest.raises(Conflict, match="return to the visitor"):
        call_controls.resume_call(deps, ALICE, "cb1-1")  # the visitor must never hear the consult
    assert kinds(telephony, visitor_call) == [CallCommandKind.HOLD]

    view = call_consult.conference(deps, ALICE, "cb1-1")
    assert (view["consult"]["state"], view["held_since"]) == ("conference", None)
    assert kinds(telephony, visitor_call) == [CallCommandKind.HOLD, CallCommandKind.JOIN_ROOM]
    assert last_command(telephony, visitor_call)["meeting_id"] == "meeting-cb1"
    with pytest.raises(Conflict):
        call_consult.conference(deps, ALICE, "cb1-1")  # twice: one join

    # Alice hangs up: nobody takes over, every leg of the callback ends and the room closes.
    sma(deps, calls_, telephony.dials[0], calls_.hangup(telephony.dials[0]))
    assert (callback(deps).state, callback(deps).outcome) == (CallbackState.ENDED, "agent_hung_up")
    assert kinds(telephony, bob_call)[-1] is CallCommandKind.HANG_UP
    assert kinds(telephony, visitor_call)[-1] is CallCommandKind.HANG_UP
    assert telephony.closed == ["meeting-cb1"]


def test_the_consulted_party_leaving_a_conference_leaves_the_agent_and_the_visitor_talking() -> None:
    deps, telephony, calls_, visitor_call, bob_call = consulting_bob()
    ring_and_answer(deps, calls_, bob_call)
    call_consult.conference(deps, ALICE, "cb1-1")
    sma(deps, calls_, bob_call, calls_.hangup(bob_call), twice=True)
    found = callback(deps)
    assert (found.state, found.consult_state, found.consult_outcome) == (CallbackState.CONNECTED, "", "hung_up")
    assert CallCommandKind.HANG_UP not in kinds(telephony, visitor_call) + kinds(telephony, telephony.dials[0])


@pytest.mark.parametrize(("sip_code", "outcome"), [(486, "busy"), (480, "no_answer"), (0, "declined")])
def test_a_consult_not_answered_busy_or_declined_comes_back_to_the_agent_with_the_visitor_on_hold(
        sip_code: int, outcome: str) -> None:
    deps, telephony, calls_, visitor_call, bob_call = consulting_bob()
    deps.connections.add(ALICE, "desk-1", deps.clock.now())
    sma(deps, calls_, bob_call, calls_.new(bob_call))
    sma(deps, calls_, bob_call, calls_.hangup(bob_call, sip_code), twice=True)
    found = callback(deps)
    assert (found.state, found.consult_state, found.consult_outcome) == (CallbackState.CONNECTED, "", outcome)
    assert found.held_since is not None and kinds(telephony, visitor_call) == [CallCommandKind.HOLD]  # still held
    [told] = [f for f in deps.push.to("desk-1") if f["type"] == "callback.updated"]  # type: ignore[attr-defined]
    assert told["callback"]["consult"]["outcome"] == outcome and told["callback"]["consult"]["name"] == "Bob"
    late = ring_and_answer(deps, calls_, bob_call)  # Bob picks up after all: an over consult hangs up
    assert action_types(late) == ["Hangup"]
    assert call_controls.resume_call(deps, ALICE, "cb1-1")["held_since"] is None  # Alice takes the visitor back


def test_a_consulted_number_then_return_to_the_visitor() -> None:
    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    call_controls.hold_call(deps, ALICE, "cb1-1")
    view = call_consult.consult(deps, ALICE, "cb1-1", to_number="01 45 67 89 01")
    assert view["consult"]["kind"] == "number" and view["consult"]["name"] == "+33 1 •• •• •• 01"
    assert view["consult"]["to"] is None  # the number is masked on every desk
    outside = telephony.dials[-1]
    assert outside.to == OUTSIDE and kinds(telephony, visitor_call) == [CallCommandKind.HOLD]  # held once
    assert action_types(ring_and_answer(deps, calls_, outside)) == ["JoinChimeMeeting"]

    back = call_consult.end_consult(deps, ALICE, "cb1-1")
    assert (back["held_since"], back["consult"]["state"], back["consult"]["outcome"]) == (None, None, "ended")
    assert kinds(telephony, outside) == [CallCommandKind.HANG_UP]
    assert kinds(telephony, visitor_call) == [CallCommandKind.HOLD, CallCommandKind.JOIN_ROOM]
    with pytest.raises(Conflict, match="no consult"):
        call_consult.end_consult(deps, ALICE, "cb1-1")
    sma(deps, calls_, outside, calls_.hangup(outside))  # its hang-up, once hung up, changes nothing
    found = callback(deps)
    assert (found.state, found.consult_outcome, found.held_since) == (CallbackState.CONNECTED, "ended", None)


def test_a_visitor_who_hangs_up_during_a_consult_ends_every_leg() -> None:
    deps, telephony, calls_, visitor_call, bob_call = consulting_bob()
    ring_and_answer(deps, calls_, bob_call)
    sma(deps, calls_, visitor_call, calls_.hangup(visitor_call))
    assert callback(deps).state is CallbackState.ENDED
    assert kinds(telephony, bob_call)[-1] is CallCommandKind.HANG_UP
    assert kinds(telephony, telephony.dials[0])[-1] is CallCommandKind.HANG_UP
    assert telephony.closed == ["meeting-cb1"]


def test_a_cold_transfer_to_a_number_puts_the_visitor_through_and_releases_the_agent() -> None:
    from chalicelib.services import conversations

    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    agent_call = telephony.dials[0]
    view = call_consult.transfer_out(deps, ALICE, "cb1-1", "+33 1 45 67 89 01")
    assert (view["state"], view["outcome"], view["consult"]["state"]) == ("ended", "transferred_out", "transferring")
    assert kinds(telephony, agent_call) == [CallCommandKind.JOIN_ROOM, CallCommandKind.HANG_UP]
    assert kinds(telephony, visitor_call) == [CallCommandKind.HOLD]  # the music until the number answers
    outside = telephony.dials[-1]
    assert outside.to == OUTSIDE
    with pytest.raises(Conflict):
        call_consult.transfer_out(deps, ALICE, "cb1-1", OUTSIDE)  # twice: one dial
    assert len(telephony.dials) == 3
    # Alice's leg hangs up; she wraps up at once.
    sma(deps, calls_, agent_call, calls_.hangup(agent_call))
    assert conversations.close_conversation(deps, ALICE, "cb1-1", disposition=None).status.value == "closed"
    # The visitor's hold leaves the room and the music loops while the number rings.
    hold = next(c for target, c in telephony.commands if target == visitor_call.call_id)
    on_hold = sma(deps, calls_, visitor_call, calls_.update(visitor_call, to_arguments(hold)))
    assert action_types(sma(deps, calls_, visitor_call, calls_.succeeded(visitor_call, on_hold["Actions"][1]))) == [
        "PlayAudio"]
    assert action_types(ring_and_answer(deps, calls_, outside, twice=True)) == ["JoinChimeMeeting"]
    assert kinds(telephony, visitor_call) == [CallCommandKind.HOLD, CallCommandKind.JOIN_ROOM]
    assert callback(deps).consult_state == "transferred"

    sma(deps, calls_, visitor_call, calls_.hangup(visitor_call), twice=True)  # the visitor hangs up
    assert kinds(telephony, outside) == [CallCommandKind.HANG_UP]
    assert telephony.closed == ["meeting-cb1"]
    found = callback(deps)
    assert (found.state, found.outcome, found.consult_state) == (CallbackState.ENDED, "transferred_out", "")


def test_a_transfer_to_a_number_that_does_not_answer_hangs_the_visitor_up() -> None:
    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    call_consult.transfer_out(deps, ALICE, "cb1-1", OUTSIDE)
    outside = telephony.dials[-1]
    sma(deps, calls_, outside, calls_.new(outside))
    sma(deps, calls_, outside, calls_.hangup(outside, 480))
    found = callback(deps)
    assert (found.state, found.outcome, found.consult_outcome) == (CallbackState.ENDED, "transfer_failed",
                                                                   "transfer_failed")
    assert kinds(telephony, visitor_call)[-1] is CallCommandKind.HANG_UP and telephony.closed == ["meeting-cb1"]


def test_bad_consults_are_refused_by_field() -> None:
    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    connected(deps, telephony, calls_)
    with pytest.raises(NumberRefused) as refused:
        call_consult.consult(deps, ALICE, "cb1-1", to_number="0899 123 456")  # premium rate
    assert refused.value.field == "to_number"
    with pytest.raises(NumberRefused) as abroad:
        call_consult.transfer_out(deps, ALICE, "cb1-1", "+14155550123")  # a country the tenant does not call
    assert abroad.value.field == "to_number"
    with pytest.raises(InvalidInput) as neither:
        call_consult.consult(deps, ALICE, "cb1-1")
    assert neither.value.field == "to_number"
    with pytest.raises(InvalidInput, match="yourself"):
        call_consult.consult(deps, ALICE, "cb1-1", to_agent="alice")
    with pytest.raises(NotFound) as nobody:
        call_consult.consult(deps, ALICE, "cb1-1", to_agent="zoe")
    assert nobody.value.field == "to_agent"
    bob = Principal(tenant=T, id="bob", kind=PrincipalKind.AGENT)
    with pytest.raises(Exception, match="not yours"):
        call_consult.consult(deps, bob, "cb1-1", to_number=OUTSIDE)
    found = callback(deps)
    assert (found.consult_state, found.held_since, len(telephony.dials)) == ("", None, 2)  # nothing happened


def test_the_websocket_actions_answer_an_ack_or_an_error_naming_the_field() -> None:
    import json

    from chalicelib import ws

    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    connected(deps, telephony, calls_)

    def send(frame: dict[str, Any]) -> dict[str, Any]:
        return ws.handle(deps, ALICE, "desk-1", json.dumps({"id": 1, **frame}))

    refused = send({"action": "consult_call", "conversation_id": "cb1-1", "to_number": "not a number"})
    assert (refused["type"], refused["field"]) == ("error", "to_number")
    ack = send({"action": "consult_call", "conversation_id": "cb1-1", "to_agent": "bob"})
    assert (ack["type"], ack["callback"]["consult"]["state"]) == ("ack", "ringing")
    ring_and_answer(deps, calls_, telephony.dials[-1])
    assert send({"action": "conference_call", "conversation_id": "cb1-1"})["callback"]["consult"]["state"] == (
        "conference")
    assert send({"action": "end_consult", "conversation_id": "cb1-1"})["callback"]["consult"]["outcome"] == "ended"
    moved = send({"action": "transfer_out", "conversation_id": "cb1-1", "to_number": OUTSIDE})
    assert moved["callback"]["outcome"] == "transferred_out"
    gone = send({"action": "transfer_out", "conversation_id": "cb1-1", "to_number": OUTSIDE})
    assert (gone["type"], gone["code"], gone["field"]) == ("error", "conflict", "conversation_id")


def test_a_consult_or_transfer_whose_visitor_just_hung_up_dials_nobody() -> None:
    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    visitor_call = connected(deps, telephony, calls_)
    telephony.gone.add(visitor_call.call_id)  # hung up; its HANGUP event is still on its way
    with pytest.raises(Conflict, match="has ended"):
        call_consult.consult(deps, ALICE, "cb1-1", to_agent="bob")
    assert (len(telephony.dials), callback(deps).consult_state) == (2, "")
    with pytest.raises(Conflict, match="has ended"):
        call_consult.transfer_out(deps, ALICE, "cb1-1", OUTSIDE)
    found = callback(deps)
    assert (len(telephony.dials), found.consult_state, found.outcome) == (2, "", "visitor_hung_up")
    assert kinds(telephony, telephony.dials[0])[-1] is CallCommandKind.HANG_UP and telephony.closed == ["meeting-cb1"]


def test_supervisors_live_calls_show_the_consult() -> None:
    from chalicelib.domain.model import Role

    deps, _, calls_, _, bob_call = consulting_bob()
    ring_and_answer(deps, calls_, bob_call)
    sam = Principal(tenant=T, id="sam", kind=PrincipalKind.AGENT, roles=frozenset({Role.SUPERVISOR}))
    [live] = call_controls.live_calls(deps, sam)["calls"]
    assert (live["agent_name"], live["consult"]["state"], live["consult"]["name"]) == ("Alice", "talking", "Bob")


def test_one_move_of_the_call_at_a_time_a_consult_and_a_transfer_to_an_agent_exclude_each_other() -> None:
    """A consult under way refuses a transfer to an agent and a requalify; a transfer waiting for its answer refuses
    a consult: nobody else is dialled."""
    from chalicelib.services import call_transfers
    from tests.unit.test_call_transfers import with_bob

    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    connected(deps, telephony, calls_)
    call_consult.consult(deps, ALICE, "cb1-1", to_number=OUTSIDE)
    dials = len(telephony.dials)
    with pytest.raises(Conflict, match="end the consult first"):
        call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "bob")
    with pytest.raises(Conflict, match="end the consult first"):
        call_transfers.requalify(deps, ALICE, "cb1-1", "default", "wants billing")
    assert len(telephony.dials) == dials

    deps, telephony, calls_ = setup()
    connected(deps, telephony, calls_)
    with_bob(deps)
    call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "bob")
    dials = len(telephony.dials)
    with pytest.raises(Conflict, match="waits for its answer"):
        call_consult.consult(deps, ALICE, "cb1-1", to_number=OUTSIDE)
    assert len(telephony.dials) == dials and callback(deps).consult_state == ""
