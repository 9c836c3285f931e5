"""Callbacks called for real parts (issue 13): DynamoDB, SES and S3 on moto's server, the Chime SDK APIs and the phones
on the phone emulator (local/phone.py), which drives the SMA handler's service with events in the fixtures' shape
and carries out the actions it answers. Every SMA invocation is delivered twice (the emulator's `deliver_twice`)
and every timer fired twice: one dial per party and attempt, and no answer that differs.

Timers are recorded and fired through the same dispatcher as the Lambda's (services/timers.py), at a clock the test
moves, so that five attempts five minutes apart take no real time; the Scheduler and SQS edges have their own test
(test_timers.py), and one test below goes through a real Scheduler schedule."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.callbacks.model import Callback, CallbackState
from chalicelib.domain.model import AgentStatus, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.services import call_controls, callbacks, conversations, tenants
from local.phone import Script
from tests.integration.call_line import ALICE, ANSWER, BOB, VISITOR, Line, ask, hire, until


def test_agent_first_both_answer_then_the_visitor_hangs_up_and_the_agent_comes_back(line: Line) -> None:
    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    room = line.callback(asked.id).room
    until(lambda: line.exchange.phones[ALICE].room == room == line.exchange.phones[VISITOR].room, what="one room")
    assert line.exchange.phones[ALICE].state == line.exchange.phones[VISITOR].state == "in call"
    assert (line.dials_to(ALICE), line.dials_to(VISITOR)) == (1, 1)
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and conversation.status is ConversationStatus.ASSIGNED
    assert conversation.agent_id == "alice" and line.agent("alice").call_active == 1
    sam = Principal(line.tenant, "sam", PrincipalKind.AGENT, roles=frozenset({Role.SUPERVISOR}))
    [live] = call_controls.live_calls(line.deps, sam)["calls"]  # issue 14: the supervisors' Calls view
    assert (live["id"], live["state"], live["agent_name"]) == (asked.id, "connected", "Alice")

    assert line.exchange.press(VISITOR, "hang_up")
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="the agent's leg hung up too")
    assert line.callback(asked.id).outcome == "visitor_hung_up"
    assert call_controls.live_calls(line.deps, sam)["calls"] == []  # its live item went with the state
    assert all(not call.mismatches for call in line.exchange.calls.values())  # a retried invocation: same answer

    alice = Principal(line.tenant, "alice", PrincipalKind.AGENT)
    conversations.close_conversation(line.deps, alice, conversation.id, disposition=None)
    assert line.agent("alice").status is AgentStatus.AWAY
    line.clock.offset += timedelta(seconds=20)
    assert line.fire_due("agent.after_call") == 1
    assert line.agent("alice").status is AgentStatus.AVAILABLE


def test_a_visitor_who_never_answers_is_tried_five_times_then_not_reached(line: Line) -> None:
    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)  # the visitor's phone rings out each time (480)
    started = line.clock.now()
    asked = ask(line)
    for attempt in range(1, 6):
        until(lambda n=attempt: line.dials_to(VISITOR) == n, what=f"attempt {attempt}")  # type: ignore[misc]
        until(lambda n=attempt: line.callback(asked.id).state is not CallbackState.CALLING,  # type: ignore[misc]
              what="the attempt ends")
        found = line.callback(asked.id)
        if attempt < 5:
            assert found.state is CallbackState.RETRYING and found.outcome == "no_answer"
            assert found.next_at is not None
            assert found.next_at - started == pytest.approx(timedelta(minutes=5 * attempt), abs=timedelta(seconds=5))
            until(lambda: line.exchange.phones[ALICE].state == "idle", what="the agent released")
            until(lambda: any(t.kind == "callback.due" for t, _ in line.timers.armed), what="the retry armed")
            line.clock.offset += found.next_at - line.clock.now() + timedelta(milliseconds=10)
            assert line.fire_due("callback.due") == 1
    assert line.callback(asked.id).state is CallbackState.NOT_REACHED
    assert (line.dials_to(VISITOR), line.dials_to(ALICE)) == (5, 5)  # one dial per party and attempt
    until(lambda: line.agent("alice").call_active == 0, what="the last attempt released the agent")
    assert line.agent("alice").status is AgentStatus.AVAILABLE


def test_a_busy_visitor_is_retried_five_minutes_later(line: Line) -> None:
    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, Script("busy"))
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.RETRYING, what="retrying")
    assert line.callback(asked.id).outcome == "busy"


def test_a_voicemail_that_answers_counts_as_connected(line: Line) -> None:
    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, Script("voicemail", after_seconds=0.05))
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    assert line.exchange.phones[VISITOR].voicemail
    assert line.exchange.press(ALICE, "hang_up")  # the agent left a message
    until(lambda: line.callback(asked.id).state is CallbackState.ENDED, what="ended")
    until(lambda: line.exchange.phones[VISITOR].state == "idle", what="the voicemail's leg hung up")
    line.clock.offset += timedelta(minutes=10)
    line.fire_due()
    assert line.dials_to(VISITOR) == 1  # not retried


def test_an_agent_who_does_not_answer_goes_away_and_the_next_agent_gets_the_call(line: Line) -> None:
    hire(line, "alice", ALICE)
    hire(line, "bob", BOB, idle_minutes=5)
    line.exchange.set_script(BOB, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)
    asked = ask(line)  # Alice, idle the longest, is rung first; her phone rings out (480)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    assert line.agent("alice").status is AgentStatus.AWAY
    found = line.callback(asked.id)
    assert (found.agent_id, found.attempt) == ("bob", 1)  # the same attempt: not the visitor's failure
    assert (line.dials_to(ALICE), line.dials_to(BOB), line.dials_to(VISITOR)) == (1, 1, 1)


def test_a_callback_no_agent_takes_expires_and_the_ringing_phone_stops(line: Line) -> None:
    hire(line, "alice", ALICE)  # her phone rings, she never answers within the maximum delay
    line.exchange.ring_timeout = 60
    asked = ask(line)
    until(lambda: line.exchange.phones.get(ALICE) is not None and line.exchange.phones[ALICE].state == "ringing",
          what="ringing")
    line.clock.offset += timedelta(seconds=600)
    assert line.fire_due("callback.expire") == 1
    assert line.callback(asked.id).state is CallbackState.EXPIRED
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="her phone stopped ringing")
    conversation = line.deps.conversations.get(line.tenant, f"{asked.id}-1")
    assert conversation is not None and conversation.status is ConversationStatus.DISSUADED
    assert line.agent("alice").call_active == 0 and line.dials_to(VISITOR) == 0


def test_a_scheduled_callback_is_started_by_its_scheduler_schedule(stack: Any, tenant: str) -> None:
    """The first attempt of a booking more than 15 minutes ahead is an EventBridge Scheduler `at()` schedule whose
    target is the timer queue; the local timer pump fires it at its time into the Lambda's timer handler, and the
    callback's first attempt starts: it waits in its group's queue, ordered by its booked time."""
    import boto3

    import app as lambda_app
    from chalicelib.domain.callbacks.model import CallbackMode
    from chalicelib.services import call_attempts
    from local.timer_pump import TimerPump

    deps = bootstrap.container().deps
    now = deps.clock.now()
    at = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    booked = Callback(tenant=tenant, id=f"cb{uuid.uuid4().hex[:8]}", visitor_id="v-9", phone=VISITOR, name="Ada",
                      mode=CallbackMode.SCHEDULED, created_at=now, at=at, slot="s")
    assert deps.callbacks is not None
    deps.callbacks.open(booked, callbacks.daily_limits(tenants.settings_of(deps, tenant).callback, now))
    call_attempts.arm_first(deps, booked)
    scheduler = boto3.client("scheduler")
    group = stack.env["SCHEDULE_GROUP"]
    ours = [s for s in scheduler.list_schedules(GroupName=group)["Schedules"]
            if booked.id in scheduler.get_schedule(Name=s["Name"], GroupName=group)["Target"]["Input"]]
    assert len(ours) == 1
    detail = scheduler.get_schedule(Name=ours[0]["Name"], GroupName=group)
    assert detail["ScheduleExpression"] == f"at({at.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert json.loads(detail["Target"]["Input"])["kind"] == "callback.due"
    pump = TimerPump(lambda_app.on_timer, queue_url=stack.env["TIMER_QUEUE_URL"], schedule_group=group,
                     endpoint_url=stack.env["AWS_ENDPOINT_URL"])
    pump.pump_once(now=at - timedelta(minutes=1))
    assert deps.callbacks.get(tenant, booked.id).state is CallbackState.BOOKED  # type: ignore[union-attr]
    assert pump.pump_once(now=at + timedelta(seconds=1)).fired == 1
    pump.pump_once(now=at + timedelta(seconds=1))  # the queue delivers it to the timer handler
    started = deps.callbacks.get(tenant, booked.id)
    assert started is not None and (started.state, started.attempt) == (CallbackState.CALLING, 1)
    conversation = deps.conversations.get(tenant, f"{booked.id}-1")
    assert conversation is not None and conversation.status is ConversationStatus.WAITING
    assert conversation.created_at == at


def test_hold_plays_the_music_to_the_visitor_and_resume_interrupts_it(line: Line) -> None:
    """Issue 14 (CB-10), on the emulator: on hold the visitor leaves the room and hears the music in a loop; resume
    interrupts the music (ACTION_INTERRUPTED) and joins them again."""


    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)
    line.exchange.audio_scale = 0.02  # the music's 50 repeats of 0.5 s take 0.5 s: it loops within the test
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected")
    until(lambda: line.exchange.phones[VISITOR].room is not None, what="the visitor in the room")
    alice = Principal(line.tenant, "alice", PrincipalKind.AGENT)
    call_controls.hold_call(line.deps, alice, f"{asked.id}-1")
    until(lambda: line.exchange.phones[VISITOR].state == "hearing music", what="the visitor hears the music")
    assert line.exchange.phones[VISITOR].room is None  # out of the room: Alice cannot hear them
    assert line.exchange.phones[ALICE].state == "in call"
    visitor_call = next(c for c in line.exchange.calls.values() if c.to_number == VISITOR)
    until(lambda: sum(1 for e in visitor_call.events if e["type"] == "ACTION_SUCCESSFUL") >= 2,
          what="the music looped")  # each loop ends, and the flow plays it again while the visitor is held
    call_controls.resume_call(line.deps, alice, f"{asked.id}-1")
    until(lambda: line.exchange.phones[VISITOR].room == line.callback(asked.id).room, what="back in the room")
    assert any(e["type"] == "ACTION_INTERRUPTED" for e in visitor_call.events)
    assert line.exchange.phones[VISITOR].state == "in call"
    assert not visitor_call.mismatches


def test_a_call_transferred_to_a_queue_holds_the_visitor_until_the_next_agent_joins(line: Line) -> None:
    """Issue 14 (CB-10), on the emulator: Alice transfers the call to the queue; the visitor hears the music, her
    leg ends, Bob's phone rings, and when he answers he is in the room with the visitor."""


    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)
    line.exchange.set_script(BOB, Script("answer", after_seconds=0.5))
    line.exchange.audio_scale = 0.02
    asked = ask(line)
    until(lambda: line.callback(asked.id).state is CallbackState.CONNECTED, what="connected with Alice")
    until(lambda: line.exchange.phones[VISITOR].room is not None, what="the visitor in the room")
    hire(line, "bob", BOB)
    call_controls.transfer_to_queue(line.deps, Principal(line.tenant, "alice", PrincipalKind.AGENT),
                                    f"{asked.id}-1", "default")
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="Alice's leg ended")
    until(lambda: line.callback(asked.id).agent_id == "bob"
          and line.callback(asked.id).state is CallbackState.CONNECTED, what="connected with Bob")
    room = line.callback(asked.id).room
    until(lambda: line.exchange.phones[BOB].room == room == line.exchange.phones[VISITOR].room, what="one room")
    assert line.callback(asked.id).attempt == 1 and line.dials_to(VISITOR) == 1  # the same call, not a new attempt
    visitor_call = next(c for c in line.exchange.calls.values() if c.to_number == VISITOR)
    assert not visitor_call.mismatches
