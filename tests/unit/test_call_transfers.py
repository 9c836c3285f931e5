"""Transfer to an agent with consent, and requalify (issue 14, CB-10), step by step on the fakes: the SMA's events
for the target's call, the offer's timer, the desk's refusal. The same flows run on the phone emulator in
tests/integration/test_call_transfers.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib import ws
from chalicelib.domain.callbacks.model import CallbackState, CallPhase, TransferState
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.model import Agent, AgentStatus, ConversationStatus, Principal, PrincipalKind
from chalicelib.domain.telephony.commands import CallCommandKind
from chalicelib.ports import Deps
from chalicelib.services import call_controls, call_transfers
from tests.unit.fakes import FakeConnections, FakePush
from tests.unit.fakes_calls import Calls, Dialled, FakeTelephony
from tests.unit.test_call_flow import (
    LINES,
    T,
    action_types,
    callback,
    connected,
    ring_and_answer,
    run_timers,
    setup,
    sma,
)

ALICE = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
BOB = Principal(tenant=T, id="bob", kind=PrincipalKind.AGENT)


def with_bob(deps: Deps) -> None:
    deps.agents.put(Agent(T, "bob", "Bob", status=AgentStatus.AVAILABLE, takes_calls=True, own_line=LINES["bob"],
                          idle_since=deps.clock.now()))


def frames_to(deps: Deps, who: Principal, kind: str) -> list[dict[str, object]]:
    assert isinstance(deps.push, FakePush)
    desks = set(deps.connections.of(who))
    return [frame for connection, frame in deps.push.sent if connection in desks and frame.get("type") == kind]


def offered(deps: Deps, telephony: FakeTelephony, calls_: Calls) -> tuple[Dialled, Dialled, Dialled]:
    """Alice holds a connected call and transfers it to Bob: Alice's, the visitor's and Bob's calls."""
    visitor_call = connected(deps, telephony, calls_)
    alice_call = telephony.dials[0]
    with_bob(deps)
    assert isinstance(deps.connections, FakeConnections)
    deps.connections.add(ALICE, "desk-alice", deps.clock.now())
    deps.connections.add(BOB, "desk-bob", deps.clock.now())
    view = call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "bob")
    assert view["transfer"] == {"id": callback(deps).transfer_id, "to": "bob", "to_name": "Bob", "from": "alice",
                                "state": "offered"}
    bob_call = telephony.dials[-1]
    assert bob_call.to == LINES["bob"] and bob_call.arguments["transfer"] == callback(deps).transfer_id
    return alice_call, visitor_call, bob_call


def test_a_transfer_the_target_answers_moves_the_call_to_them_and_releases_the_first_agent() -> None:
    deps, telephony, calls_ = setup()
    alice_call, visitor_call, bob_call = offered(deps, telephony, calls_)
    commands = [(c, k.kind) for c, k in telephony.commands]
    assert (visitor_call.call_id, CallCommandKind.HOLD) in commands  # the visitor hears the music meanwhile
    assert (alice_call.call_id, CallCommandKind.HANG_UP) not in commands  # Alice stays on the call
    [offer] = frames_to(deps, BOB, "offer")  # Bob's desk shows the offer like any call offer, with the whole case
    assert offer["callback"]["id"] == "cb1" and offer["offer"]["id"] == callback(deps).transfer_id  # type: ignore[index]
    assert deps.conversations.get(T, "cb1-1").agent_id == "alice"  # type: ignore[union-attr]

    joined = ring_and_answer(deps, calls_, bob_call, twice=True)
    assert action_types(joined) == ["JoinChimeMeeting"]  # Bob joins the room
    found = callback(deps)
    assert (found.agent_id, found.agent_call, found.transfer_state, found.held_since) == (
        "bob", bob_call.call_id, TransferState.ACCEPTED, None)
    after = [(c, k.kind) for c, k in telephony.commands]
    assert (alice_call.call_id, CallCommandKind.HANG_UP) in after  # her leg ends
    assert after[-1] == (visitor_call.call_id, CallCommandKind.JOIN_ROOM)  # the visitor back in the room, with Bob
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and (conversation.status, conversation.agent_id) == (
        ConversationStatus.ASSIGNED, "bob")
    assert deps.agents.get(T, "alice").active == 0  # type: ignore[union-attr]  # the fakes count every slot here
    assert deps.agents.get(T, "bob").active == 1  # type: ignore[union-attr]
    assert deps.agents.get(T, "alice").status is AgentStatus.AWAY  # type: ignore[union-attr]  # she wraps up
    assert frames_to(deps, BOB, "conversation.assigned")[0]["conversation"]["agent"]["id"] == "bob"  # type: ignore[index]
    assert frames_to(deps, ALICE, "conversation.transferred")
    told = [f["callback"]["transfer"]["state"] for f in frames_to(deps, ALICE, "callback.updated")]  # type: ignore[index]
    assert told[-1] == "accepted"
    assert len([d for d in telephony.dials if d.to == LINES["bob"]]) == 1  # one dial of Bob
    # Alice's leg hangs up: nothing changes for Bob's call; Bob hanging up ends it.
    sma(deps, calls_, alice_call, calls_.hangup(alice_call))
    assert callback(deps).state is CallbackState.CONNECTED
    sma(deps, calls_, bob_call, calls_.hangup(bob_call))
    assert (callback(deps).state, callback(deps).outcome) == (CallbackState.ENDED, "agent_hung_up")
    assert (visitor_call.call_id, CallCommandKind.HANG_UP) in [(c, k.kind) for c, k in telephony.commands]


