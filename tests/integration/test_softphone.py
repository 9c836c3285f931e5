"""The softphone on the desk (issue 14, CB-6) on the phone emulator: an agent who answers on the desk accepts the
offer through the WebSocket protocol (no phone of theirs rings), the visitor is dialled once and joins the room,
and `join_call` gives a seat in that very room, which the desk's local softphone joins, mutes and leaves through
the emulator's control (local/phone_browsers.py). Every SMA invocation is delivered twice (one answer, one effect).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from chalicelib import ws
from chalicelib.domain.callbacks.model import CallbackState, CallPhase
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind
from local.phone import serving
from local.phone_browsers import browser_routes
from tests.integration.call_line import ALICE, ANSWER, VISITOR, Line, ask, until


def on_desk(line: Line, agent_id: str) -> Principal:
    """An agent who takes calls and answers them on the desk: no line of their own."""
    line.deps.agents.put(Agent(line.tenant, agent_id, agent_id.title(), status=AgentStatus.OFFLINE, takes_calls=True,
                               answer_calls="desk"))
    line.deps.agents.set_status(line.tenant, agent_id, AgentStatus.AVAILABLE, line.clock.now() - timedelta(minutes=10))
    return Principal(line.tenant, agent_id, PrincipalKind.AGENT)


def send(line: Line, who: Principal, **frame: Any) -> dict[str, Any]:
    return ws.handle(line.deps, who, "conn-1", json.dumps({"id": "r1", **frame}))


@pytest.fixture
def control(line: Line) -> Iterator[str]:
    """The emulator's browser-attendee routes (as the local stack mounts them under /__local__/)."""
    with serving(line.exchange, tuple(browser_routes(line.exchange))) as url:
        yield url


def test_a_desk_agent_accepts_the_visitor_is_dialled_once_and_the_desk_gets_a_seat_in_that_room(
        line: Line, control: str) -> None:
    alice = on_desk(line, "alice")
    line.exchange.set_script(VISITOR, ANSWER)
    asked = ask(line)
    conversation_id = f"{asked.id}-1"
    until(lambda: line.callback(asked.id).phase is CallPhase.RINGING_AGENT, what="offered to Alice")
    assert line.callback(asked.id).agent_id == "alice" and not line.exchange.calls  # no phone rings
    offer = line.deps.conversations.get(line.tenant, conversation_id)
    assert offer is not None and offer.offer is not None
    early = send(line, alice, action="join_call", conversation_id=conversation_id)
    assert (early["type"], early["code"], early["field"]) == ("error", "conflict", "conversation_id")

    accepted = send(line, alice, action="accept_offer", conversation_id=conversation_id, offer_id=offer.offer.id)
    assert accepted["type"] == "ack"
    again = send(line, alice, action="accept_offer", conversation_id=conversation_id, offer_id=offer.offer.id)
    assert again["type"] == "error"  # a second click: taken already, nothing dialled twice
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    room = line.callback(asked.id).room
    until(lambda: line.exchange.phones[VISITOR].room == room, what="the visitor in the room")
    assert line.dials_to(VISITOR) == 1 and len(line.exchange.calls) == 1  # the visitor's call, and no other
    [visitor_call] = line.exchange.calls.values()
    assert not visitor_call.mismatches and visitor_call.updates == []  # no command: nobody's leg to join

    joined = send(line, alice, action="join_call", conversation_id=conversation_id)
    assert joined["type"] == "ack" and joined["softphone"] == line.deps.softphone
    meeting, attendee = joined["seat"]["meeting"], joined["seat"]["attendee"]
    assert (meeting["MeetingId"], meeting["ExternalMeetingId"]) == (room, asked.id)
    assert set(meeting["MediaPlacement"]) >= {"AudioHostUrl", "SignalingUrl"}
    assert attendee["ExternalUserId"] == "agent-alice"
    assert attendee["AttendeeId"] in line.exchange.rooms[room].attendees
    bob = Principal(line.tenant, "bob", PrincipalKind.AGENT)
    refused = send(line, bob, action="join_call", conversation_id=conversation_id)
    assert (refused["code"], refused["field"]) == ("forbidden", "conversation_id")

    base = f"{control}/__local__/rooms/{room}/browsers"
    assert requests.post(base, json={"join_token": "not-this-rooms"}, timeout=5).status_code == 403
    assert requests.post(f"{control}/__local__/rooms/gone/browsers", json={"join_token": attendee["JoinToken"]},
                         timeout=5).status_code == 404
    me = requests.post(base, json={"join_token": attendee["JoinToken"]}, timeout=5)
    assert me.status_code == 200
    browser = {"attendee_id": attendee["AttendeeId"], "external_user_id": "agent-alice", "muted": False}
    assert me.json() == {"attendee": browser}

    def the_room() -> dict[str, Any]:
        rooms = requests.get(f"{control}/__local__/rooms", timeout=5).json()["rooms"]
        return next(r for r in rooms if r["meeting_id"] == room)

    assert the_room()["browsers"] == [browser]
    assert [p["number"] for p in the_room()["phones"]] == [VISITOR]  # Alice and the visitor, in one room
    muted = requests.put(f"{base}/{attendee['AttendeeId']}", json={"muted": True}, timeout=5)
    assert muted.json()["attendee"]["muted"] is True and the_room()["browsers"][0]["muted"] is True
    requests.put(f"{base}/{attendee['AttendeeId']}", json={"muted": False}, timeout=5)
    assert the_room()["browsers"][0]["muted"] is False
    assert requests.put(f"{base}/{attendee['AttendeeId']}", json={"muted": "yes"}, timeout=5).status_code == 400
    assert requests.delete(f"{base}/{attendee['AttendeeId']}", timeout=5).status_code == 204
    assert the_room()["browsers"] == []
    assert requests.delete(f"{base}/{attendee['AttendeeId']}", timeout=5).status_code == 404

    hung_up = send(line, alice, action="join_call", conversation_id=conversation_id)
    assert hung_up["type"] == "ack"  # still connected: the desk may join again (a reload)
    line.exchange.press(VISITOR, "hang_up")
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    over = send(line, alice, action="join_call", conversation_id=conversation_id)
    assert (over["code"], over["field"]) == ("conflict", "conversation_id")


