"""The callback's call flow, step by step (issue 13: CB-3, CB-4, CB-6 to CB-8): timers, routing, the SMA's events
for the agent's and the visitor's calls, in memory. The same flow runs on moto's server and the phone emulator in
tests/integration/test_callback_calls.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState, CallPhase
from chalicelib.domain.callbacks.settings import CallbackSettings
from chalicelib.domain.model import Agent, AgentStatus, ConversationStatus, Principal, PrincipalKind
from chalicelib.domain.telephony.commands import CallCommandKind
from chalicelib.ports import Deps
from chalicelib.services import call_attempts, call_flow, calls, conversations, timers
from tests.unit.fakes import FakeSmaInvocations, FakeTimers, make_deps
from tests.unit.fakes_calls import Calls, Dialled, FakeAudio, FakeCallbacks, FakeTelephony

T = "t"
VISITOR_PHONE = "+33612345678"
LINES = {"alice": "+33700000001", "bob": "+33700000002"}


def setup(call_order: str = "agent_first", hold_music: str = "audio/t/hold.wav",
          agents: tuple[str, ...] = ("alice",)) -> tuple[Deps, FakeTelephony, Calls]:
    deps = make_deps(T)
    telephony = FakeTelephony()
    deps = replace(deps, callbacks=FakeCallbacks(), telephony=telephony, audio=FakeAudio())
    tenant = deps.tenants.get(T)
    assert tenant is not None
    settings = replace(tenant.settings, callback=replace(CallbackSettings(), call_order=call_order,
                                                         hold_music=hold_music))
    deps.tenants.put(replace(tenant, settings=settings))  # type: ignore[attr-defined]
    for index, name in enumerate(agents):
        deps.agents.put(Agent(T, name, name.title(), status=AgentStatus.AVAILABLE, takes_calls=True,
                              own_line=LINES[name], idle_since=deps.clock.now() - timedelta(minutes=10 - index)))
    return deps, telephony, Calls(telephony)


def ask(deps: Deps, *, at: datetime | None = None, callback_id: str = "cb1") -> Callback:
    mode = CallbackMode.SCHEDULED if at else CallbackMode.IMMEDIATE
    callback = Callback(tenant=T, id=callback_id, visitor_id="v1", phone=VISITOR_PHONE, name="Ada", mode=mode,
                        created_at=deps.clock.now(), at=at, slot="slot" if at else "")
    assert isinstance(deps.callbacks, FakeCallbacks)
    deps.callbacks.items[(T, callback.id)] = callback
    call_attempts.arm_first(deps, callback)
    return callback


def run_timers(deps: Deps, twice: bool = False) -> int:
    """Fires every timer that is due (each twice: delivery is at least once); answers how many were due."""
    assert isinstance(deps.timers, FakeTimers)
    due = [(t, at) for t, at in deps.timers.armed if at <= deps.clock.now()]
    deps.timers.armed = [(t, at) for t, at in deps.timers.armed if at > deps.clock.now()]
    for timer, _ in sorted(due, key=lambda item: item[1]):
        body = json.dumps({"kind": timer.kind, "tenant": timer.tenant, **timer.payload})
        for _ in range(2 if twice else 1):
            timers.fire(deps, body)
    return len(due)


def sma(deps: Deps, calls_: Calls, call: Dialled, event: dict[str, Any], twice: bool = False) -> dict[str, Any]:
    response = calls.on_sma_event(deps, event, call_flow.flow_for(deps))
    if twice:  # the SMA retries an invocation it got no answer to within 5 s: the same answer, nothing twice
        assert calls.on_sma_event(deps, event, call_flow.flow_for(deps)) == response
    return calls_.remember(call, response)


def ring_and_answer(deps: Deps, calls_: Calls, call: Dialled, twice: bool = False) -> dict[str, Any]:
    sma(deps, calls_, call, calls_.new(call), twice)
    return sma(deps, calls_, call, calls_.answered(call), twice)


def callback(deps: Deps) -> Callback:
    found = deps.callbacks.get(T, "cb1") if deps.callbacks else None
    assert found is not None
    return found


def action_types(response: dict[str, Any]) -> list[str]:
    return [action["Type"] for action in response["Actions"]]


def connected(deps: Deps, telephony: FakeTelephony, calls_: Calls) -> Dialled:
    """An immediate callback asked for and started, the agent's phone and the visitor's both answered: the
    visitor's call."""
    ask(deps)
    run_timers(deps)
    ring_and_answer(deps, calls_, telephony.dials[0])
    visitor_call = telephony.dials[1]
    ring_and_answer(deps, calls_, visitor_call)
    return visitor_call