@pytest.mark.parametrize(("sip_code", "state"), [(486, "refused"), (480, "timed_out")])
def test_a_transfer_declined_or_unanswered_comes_back_to_the_first_agent_with_the_visitor_on_hold(
        sip_code: int, state: str) -> None:
    deps, telephony, calls_ = setup()
    alice_call, _, bob_call = offered(deps, telephony, calls_)
    sma(deps, calls_, bob_call, calls_.new(bob_call))
    sma(deps, calls_, bob_call, calls_.hangup(bob_call, sip_code), twice=True)
    found = callback(deps)
    assert (found.agent_id, found.transfer_state, found.state) == ("alice", state, CallbackState.CONNECTED)
    assert found.held_since is not None  # still on hold: Alice resumes when she wants
    assert frames_to(deps, ALICE, "callback.updated")[-1]["callback"]["transfer"]["state"] == state  # type: ignore[index]
    [withdrawn] = frames_to(deps, BOB, "offer.withdrawn")
    assert withdrawn["reason"] == f"transfer_{state}"
    assert (alice_call.call_id, CallCommandKind.HANG_UP) not in [(c, k.kind) for c, k in telephony.commands]
    assert deps.conversations.get(T, "cb1-1").agent_id == "alice"  # type: ignore[union-attr]
    # A late answer of the same call finds the offer over: hung up.
    assert action_types(sma(deps, calls_, bob_call, calls_.answered(bob_call))) == ["Hangup"]


def test_the_targets_desk_refuses_and_the_offers_timer_then_finds_nothing() -> None:
    deps, telephony, calls_ = setup()
    _, _, bob_call = offered(deps, telephony, calls_)
    transfer_id = callback(deps).transfer_id
    ack = ws.handle(deps, BOB, "desk-bob", f'{{"action": "reject_offer", "id": 1, "conversation_id": "cb1-1", '
                                           f'"offer_id": "{transfer_id}"}}')
    assert ack["type"] == "ack" and ack["agent"]["status"] == "available"  # refusing a transfer is no Away
    assert callback(deps).transfer_state == TransferState.REFUSED
    assert (bob_call.call_id, CallCommandKind.HANG_UP) in [(c, k.kind) for c, k in telephony.commands]  # stops ringing
    assert not call_transfers.expired(deps, T, {"callback_id": "cb1", "transfer_id": transfer_id})  # stale
    assert callback(deps).transfer_state == TransferState.REFUSED
    again = ws.handle(deps, BOB, "desk-bob", f'{{"action": "reject_offer", "id": 2, "conversation_id": "cb1-1", '
                                             f'"offer_id": "{transfer_id}"}}')
    assert (again["type"], again["field"]) == ("error", "offer_id")


