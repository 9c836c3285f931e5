"""Transfers to an agent, requalify and the hang-up edge cases (issue 14, CB-10), on the phone emulator: moto's server
for the stores, the emulator for the Chime SDK APIs and the phones, every SMA invocation delivered twice (one dial
per party, and no answer that differs: `mismatches`)."""

from __future__ import annotations

import json

import pytest

from chalicelib import ws
from chalicelib.domain.callbacks.model import Callback, CallbackState, TransferState
from chalicelib.domain.model import AgentStatus, ConversationStatus, Principal, PrincipalKind
from chalicelib.services import call_attempts, call_controls, call_transfers
from local.phone import Script
from tests.integration.call_line import ALICE, ANSWER, BOB, VISITOR, Line, ask, hire, until

ALICE_AGENT = "alice"


def alice(line: Line) -> Principal:
    return Principal(line.tenant, ALICE_AGENT, PrincipalKind.AGENT)


def connected_with_alice(line: Line) -> Callback:
    """Alice answered on her line, the visitor answered, both are in the callback's room."""
    hire(line, ALICE_AGENT, ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)
    line.exchange.audio_scale = 0.02  # the music loops within the test
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected with Alice")
    until(lambda: line.exchange.phones[VISITOR].room is not None, what="the visitor in the room")
    return asked


def no_mismatch(line: Line) -> None:
    assert all(not call.mismatches for call in list(line.exchange.calls.values()))


def nothing_left_up(line: Line, room: str) -> None:
    """Every leg ended and the room closed: nothing left billing."""
    until(lambda: all(call.state == "ended" for call in list(line.exchange.calls.values())), what="every leg ended")
    until(lambda: room not in line.exchange.rooms, what="the room closed")
    until(lambda: all(phone.state == "idle" for phone in list(line.exchange.phones.values())), what="idle phones")


def test_a_call_transferred_to_bob_who_answers_puts_him_and_the_visitor_in_one_room(line: Line) -> None:
    asked = connected_with_alice(line)
    hire(line, "bob", BOB)
    line.exchange.set_script(BOB, Script("answer", after_seconds=0.3))
    view = call_transfers.transfer_to_agent(line.deps, alice(line), f"{asked.id}-1", "bob")
    assert view["transfer"]["state"] == "offered" and view["held_since"] is not None
    until(lambda: line.exchange.phones[VISITOR].state == "hearing music", what="the visitor on hold")
    assert line.exchange.phones[ALICE].state == "in call"  # Alice stays on the call meanwhile
    until(lambda: line.callback(asked.id).transfer_state == TransferState.ACCEPTED, what="Bob answered")
    room = line.callback(asked.id).room
    until(lambda: line.exchange.phones[BOB].room == room == line.exchange.phones[VISITOR].room, what="one room")
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="Alice's leg ended")
    found = line.callback(asked.id)
    assert (found.agent_id, found.state, found.held_since, found.attempt) == ("bob", CallbackState.CONNECTED, None, 1)
    assert (line.dials_to(BOB), line.dials_to(VISITOR), line.dials_to(ALICE)) == (1, 1, 1)  # one dial of Bob
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and (conversation.status, conversation.agent_id) == (
        ConversationStatus.ASSIGNED, "bob")
    assert (line.agent("alice").call_active, line.agent("bob").call_active) == (0, 1)
    assert line.agent("alice").status is AgentStatus.AWAY  # she wraps up
    no_mismatch(line)
    assert line.exchange.press(BOB, "hang_up")  # Bob ends the call: every leg ends
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    nothing_left_up(line, room)


@pytest.mark.parametrize(("script", "state"), [(Script("busy"), TransferState.REFUSED),
                                               (Script("ring"), TransferState.TIMED_OUT)])
def test_a_transfer_bob_refuses_or_misses_comes_back_to_alice_with_the_visitor_on_hold(
        line: Line, script: Script, state: TransferState) -> None:
    asked = connected_with_alice(line)
    hire(line, "bob", BOB)
    line.exchange.set_script(BOB, script)  # busy: declined (486); ring: rings out (480)
    call_transfers.transfer_to_agent(line.deps, alice(line), f"{asked.id}-1", "bob")
    until(lambda: line.callback(asked.id).transfer_state == state, what=f"the transfer {state}")
    found = line.callback(asked.id)
    assert (found.agent_id, found.state) == ("alice", CallbackState.CONNECTED) and found.held_since is not None
    until(lambda: line.exchange.phones[VISITOR].state == "hearing music", what="still on hold")
    assert line.exchange.phones[ALICE].state == "in call" and line.exchange.phones[BOB].state == "idle"
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and conversation.agent_id == "alice"
    assert line.dials_to(BOB) == 1
    call_controls.resume_call(line.deps, alice(line), f"{asked.id}-1")  # Alice takes the visitor back
    until(lambda: line.exchange.phones[VISITOR].room == found.room, what="back in the room")
    no_mismatch(line)