def test_agent_first_both_answer_then_the_visitor_hangs_up_and_the_agent_is_back_after_the_delay() -> None:
    deps, telephony, calls_ = setup()
    ask(deps)
    assert run_timers(deps, twice=True) == 1
    [agent_call] = telephony.dials  # one dial, although the timer came twice
    assert agent_call.to == LINES["alice"] and agent_call.arguments["party"] == "agent"
    assert callback(deps).phase is CallPhase.RINGING_AGENT

    answer = ring_and_answer(deps, calls_, agent_call, twice=True)
    assert action_types(answer) == ["PlayAudio"]  # hold music while the visitor is dialled (CB-7)
    assert answer["Actions"][0]["Parameters"]["AudioSource"]["Key"] == "audio/t/hold.wav"
    assert [d.to for d in telephony.dials] == [LINES["alice"], VISITOR_PHONE]  # the visitor once
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.status is ConversationStatus.ASSIGNED  # answering accepted
    assert conversation.agent_id == "alice" and callback(deps).phase is CallPhase.CALLING_VISITOR

    visitor_call = telephony.dials[1]
    joined = ring_and_answer(deps, calls_, visitor_call, twice=True)
    assert action_types(joined) == ["JoinChimeMeeting"]  # no recording: it is off by default
    assert callback(deps).state is CallbackState.CONNECTED
    assert callback(deps).connected_at == deps.clock.now()  # the reports' "connected on attempt n" (issue 15)
    join_agent = [c for call, c in telephony.commands if call == agent_call.call_id]
    assert [c.kind for c in join_agent] == [CallCommandKind.JOIN_ROOM]  # the agent leaves the music for the room

    sma(deps, calls_, visitor_call, calls_.hangup(visitor_call), twice=True)
    assert callback(deps).state is CallbackState.ENDED and callback(deps).outcome == "visitor_hung_up"
    assert (agent_call.call_id, CallCommandKind.HANG_UP) in [(call, c.kind) for call, c in telephony.commands]
    assert telephony.closed == ["meeting-cb1"]

    alice = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
    conversations.close_conversation(deps, alice, "cb1-1", disposition=None)
    assert deps.agents.get(T, "alice").status is AgentStatus.AWAY  # type: ignore[union-attr]
    deps.clock.advance(seconds=19)  # type: ignore[attr-defined]
    run_timers(deps)
    assert deps.agents.get(T, "alice").status is AgentStatus.AWAY  # type: ignore[union-attr]
    deps.clock.advance(seconds=1)  # type: ignore[attr-defined]
    run_timers(deps)
    assert deps.agents.get(T, "alice").status is AgentStatus.AVAILABLE  # type: ignore[union-attr]
    assert len(telephony.dials) == 2


def test_an_agent_who_went_away_during_the_delay_stays_away() -> None:
    deps, telephony, calls_ = setup()
    connected(deps, telephony, calls_)
    sma(deps, calls_, telephony.dials[1], calls_.hangup(telephony.dials[1]))
    alice = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
    conversations.close_conversation(deps, alice, "cb1-1", disposition=None)
    away = deps.agents.get(T, "alice")
    assert away is not None
    deps.agents.put(replace(away, version=away.version + 1))  # the agent chose Away themselves meanwhile
    deps.clock.advance(seconds=20)  # type: ignore[attr-defined]
    run_timers(deps)
    assert deps.agents.get(T, "alice").status is AgentStatus.AWAY  # type: ignore[union-attr]