def test_a_transfer_nobody_answers_times_out_with_the_offers_timer() -> None:
    deps, telephony, calls_ = setup()
    _, _, bob_call = offered(deps, telephony, calls_)
    deps.clock.advance(seconds=29)  # type: ignore[attr-defined]
    run_timers(deps)
    assert callback(deps).transfer_state == TransferState.OFFERED
    deps.clock.advance(seconds=1)  # type: ignore[attr-defined]
    run_timers(deps, twice=True)
    assert callback(deps).transfer_state == TransferState.TIMED_OUT
    assert (bob_call.call_id, CallCommandKind.HANG_UP) in [(c, k.kind) for c, k in telephony.commands]
    assert action_types(ring_and_answer(deps, calls_, bob_call)) == ["Hangup"]  # answered too late
    assert callback(deps).agent_id == "alice"


def test_a_transfer_is_refused_when_the_target_cannot_take_it_or_one_waits_already() -> None:
    deps, telephony, calls_ = setup()
    connected(deps, telephony, calls_)
    with_bob(deps)
    with pytest.raises(InvalidInput) as own:
        call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "alice")
    assert own.value.field == "to_agent"
    bob = deps.agents.get(T, "bob")
    assert bob is not None
    deps.agents.put(replace(bob, status=AgentStatus.AWAY))
    with pytest.raises(Conflict) as away:
        call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "bob")
    assert away.value.field == "to_agent" and callback(deps).transfer_state == ""
    deps.agents.put(bob)
    call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "bob")
    with pytest.raises(Conflict, match="waits for its answer"):
        call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "bob")
    with pytest.raises(Conflict, match="waits for its answer"):
        call_controls.transfer_to_queue(deps, ALICE, "cb1-1", "default")  # one move of the call at a time
    with pytest.raises(Conflict, match="waits for its answer"):
        call_transfers.requalify(deps, ALICE, "cb1-1", "default", "Billing")
    both = ws.handle(deps, ALICE, "d", '{"action": "transfer_call", "id": 3, "conversation_id": "cb1-1", '
                                       '"to_queue": "default", "to_agent": "bob"}')
    assert (both["type"], both["field"]) == ("error", "to_agent")


def test_requalify_sends_the_call_to_the_queue_as_a_new_request_with_the_note_for_the_next_agent() -> None:
    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    alice_call = telephony.dials[0]
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None
    asked_at = conversation.created_at
    deps.clock.advance(seconds=90)  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as blank:
        call_transfers.requalify(deps, ALICE, "cb1-1", "default", "  ")
    assert blank.value.field == "note"
    with pytest.raises(InvalidInput) as long:
        call_transfers.requalify(deps, ALICE, "cb1-1", "default", "x" * 501)
    assert long.value.field == "note"
    with pytest.raises(InvalidInput) as queue:
        call_transfers.requalify(deps, ALICE, "cb1-1", "nowhere", "Billing question")
    assert queue.value.field == "to_queue"
    view = call_transfers.requalify(deps, ALICE, "cb1-1", "default", " Billing question, wants a refund ")
    assert view["note"] == {"text": "Billing question, wants a refund", "by": "Alice"}
    found = callback(deps)
    assert (found.state, found.phase, found.agent_id, found.queue) == (
        CallbackState.CALLING, CallPhase.WAITING_AGENT, "", "default")
    commands = [(c, k.kind) for c, k in telephony.commands]
    assert (visitor_call.call_id, CallCommandKind.HOLD) in commands
    assert (alice_call.call_id, CallCommandKind.HANG_UP) in commands
    waiting = deps.conversations.get(T, "cb1-1")
    assert waiting is not None and waiting.status is ConversationStatus.WAITING
    assert waiting.created_at == asked_at + timedelta(seconds=90)  # a new request, unlike a transfer to a queue
    assert deps.agents.get(T, "alice").status is AgentStatus.AWAY  # type: ignore[union-attr]  # she wraps up
    with_bob(deps)
    run_timers(deps)  # Alice's wrap-up runs; Bob is free: he pulls the call and his phone rings
    from chalicelib.services import routing

    routing.pull(deps, deps.agents.get(T, "bob"))  # type: ignore[arg-type]
    bob_call = telephony.dials[-1]
    assert bob_call.to == LINES["bob"]
    ring_and_answer(deps, calls_, bob_call)
    found = callback(deps)
    assert (found.state, found.agent_id, found.note) == (CallbackState.CONNECTED, "bob",
                                                         "Billing question, wants a refund")