def test_a_requalified_call_waits_in_the_queue_with_music_and_the_next_agent_joins(line: Line) -> None:
    asked = connected_with_alice(line)
    view = call_transfers.requalify(line.deps, alice(line), f"{asked.id}-1", "default", "Wants a refund")
    assert view["note"] == {"text": "Wants a refund", "by": "Alice"}
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="Alice's leg ended")
    until(lambda: line.exchange.phones[VISITOR].state == "hearing music", what="the visitor waits with music")
    assert line.callback(asked.id).phase.value == "waiting_agent"
    line.exchange.set_script(BOB, ANSWER)
    hire(line, "bob", BOB)
    from chalicelib.services import routing

    routing.pull(line.deps, line.agent("bob"))  # Bob comes Available: he pulls the waiting call
    until(lambda: line.callback(asked.id).agent_id == "bob"
          and line.callback(asked.id).state is CallbackState.CONNECTED, what="connected with Bob")
    room = line.callback(asked.id).room
    until(lambda: line.exchange.phones[BOB].room == room == line.exchange.phones[VISITOR].room, what="one room")
    assert line.callback(asked.id).note == "Wants a refund" and line.dials_to(VISITOR) == 1
    no_mismatch(line)


def test_the_agent_who_hangs_up_during_the_voicemail_leaves_nothing_billing(line: Line) -> None:
    hire(line, ALICE_AGENT, ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, Script("voicemail", after_seconds=0.05))
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="the voicemail answered")
    room = line.callback(asked.id).room
    call_attempts.hang_up_by_agent(line.deps, alice(line), asked.id)  # the call card's Hang up (REST)
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    assert line.callback(asked.id).outcome in ("agent_hung_up", "visitor_hung_up")
    nothing_left_up(line, room)


@pytest.mark.parametrize("who", [VISITOR, ALICE])
def test_a_hang_up_during_hold_ends_every_leg_and_closes_the_room(line: Line, who: str) -> None:
    asked = connected_with_alice(line)
    call_controls.hold_call(line.deps, alice(line), f"{asked.id}-1")
    until(lambda: line.exchange.phones[VISITOR].state == "hearing music", what="on hold")
    room = line.callback(asked.id).room
    assert line.exchange.press(who, "hang_up")
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    nothing_left_up(line, room)
    assert line.callback(asked.id).outcome == ("visitor_hung_up" if who == VISITOR else "agent_hung_up")


def test_a_visitor_who_hangs_up_while_a_transfer_rings_stops_the_targets_phone(line: Line) -> None:
    asked = connected_with_alice(line)
    hire(line, "bob", BOB)
    line.exchange.ring_timeout = 30  # Bob's phone would ring for long
    call_transfers.transfer_to_agent(line.deps, alice(line), f"{asked.id}-1", "bob")
    until(lambda: line.exchange.phones.get(BOB) is not None and line.exchange.phones[BOB].state == "ringing",
          what="Bob's phone rings")
    room = line.callback(asked.id).room
    assert line.exchange.press(VISITOR, "hang_up")
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    until(lambda: line.callback(asked.id).transfer_state == TransferState.FAILED, what="the offer ended")
    nothing_left_up(line, room)


def test_a_control_on_a_call_that_has_ended_answers_a_conflict_and_the_callback_ends(line: Line) -> None:
    """UpdateSipMediaApplicationCall on a call the telephony no longer knows ("call gone": 404) whose HANGUP was
    not handled: the control answers a clear Conflict, and the callback ends as if the visitor hung up."""
    asked = connected_with_alice(line)
    room = line.callback(asked.id).room
    visitor_call = next(c for c in line.exchange.calls.values() if c.to_number == VISITOR)
    with line.exchange.lock:
        visitor_call.state = "ended"  # gone, as far as UpdateSipMediaApplicationCall knows
    frame = ws.handle(line.deps, alice(line), "desk-1", json.dumps(
        {"action": "hold_call", "id": 7, "conversation_id": f"{asked.id}-1"}))
    assert (frame["type"], frame["code"], frame["field"]) == ("error", "conflict", "conversation_id")
    assert "ended" in frame["message"]
    found = line.callback(asked.id)
    assert (found.state, found.outcome) == (CallbackState.ENDED, "visitor_hung_up")
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="Alice's leg hung up")
    until(lambda: room not in line.exchange.rooms, what="the room closed")
    again = ws.handle(line.deps, alice(line), "desk-1", json.dumps(
        {"action": "resume_call", "id": 8, "conversation_id": f"{asked.id}-1"}))
    assert (again["type"], again["code"]) == ("error", "conflict")  # nothing else breaks: a clear refusal again