def test_a_visitor_who_never_answers_is_called_five_times_five_minutes_apart_then_not_reached() -> None:
    deps, telephony, calls_ = setup()
    start = deps.clock.now()
    ask(deps)
    starts, next_ats = [], []
    for attempt in range(1, 6):
        run_timers(deps, twice=True)
        starts.append(deps.clock.now())
        agent_call = telephony.dials[-1]
        assert agent_call.arguments["attempt"] == str(attempt)
        ring_and_answer(deps, calls_, agent_call)
        visitor_call = telephony.dials[-1]
        assert visitor_call.to == VISITOR_PHONE
        sma(deps, calls_, visitor_call, calls_.new(visitor_call))
        sma(deps, calls_, visitor_call, calls_.hangup(visitor_call, 480), twice=True)  # rang out
        found = callback(deps)
        next_ats.append(found.next_at)
        assert deps.agents.get(T, "alice").status is AgentStatus.AVAILABLE  # type: ignore[union-attr]
        conversation = deps.conversations.get(T, f"cb1-{attempt}")
        assert conversation is not None and conversation.status is ConversationStatus.CLOSED
        if found.next_at:
            deps.clock.current = found.next_at  # type: ignore[attr-defined]
    assert [s - start for s in starts] == [timedelta(minutes=m) for m in (0, 5, 10, 15, 20)]  # 9:00 ... 9:20
    assert next_ats == [start + timedelta(minutes=m) for m in (5, 10, 15, 20)] + [None]
    assert callback(deps).state is CallbackState.NOT_REACHED and callback(deps).outcome == "no_answer"
    assert [d.to for d in telephony.dials].count(VISITOR_PHONE) == 5  # one dial per attempt
    deps.clock.advance(minutes=30)  # type: ignore[attr-defined]
    assert run_timers(deps) <= 5  # what is left (expiries) changes nothing
    assert [d.to for d in telephony.dials].count(VISITOR_PHONE) == 5


@pytest.mark.parametrize(("sip_code", "outcome"), [(486, "busy"), (500, "failed")])
def test_a_busy_or_failed_visitor_is_retried(sip_code: int, outcome: str) -> None:
    deps, telephony, calls_ = setup()
    ask(deps)
    run_timers(deps)
    ring_and_answer(deps, calls_, telephony.dials[0])
    sma(deps, calls_, telephony.dials[1], calls_.new(telephony.dials[1]))
    sma(deps, calls_, telephony.dials[1], calls_.hangup(telephony.dials[1], sip_code))
    found = callback(deps)
    assert (found.state, found.outcome, found.attempt) == (CallbackState.RETRYING, outcome, 1)
    assert (telephony.dials[0].call_id, CallCommandKind.HANG_UP) in [(c, k.kind) for c, k in telephony.commands]


def test_voicemail_answers_and_counts_as_connected() -> None:
    deps, telephony, calls_ = setup()
    ask(deps)
    run_timers(deps)
    ring_and_answer(deps, calls_, telephony.dials[0])
    ring_and_answer(deps, calls_, telephony.dials[1])  # the voicemail picks up: the SMA cannot tell
    sma(deps, calls_, telephony.dials[0], calls_.hangup(telephony.dials[0]))  # the agent left a message
    found = callback(deps)
    assert (found.state, found.outcome) == (CallbackState.ENDED, "agent_hung_up")
    deps.clock.advance(minutes=10)  # type: ignore[attr-defined]
    run_timers(deps)
    assert len(telephony.dials) == 2  # not retried