def test_a_target_who_can_no_longer_take_the_call_when_answering_sends_it_back_as_failed() -> None:
    deps, telephony, calls_ = setup()
    alice_call, _, bob_call = offered(deps, telephony, calls_)
    bob = deps.agents.get(T, "bob")
    assert bob is not None
    deps.agents.put(replace(bob, status=AgentStatus.AWAY))  # e.g. another call took his slot meanwhile
    assert action_types(ring_and_answer(deps, calls_, bob_call)) == ["Hangup"]  # nobody left on a silent line
    found = callback(deps)
    assert (found.agent_id, found.agent_call, found.transfer_state) == ("alice", alice_call.call_id,
                                                                        TransferState.FAILED)
    assert found.held_since is not None  # the visitor still on hold, for Alice to resume
    assert deps.conversations.get(T, "cb1-1").agent_id == "alice"  # type: ignore[union-attr]
    assert (alice_call.call_id, CallCommandKind.HANG_UP) not in [(c, k.kind) for c, k in telephony.commands]
    assert frames_to(deps, BOB, "offer.withdrawn")[-1]["reason"] == "transfer_failed"


def test_a_target_who_answers_on_the_desk_accepts_there_and_no_phone_rings() -> None:
    """Bob answers calls on the desk (the softphone, CB-6): the transfer dials nobody; his Accept (accept_offer, as
    for any offer) makes the call his, Alice's leg ends and the visitor is taken off hold into the room."""
    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    alice_call = telephony.dials[0]
    deps.agents.put(Agent(T, "bob", "Bob", status=AgentStatus.AVAILABLE, takes_calls=True, answer_calls="desk",
                          idle_since=deps.clock.now()))
    assert isinstance(deps.connections, FakeConnections)
    deps.connections.add(BOB, "desk-bob", deps.clock.now())
    dials = len(telephony.dials)
    call_transfers.transfer_to_agent(deps, ALICE, "cb1-1", "bob")
    assert len(telephony.dials) == dials  # no phone rings
    transfer_id = callback(deps).transfer_id
    [offer] = frames_to(deps, BOB, "offer")
    assert offer["offer"]["id"] == transfer_id  # type: ignore[index]
    ack = ws.handle(deps, BOB, "desk-bob", json.dumps({"action": "accept_offer", "id": 1, "conversation_id": "cb1-1",
                                                       "offer_id": transfer_id}))
    assert ack["type"] == "ack" and ack["conversation"]["agent"]["id"] == "bob", ack
    found = callback(deps)
    assert (found.agent_id, found.agent_call, found.transfer_state) == ("bob", "", TransferState.ACCEPTED)
    after = [(c, k.kind) for c, k in telephony.commands]
    assert (alice_call.call_id, CallCommandKind.HANG_UP) in after
    assert after[-1] == (visitor_call.call_id, CallCommandKind.JOIN_ROOM)
    again = ws.handle(deps, BOB, "desk-bob", json.dumps({"action": "accept_offer", "id": 2, "conversation_id": "cb1-1",
                                                         "offer_id": transfer_id}))
    assert (again["type"], again["field"]) == ("error", "offer_id")  # one accept


def test_the_transfer_timer_is_dispatched_to_its_handler_and_the_calls_modules_load_lazily() -> None:
    """timers.py names the transfer's timer without importing the calls' modules (a cold start of the chat Lambdas
    stays light): its kind must stay the one call_transfers arms."""
    from chalicelib.services import timers

    assert call_transfers.TRANSFER_EXPIRED in timers._HANDLERS
