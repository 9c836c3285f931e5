"""ACD mode (issue 14, CB-5) on real parts: DynamoDB and S3 on moto's server, the phones on the phone emulator, every
SMA invocation delivered twice (the `line` fixture, tests/integration/call_line.py). The ACD's phone answers and
types the agent ids of its script (local/phone_digits.py)."""

from __future__ import annotations

import base64
import threading

import pytest

from chalicelib.domain.callbacks.model import CallbackState, CallPhase
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.domain.telephony.model import ActionSucceeded
from chalicelib.services import call_acd, call_audio, routing_admin, tenants
from local.phone import Script
from tests.integration.call_line import ANSWER, BOB, VISITOR, Line, ask, hire, silent_wav, until

ACD = "+33145550000"


def acd_mode(line: Line) -> Principal:
    """The tenant sends its callbacks to its ACD; Bob (on Guichet's desk, Available, no line of his own) has the
    keypad id 4217."""
    admin = Principal(line.tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))
    call_audio.upload(line.deps, admin, "acd_welcome", base64.b64encode(silent_wav(0.5)).decode())
    tenants.change_settings(line.deps, admin, {"callback": {"acd_number": ACD, "acd_welcome_seconds": 1,
                                                            "acd_id_tries": 3, "acd_id_digits": 4}})
    hire(line, "bob", BOB)
    # A desk agent with no phone of Guichet's: at the ACD, the ACD is his line.
    routing_admin.change_agent_settings(line.deps, admin, "bob", {"keypad_id": "4217", "takes_calls": False,
                                                                  "own_line": ""})
    return admin


def test_a_good_id_puts_the_acd_and_the_visitor_in_one_room_and_the_call_on_that_agents_desk(line: Line) -> None:
    acd_mode(line)
    line.exchange.set_script(ACD, Script("answer", after_seconds=0.05, digits=("4217",)))
    line.exchange.set_script(VISITOR, ANSWER)

    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")

    room = line.callback(asked.id).room
    until(lambda: line.exchange.phones[ACD].room == room == line.exchange.phones[VISITOR].room, what="one room")
    found = line.callback(asked.id)
    assert (found.agent_id, found.agent_name, found.acd, found.acd_tries) == ("bob", "Bob", True, 0)
    assert (line.dials_to(ACD), line.dials_to(VISITOR), line.dials_to(BOB)) == (1, 1, 0)
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and conversation.status is ConversationStatus.ASSIGNED
    assert conversation.agent_id == "bob" and line.agent("bob").call_active == 1
    acd_call = next(c for c in line.exchange.calls.values() if c.to_number == ACD)
    asked_for = [e for e in acd_call.events if e["type"] == "CALL_ANSWERED"]
    assert [a["Type"] for a in asked_for[0]["answer"]["Actions"]] == ["PlayAudio", "Pause", "PlayAudioAndGetDigits"]

    assert line.exchange.press(ACD, "hang_up")  # whoever hangs up ends the call for both
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    until(lambda: line.exchange.phones[VISITOR].state == "idle", what="the visitor's leg hung up too")
    assert line.callback(asked.id).outcome == "agent_hung_up"
    assert all(not call.mismatches for call in line.exchange.calls.values())  # each invocation twice: one answer


def test_a_bad_id_three_times_hangs_up_the_acd_and_ends_the_attempt(line: Line) -> None:
    acd_mode(line)
    line.exchange.set_script(ACD, Script("answer", after_seconds=0.05, digits=("9999", "0000", "1111")))
    line.exchange.set_script(VISITOR, ANSWER)

    asked = ask(line)
    until(lambda: line.callback(asked.id).state is not CallbackState.CALLING, what="the attempt ends")

    ended = line.callback(asked.id)
    assert (ended.state, ended.outcome, ended.acd_tries) == (CallbackState.RETRYING, "acd_unknown_agent", 3)
    until(lambda: line.exchange.phones[ACD].state == "idle", what="the ACD's leg hung up")
    acd_call = next(c for c in line.exchange.calls.values() if c.to_number == ACD)
    assert acd_call.outcome == "hung up by the application"
    received = [e for e in acd_call.events if e["type"] == "ACTION_SUCCESSFUL"]
    assert len(received) == 3  # one ask per try, each answered once although delivered twice
    assert line.dials_to(VISITOR) == 0  # the visitor was never called
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and not conversation.status.is_open
    assert all(not call.mismatches for call in line.exchange.calls.values())