def test_an_agent_who_does_not_answer_goes_away_and_the_next_agent_is_rung() -> None:
    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    ask(deps)
    run_timers(deps)
    alice_call = telephony.dials[0]
    assert alice_call.to == LINES["alice"]  # idle the longest
    sma(deps, calls_, alice_call, calls_.new(alice_call))
    sma(deps, calls_, alice_call, calls_.hangup(alice_call, 480), twice=True)  # her phone rang out
    assert deps.agents.get(T, "alice").status is AgentStatus.AWAY  # type: ignore[union-attr]
    assert [d.to for d in telephony.dials] == [LINES["alice"], LINES["bob"]]
    found = callback(deps)
    assert (found.attempt, found.agent_id, found.phase) == (1, "bob", CallPhase.RINGING_AGENT)  # not a failed attempt


def test_an_offer_that_times_out_stops_the_agents_phone_and_rings_the_next() -> None:
    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    ask(deps)
    run_timers(deps)
    deps.clock.advance(seconds=30)  # type: ignore[attr-defined]  # the acceptance interval (CHAT-7)
    run_timers(deps, twice=True)
    assert (telephony.dials[0].call_id, CallCommandKind.HANG_UP) in [(c, k.kind) for c, k in telephony.commands]
    assert [d.to for d in telephony.dials] == [LINES["alice"], LINES["bob"]]
    # Alice picks up too late: her answer accepts nothing and her call is hung up.
    late = ring_and_answer(deps, calls_, telephony.dials[0])
    assert action_types(late) == ["Hangup"]
    assert callback(deps).agent_id == "bob"


def test_a_callback_no_agent_takes_expires_after_the_maximum_delay() -> None:
    deps, telephony, _ = setup(agents=())
    deps.connections.add(Principal(tenant=T, id="v1", kind=PrincipalKind.VISITOR), "widget-1", deps.clock.now())
    ask(deps)
    run_timers(deps)
    assert callback(deps).phase is CallPhase.WAITING_AGENT
    deps.clock.advance(seconds=599)  # type: ignore[attr-defined]
    run_timers(deps)
    assert callback(deps).state is CallbackState.CALLING
    deps.clock.advance(seconds=1)  # type: ignore[attr-defined]
    run_timers(deps, twice=True)
    assert callback(deps).state is CallbackState.EXPIRED
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.status is ConversationStatus.DISSUADED
    assert telephony.dials == []
    frames = [f for f in deps.push.to("widget-1") if f["type"] == "callback.updated"]  # type: ignore[attr-defined]
    assert [f["callback"]["state"] for f in frames] == ["calling", "expired"]  # the widget then offers a slot
    assert frames[-1]["callback"]["phone"] != VISITOR_PHONE  # masked for the page


def test_a_scheduled_callback_starts_by_itself_at_its_time() -> None:
    deps, telephony, _ = setup()
    at = deps.clock.now() + timedelta(hours=1)
    ask(deps, at=at)
    assert run_timers(deps) == 0 and telephony.dials == []
    deps.clock.current = at  # type: ignore[attr-defined]
    assert run_timers(deps) == 1
    assert [d.to for d in telephony.dials] == [LINES["alice"]]
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.created_at == at  # it waits in the order of its time


def test_visitor_first_the_visitor_hears_music_until_the_agent_answers() -> None:
    deps, telephony, calls_ = setup(call_order="visitor_first")
    ask(deps)
    run_timers(deps)
    [visitor_call] = telephony.dials
    assert visitor_call.to == VISITOR_PHONE
    music = ring_and_answer(deps, calls_, visitor_call)
    assert action_types(music) == ["PlayAudio"]
    agent_call = telephony.dials[1]
    assert agent_call.to == LINES["alice"]
    joined = ring_and_answer(deps, calls_, agent_call)
    assert action_types(joined) == ["JoinChimeMeeting"]
    assert callback(deps).state is CallbackState.CONNECTED
    assert [c.kind for call, c in telephony.commands if call == visitor_call.call_id] == [CallCommandKind.JOIN_ROOM]


