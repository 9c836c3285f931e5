"""Consult, conference and the cold transfer to an outside number (issue 14, CB-10: services/call_consult.py) on the
phone emulator, through the `line` fixture: every SMA invocation is delivered twice, and each party is dialled once.
Three phones share the callback's room in a conference (the emulator's rooms hold any number of them)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chalicelib.domain.callbacks.model import CallbackState
from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.services import call_consult
from local.phone import Script
from tests.integration.call_line import ALICE, ANSWER, BOB, VISITOR, Line, ask, hire, until

OUTSIDE = "+33145678901"


def in_the_room(line: Line, room: str) -> set[str]:
    with line.exchange.lock:
        found = line.exchange.rooms.get(room)
        return set(found.present.values()) if found else set()


@contextmanager
def watching(line: Line, room: str, forbidden: Callable[[set[str]], bool]) -> Iterator[list[set[str]]]:
    """Samples who is in the room while the block runs: every sample `forbidden` finds is kept."""
    seen: list[set[str]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            present = in_the_room(line, room)
            if forbidden(present):
                seen.append(present)
            stop.wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        stop.set()
        watcher.join(timeout=2)


def connected(line: Line) -> tuple[str, str, Principal]:
    """Alice on the phone with the visitor: the callback's id, its room, and Alice."""
    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    room = line.callback(asked.id).room
    until(lambda: in_the_room(line, room) == {ALICE, VISITOR}, what="both in the room")
    return asked.id, room, Principal(line.tenant, "alice", PrincipalKind.AGENT)


def test_a_consult_with_another_agent_ends_in_a_conference_of_three_phones(line: Line) -> None:
    callback_id, room, alice = connected(line)
    hire(line, "bob", BOB)
    line.exchange.set_script(BOB, Script("answer", after_seconds=0.3))
    with watching(line, room, lambda present: VISITOR in present and BOB in present) as overheard:
        call_consult.consult(line.deps, alice, f"{callback_id}-1", to_agent="bob")
        until(lambda: line.callback(callback_id).consult_state == "talking", what="Bob answered")
        until(lambda: in_the_room(line, room) == {ALICE, BOB}, what="Alice and Bob alone in the room")
        until(lambda: line.exchange.phones[VISITOR].state == "hearing music", what="the visitor hears the music")
        assert line.exchange.phones[VISITOR].room is None
    assert overheard == []  # the visitor was never in the room with Bob before the conference
    call_consult.conference(line.deps, alice, f"{callback_id}-1")
    until(lambda: in_the_room(line, room) == {ALICE, BOB, VISITOR}, what="the three in one room")
    assert line.exchange.phones[VISITOR].state == "in call"
    assert (line.dials_to(BOB), line.dials_to(VISITOR), line.dials_to(ALICE)) == (1, 1, 1)

    assert line.exchange.press(ALICE, "hang_up")  # Alice leaves: every leg ends, the room closes
    until(lambda: all(line.exchange.phones[n].state == "idle" for n in (ALICE, BOB, VISITOR)), what="all hung up")
    until(lambda: room not in line.exchange.rooms, what="the room closed")
    found = line.callback(callback_id)
    assert (found.state, found.outcome) == (CallbackState.ENDED, "agent_hung_up")
    assert all(not call.mismatches for call in line.exchange.calls.values())


def test_a_consult_with_an_outside_number_then_back_to_the_visitor(line: Line) -> None:
    callback_id, room, alice = connected(line)
    line.exchange.set_script(OUTSIDE, Script("answer", after_seconds=0.2))
    with watching(line, room, lambda present: VISITOR in present and OUTSIDE in present) as overheard:
        call_consult.consult(line.deps, alice, f"{callback_id}-1", to_number="01 45 67 89 01")
        until(lambda: in_the_room(line, room) == {ALICE, OUTSIDE}, what="the number in the room with Alice")
    assert overheard == []
    until(lambda: line.exchange.phones[VISITOR].state == "hearing music", what="the visitor hears the music")
    assert line.exchange.phones[VISITOR].room is None

    back = call_consult.end_consult(line.deps, alice, f"{callback_id}-1")
    assert back["consult"]["outcome"] == "ended"
    until(lambda: line.exchange.phones[OUTSIDE].state == "idle", what="the consulted number hung up")
    until(lambda: in_the_room(line, room) == {ALICE, VISITOR}, what="the visitor back with Alice")
    assert line.exchange.phones[VISITOR].state == "in call"
    found = line.callback(callback_id)
    assert (found.state, found.consult_state, found.held_since) == (CallbackState.CONNECTED, "", None)
    assert line.dials_to(OUTSIDE) == 1
    visitor_call = next(c for c in line.exchange.calls.values() if c.to_number == VISITOR)
    assert not visitor_call.mismatches


def test_a_cold_transfer_to_a_number_then_the_visitor_hangs_up_ends_the_outside_leg(line: Line) -> None:
    callback_id, room, alice = connected(line)
    line.exchange.set_script(OUTSIDE, Script("answer", after_seconds=0.3))
    view = call_consult.transfer_out(line.deps, alice, f"{callback_id}-1", OUTSIDE)
    assert (view["state"], view["outcome"]) == ("ended", "transferred_out")
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="Alice's leg ended")
    until(lambda: in_the_room(line, room) == {VISITOR, OUTSIDE}, what="the visitor put through")
    assert line.callback(callback_id).consult_state == "transferred"
    assert line.exchange.phones[VISITOR].state == line.exchange.phones[OUTSIDE].state == "in call"

    assert line.exchange.press(VISITOR, "hang_up")
    until(lambda: line.exchange.phones[OUTSIDE].state == "idle", what="the outside leg ended")
    until(lambda: room not in line.exchange.rooms, what="the room closed")
    found = line.callback(callback_id)
    assert (found.state, found.outcome, found.consult_state) == (CallbackState.ENDED, "transferred_out", "")
    assert (line.dials_to(OUTSIDE), line.dials_to(VISITOR)) == (1, 1)
    assert all(not call.mismatches for call in line.exchange.calls.values())


def test_two_desks_consulting_at_once_dial_the_consulted_agent_once(line: Line) -> None:
    """The consult's conditional write on DynamoDB (moto) is the guard: of two consult_call sent at the same moment
    (two desks of Alice, a double click), one wins and the other is refused; Bob's phone rings once."""
    from chalicelib.domain.errors import Conflict

    callback_id, _, alice = connected(line)
    hire(line, "bob", BOB)
    line.exchange.set_script(BOB, Script("answer", after_seconds=0.3))
    start = threading.Barrier(2)
    results: list[str] = []

    def desk() -> None:
        start.wait()
        try:
            call_consult.consult(line.deps, alice, f"{callback_id}-1", to_agent="bob")
            results.append("ack")
        except Conflict:
            results.append("conflict")

    desks = [threading.Thread(target=desk) for _ in range(2)]
    for thread in desks:
        thread.start()
    for thread in desks:
        thread.join(timeout=10)
    assert sorted(results) == ["ack", "conflict"]
    until(lambda: line.callback(callback_id).consult_state == "talking", what="Bob answered")
    assert line.dials_to(BOB) == 1
    visitor_call = next(c for c in line.exchange.calls.values() if c.to_number == VISITOR)
    assert [u["guichet_command"] for u in visitor_call.updates] == ["hold"]  # one hold