def test_an_agent_who_answers_on_their_line_is_rung_and_cannot_accept_on_the_desk(line: Line) -> None:
    on_desk(line, "alice")
    alice = Principal(line.tenant, "alice", PrincipalKind.AGENT)
    switched = send(line, alice, action="set_answer_calls", answer_calls="line")
    assert switched["agent"]["answer_calls"] == "line" and line.agent("alice").answer_calls == "line"
    bad = send(line, alice, action="set_answer_calls", answer_calls="phone")
    assert (bad["type"], bad["field"]) == ("error", "answer_calls")
    line.deps.agents.put(Agent(line.tenant, "alice", "Alice", status=AgentStatus.AVAILABLE, takes_calls=True,
                               own_line=ALICE, idle_since=line.clock.now() - timedelta(minutes=10)))
    asked = ask(line)
    until(lambda: line.dials_to(ALICE) == 1, what="Alice's phone rings")
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and conversation.offer is not None
    refused = send(line, alice, action="accept_offer", conversation_id=conversation.id,
                   offer_id=conversation.offer.id)
    assert (refused["code"], refused["field"]) == ("conflict", "offer_id")
    assert line.callback(asked.id).phase is CallPhase.RINGING_AGENT and line.dials_to(VISITOR) == 0


def test_the_adapter_reads_a_rooms_meeting_and_none_once_it_is_gone(line: Line) -> None:
    telephony = line.deps.telephony
    assert telephony is not None
    room = telephony.open_room("cb-meeting")
    meeting = telephony.meeting(room)
    assert meeting is not None
    assert (meeting["MeetingId"], meeting["ExternalMeetingId"], meeting["MediaRegion"]) == (
        room.meeting_id, "cb-meeting", "us-east-1")
    seat = telephony.add_member(room, "agent-a")
    assert (seat.external_user_id, seat.attendee_id in line.exchange.rooms[room.meeting_id].attendees) == (
        "agent-a", True)
    telephony.close_room(room)
    assert telephony.meeting(room) is None


def test_two_desks_accepting_at_once_dial_the_visitor_once(line: Line) -> None:
    """The agent's two desks (or a double click) race to accept: one wins, the visitor is dialled once."""
    alice = on_desk(line, "alice")
    line.exchange.set_script(VISITOR, ANSWER)
    asked = ask(line)
    conversation_id = f"{asked.id}-1"
    until(lambda: line.callback(asked.id).phase is CallPhase.RINGING_AGENT, what="offered to Alice")
    offer = line.deps.conversations.get(line.tenant, conversation_id)
    assert offer is not None and offer.offer is not None
    offer_id = offer.offer.id
    start = threading.Barrier(2)
    answers: list[dict[str, Any]] = []

    def click() -> None:
        start.wait()
        answers.append(send(line, alice, action="accept_offer", conversation_id=conversation_id, offer_id=offer_id))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=10)
    assert sorted(a["type"] for a in answers) == ["ack", "error"]
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    assert line.dials_to(VISITOR) == 1