def test_the_hold_music_loops_again_when_it_runs_out_while_someone_waits() -> None:
    deps, telephony, calls_ = setup()
    ask(deps)
    run_timers(deps)
    agent_call = telephony.dials[0]
    music = ring_and_answer(deps, calls_, agent_call)
    again = sma(deps, calls_, agent_call, calls_.succeeded(agent_call, music["Actions"][0]))
    assert action_types(again) == ["PlayAudio"]


def test_an_agent_without_a_phone_is_offered_no_call() -> None:
    deps, telephony, _ = setup(agents=())
    deps.agents.put(Agent(T, "carol", "Carol", status=AgentStatus.AVAILABLE, takes_calls=True))
    ask(deps)
    run_timers(deps)
    assert telephony.dials == [] and callback(deps).phase is CallPhase.WAITING_AGENT


def test_a_visitor_who_cancels_while_being_called_is_hung_up_and_the_agent_freed() -> None:
    from chalicelib.services import callbacks as callback_service

    deps, telephony, calls_ = setup()
    ask(deps)
    run_timers(deps)
    ring_and_answer(deps, calls_, telephony.dials[0])
    assert isinstance(deps.callbacks, FakeCallbacks)
    visitor = Principal(tenant=T, id="v1", kind=PrincipalKind.VISITOR)
    cancelled = callback_service.cancel_callback(deps, visitor, "cb1")
    assert (cancelled.state, cancelled.since) == (CallbackState.CANCELLED, deps.clock.now())  # its day, for reports
    hung = {call for call, c in telephony.commands if c.kind is CallCommandKind.HANG_UP}
    assert hung == {telephony.dials[0].call_id, telephony.dials[1].call_id}
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.status is ConversationStatus.CLOSED
    assert deps.agents.get(T, "alice").active == 0 and deps.agents.get(T, "alice").call_active == 0  # type: ignore
    late = ring_and_answer(deps, calls_, telephony.dials[1])  # the visitor's phone picks up after all
    assert action_types(late) == ["Hangup"]


def recording_setup() -> tuple[Deps, FakeTelephony, Calls]:
    deps, telephony, calls_ = setup()
    tenant = deps.tenants.get(T)
    assert tenant is not None
    callback_settings = replace(tenant.settings.callback, recording_notice="audio/t/notice.wav")
    deps.tenants.put(replace(tenant, settings=replace(tenant.settings, callback=callback_settings)))  # type: ignore
    return deps, telephony, calls_


@pytest.mark.parametrize(("record", "no_record", "recorded"), [(True, False, True), (False, False, False),
                                                                (True, True, False)])
def test_the_notice_plays_before_recording_and_an_opted_out_visitor_is_never_recorded(
        record: bool, no_record: bool, recorded: bool) -> None:
    deps, telephony, calls_ = recording_setup()
    ask(deps)
    assert isinstance(deps.callbacks, FakeCallbacks)
    deps.callbacks.items[(T, "cb1")] = replace(callback(deps), record=record, no_record=no_record)
    run_timers(deps)
    ring_and_answer(deps, calls_, telephony.dials[0])
    visitor_call = telephony.dials[1]
    joined = ring_and_answer(deps, calls_, visitor_call)
    if not recorded:
        assert action_types(joined) == ["JoinChimeMeeting"]
        return
    assert action_types(joined) == ["PlayAudio", "StartCallRecording", "JoinChimeMeeting"]
    assert joined["Actions"][0]["Parameters"]["AudioSource"]["Key"] == "audio/t/notice.wav"
    start = joined["Actions"][1]["Parameters"]
    assert start["CallId"] == f"leg-{visitor_call.call_id}" and start["Track"] == "BOTH"
    assert start["Destination"]["Location"] == "audio-bucket/recordings/t/cb1"
    # The SMA says where it wrote the file: the recording is linked to the callback and plays from the case.
    key = "recordings/t/cb1/2026/11/21/2026-11-21-09-00-00-000_tx-2_leg-tx-2.wav"
    sma(deps, calls_, visitor_call, calls_.succeeded(visitor_call, {
        "Type": "StartCallRecording", "Parameters": {"CallId": f"leg-{visitor_call.call_id}"},
        "CallRecordingDestination": {"Type": "S3", "Location": f"audio-bucket/{key}"}}))
    assert callback(deps).recording_key == key
    alice = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
    played = call_attempts.recording_url(deps, alice, "cb1")
    assert played["url"] == f"https://audio-bucket.example/{key}?expires=300"
    with pytest.raises(Exception, match="agents only"):
        call_attempts.recording_url(deps, Principal(tenant=T, id="v1", kind=PrincipalKind.VISITOR), "cb1")