def test_an_acd_that_does_not_answer_is_retried_on_the_grid(line: Line) -> None:
    acd_mode(line)  # the ACD's phone rings out (480)
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is not CallbackState.CALLING, what="the attempt ends")
    assert line.callback(asked.id).state is CallbackState.RETRYING and line.callback(asked.id).outcome == "no_answer"
    assert line.dials_to(VISITOR) == 0


def test_keypad_ids_are_unique_in_the_tenant_on_dynamodb(line: Line) -> None:
    admin = acd_mode(line)
    hire(line, "carol", "+33700000003")

    with pytest.raises(Conflict) as taken:
        routing_admin.change_agent_settings(line.deps, admin, "carol", {"keypad_id": "4217"})

    assert taken.value.field == "keypad_id"
    assert line.deps.agents.by_keypad(line.tenant, "4217").id == "bob"  # type: ignore[union-attr]
    routing_admin.change_agent_settings(line.deps, admin, "bob", {"keypad_id": "5000"})
    routing_admin.change_agent_settings(line.deps, admin, "carol", {"keypad_id": "4217"})  # free again
    assert line.deps.agents.by_keypad(line.tenant, "4217").id == "carol"  # type: ignore[union-attr]
    assert line.deps.agents.by_keypad(line.tenant, "5000").id == "bob"  # type: ignore[union-attr]


def test_two_agents_claiming_one_keypad_id_at_once_one_wins(line: Line) -> None:
    admin = acd_mode(line)
    hire(line, "carol", "+33700000003")
    hire(line, "dave", "+33700000004")
    start, outcomes = threading.Barrier(2), dict[str, str]()

    def claim(agent_id: str) -> None:
        start.wait()
        try:
            routing_admin.change_agent_settings(line.deps, admin, agent_id, {"keypad_id": "7777"})
            outcomes[agent_id] = "ok"
        except Conflict as refused:
            outcomes[agent_id] = refused.field or ""

    threads = [threading.Thread(target=claim, args=(agent_id,)) for agent_id in ("carol", "dave")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(outcomes.values()) == ["keypad_id", "ok"]
    winner = next(agent_id for agent_id, outcome in outcomes.items() if outcome == "ok")
    assert line.deps.agents.by_keypad(line.tenant, "7777").id == winner  # type: ignore[union-attr]
    loser = next(agent_id for agent_id in outcomes if agent_id != winner)
    assert line.agent(loser).keypad_id == ""


def test_two_deliveries_of_one_good_id_racing_dial_the_visitor_once(line: Line) -> None:
    acd_mode(line)
    line.exchange.ring_timeout = 30  # the ACD rings on: this test plays its answer's events itself
    asked = ask(line)
    until(lambda: line.exchange.phones.get(ACD) is not None and line.exchange.phones[ACD].state == "ringing",
          what="the ACD rings")
    store = line.deps.callbacks
    assert store is not None
    identifying = store.change(line.tenant, asked.id, {"phase": CallPhase.IDENTIFYING},
                               expect={"phase": CallPhase.CALLING_ACD})
    assert identifying is not None
    event = ActionSucceeded(transaction_id="tx", sequence=5, action="PlayAudioAndGetDigits", received_digits="4217")
    attributes = {"tenant": line.tenant, "callback": asked.id, "attempt": "1", "party": "acd"}
    start, answers = threading.Barrier(2), list[list[str]]()

    def deliver() -> None:
        start.wait()
        answer = call_acd.on_event(line.deps, identifying, attributes, event)
        answers.append([type(action).__name__ for action in answer.actions])

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(answers) == [[], ["JoinChimeMeeting"]]  # one delivery acted; the other found it done
    until(lambda: line.dials_to(VISITOR) == 1, what="the visitor dialled")
    assert line.callback(asked.id).agent_id == "bob"
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and conversation.agent_id == "bob" and line.agent("bob").call_active == 1