def test_the_agent_wraps_up_only_once_the_call_has_ended() -> None:
    from chalicelib.domain.errors import Conflict

    deps, telephony, calls_ = setup()
    connected(deps, telephony, calls_)
    alice = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
    with pytest.raises(Conflict, match="hang up first"):
        conversations.close_conversation(deps, alice, "cb1-1", disposition=None)
    sma(deps, calls_, telephony.dials[1], calls_.hangup(telephony.dials[1]))
    assert conversations.close_conversation(deps, alice, "cb1-1", disposition=None).status is ConversationStatus.CLOSED


def test_ringing_is_answered_without_touching_the_store() -> None:
    deps, telephony, calls_ = setup()
    ask(deps)
    run_timers(deps)
    call = telephony.dials[0]
    sma(deps, calls_, call, calls_.new(call))
    assert isinstance(deps.sma_invocations, FakeSmaInvocations)
    stored = dict(deps.sma_invocations.answers)
    assert sma(deps, calls_, call, calls_.event(call, "RINGING")) == {"SchemaVersion": "1.0", "Actions": []}
    assert deps.sma_invocations.answers == stored  # nothing remembered: its answer never changes


def test_hold_plays_the_music_out_of_the_room_and_resume_brings_the_visitor_back() -> None:
    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.telephony.commands import to_arguments
    from chalicelib.services import call_controls

    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    alice = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
    held = call_controls.hold_call(deps, alice, "cb1-1")
    assert held["held_since"] == "2026-11-21T09:00:00Z"
    with pytest.raises(Conflict, match="on hold already"):
        call_controls.hold_call(deps, alice, "cb1-1")  # another desk, or a double click: one hold
    [(call, command)] = [(c, k) for c, k in telephony.commands if k.kind is CallCommandKind.HOLD]
    assert call == visitor_call.call_id
    on_hold = sma(deps, calls_, visitor_call, calls_.update(visitor_call, to_arguments(command)))
    assert action_types(on_hold) == ["Hangup", "PlayAudio"]  # out of the room, then the music
    assert on_hold["Actions"][0]["Parameters"]["ParticipantTag"] == "LEG-B"
    again = sma(deps, calls_, visitor_call, calls_.succeeded(visitor_call, on_hold["Actions"][1]))
    assert action_types(again) == ["PlayAudio"]  # it loops while the visitor is held

    back = call_controls.resume_call(deps, alice, "cb1-1")
    assert back["held_since"] is None
    join = [k for c, k in telephony.commands if c == visitor_call.call_id][-1]
    assert join.kind is CallCommandKind.JOIN_ROOM
    rejoined = sma(deps, calls_, visitor_call, calls_.update(visitor_call, to_arguments(join)))
    assert action_types(rejoined) == ["JoinChimeMeeting"]
    assert sma(deps, calls_, visitor_call, calls_.succeeded(visitor_call, on_hold["Actions"][1]))["Actions"] == []
    with pytest.raises(Conflict, match="not on hold"):
        call_controls.resume_call(deps, alice, "cb1-1")
    bob = Principal(tenant=T, id="bob", kind=PrincipalKind.AGENT)
    with pytest.raises(Exception, match="not yours"):
        call_controls.hold_call(deps, bob, "cb1-1")


def test_a_visitor_who_hangs_up_on_hold_ends_the_call() -> None:
    from chalicelib.services import call_controls

    deps, telephony, calls_ = setup()
    visitor_call = connected(deps, telephony, calls_)
    call_controls.hold_call(deps, Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT), "cb1-1")
    sma(deps, calls_, visitor_call, calls_.hangup(visitor_call))
    assert callback(deps).state is CallbackState.ENDED
    assert (telephony.dials[0].call_id, CallCommandKind.HANG_UP) in [(c, k.kind) for c, k in telephony.commands]


def test_a_call_transferred_to_a_queue_waits_on_hold_and_the_next_agent_joins_the_visitor() -> None:
    from chalicelib.domain.telephony.commands import to_arguments
    from chalicelib.services import call_controls

    deps, telephony, calls_ = setup(agents=("alice",))
    ask(deps)
    run_timers(deps)
    alice_call = telephony.dials[0]
    ring_and_answer(deps, calls_, alice_call)
    visitor_call = telephony.dials[1]
    ring_and_answer(deps, calls_, visitor_call)
    deps.agents.put(Agent(T, "bob", "Bob", status=AgentStatus.AVAILABLE, takes_calls=True, own_line=LINES["bob"],
                          idle_since=deps.clock.now()))
    alice = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
    moved = call_attempts.store(deps).get(T, "cb1")
    assert moved is not None and moved.agent_id == "alice" and moved.connected_at == deps.clock.now()
    deps.clock.advance(minutes=3)  # type: ignore[attr-defined]
    view = call_controls.transfer_to_queue(deps, alice, "cb1-1", "default")
    assert (view["agent_name"], view["phase"], view["attempt"]) == ("Bob", "ringing_agent", 1)  # same attempt
    commands = [(c, k.kind) for c, k in telephony.commands]
    assert (visitor_call.call_id, CallCommandKind.HOLD) in commands  # the visitor hears the music meanwhile
    assert (alice_call.call_id, CallCommandKind.HANG_UP) in commands
    bob_call = telephony.dials[-1]
    assert bob_call.to == LINES["bob"]
    hold = next(k for c, k in telephony.commands if k.kind is CallCommandKind.HOLD)
    assert action_types(sma(deps, calls_, visitor_call, calls_.update(visitor_call, to_arguments(hold)))) == [
        "Hangup", "PlayAudio"]
    joined = ring_and_answer(deps, calls_, bob_call)
    assert action_types(joined) == ["JoinChimeMeeting"]
    found = callback(deps)
    assert (found.state, found.agent_id, found.held_since) == (CallbackState.CONNECTED, "bob", None)
    assert found.connected_at == moved.connected_at  # connected once: Bob's join keeps the first connection
    assert [k.kind for c, k in telephony.commands if c == visitor_call.call_id][-1] is CallCommandKind.JOIN_ROOM
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.agent_id == "bob"
    assert deps.agents.get(T, "alice").active == 0  # type: ignore[union-attr]  # the fakes count every channel here
    # Alice's leg hangs up meanwhile: it changes nothing of Bob's call.
    sma(deps, calls_, alice_call, calls_.hangup(alice_call))
    assert callback(deps).state is CallbackState.CONNECTED


def test_supervisors_list_the_calls_going_on() -> None:
    from chalicelib.domain.model import Role
    from chalicelib.services import call_controls

    deps, telephony, calls_ = setup()
    connected(deps, telephony, calls_)
    sam = Principal(tenant=T, id="sam", kind=PrincipalKind.AGENT, roles=frozenset({Role.SUPERVISOR}))
    [live] = call_controls.live_calls(deps, sam)["calls"]
    assert (live["id"], live["state"], live["agent_name"], live["held_since"]) == ("cb1", "connected", "Alice", None)
    from chalicelib.domain.errors import Forbidden

    with pytest.raises(Forbidden):
        call_controls.live_calls(deps, Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT))
    sma(deps, calls_, telephony.dials[1], calls_.hangup(telephony.dials[1]))
    assert call_controls.live_calls(deps, sam)["calls"] == []
