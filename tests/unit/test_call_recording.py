"""Recording from the call card (issue 14, CB-9, CB-10), in memory: the two new SMA actions' exact shapes, the
controls (start after the notice, pause, resume) as one conditional change then one command, their refusals, and
what the visitor's leg runs for each command. The same controls run on the phone emulator in
tests/integration/test_call_recording.py."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import ws
from chalicelib.domain.callbacks.recording import RecordingPolicy, RecordingState
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, NotFound
from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.domain.telephony.actions import PauseCallRecording, ResumeCallRecording, SmaResponseRefused, render
from chalicelib.domain.telephony.commands import CallCommandKind, to_arguments
from chalicelib.ports import Deps
from chalicelib.services import call_controls, call_recording, callback_notices
from tests.unit.fakes import FakePush
from tests.unit.fakes_calls import Calls, Dialled, FakeCallbacks, FakeTelephony
from tests.unit.test_call_flow import T, action_types, callback, connected, recording_setup, sma

ALICE = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT)
CALL = "cb1-1"
NOTICE = "audio/t/notice.wav"


def test_pause_and_resume_render_to_their_documented_shapes() -> None:
    assert render([PauseCallRecording("call-id-1"), ResumeCallRecording("call-id-1")]) == {
        "SchemaVersion": "1.0", "Actions": [
            {"Type": "PauseCallRecording", "Parameters": {"CallId": "call-id-1"}},
            {"Type": "ResumeCallRecording", "Parameters": {"CallId": "call-id-1"}}]}
    for action in (PauseCallRecording(""), ResumeCallRecording("")):  # CallId is required (DG)
        with pytest.raises(SmaResponseRefused):
            render([action])


def recorded_tenant(*, enabled: bool = True, record: bool = False, no_record: bool = False
                    ) -> tuple[Deps, FakeTelephony, Calls, Dialled]:
    """A connected call of a tenant whose recording is `enabled`; the callback's draw `record`, its opt-out."""
    deps, telephony, calls_ = recording_setup()
    tenant = deps.tenants.get(T)
    assert tenant is not None
    settings = replace(tenant.settings.callback, recording=RecordingPolicy(enabled=enabled, share_percent=0))
    deps.tenants.put(replace(tenant, settings=replace(tenant.settings, callback=settings)))  # type: ignore
    visitor_call = connected(deps, telephony, calls_)
    assert isinstance(deps.callbacks, FakeCallbacks)
    deps.callbacks.items[(T, "cb1")] = replace(callback(deps), record=record, no_record=no_record)
    return deps, telephony, calls_, visitor_call


def recording_commands(telephony: FakeTelephony) -> list[tuple[str, CallCommandKind]]:
    kinds = {CallCommandKind.START_RECORDING, CallCommandKind.PAUSE_RECORDING, CallCommandKind.RESUME_RECORDING}
    return [(call, command.kind) for call, command in telephony.commands if command.kind in kinds]


def run_last_command(deps: Deps, calls_: Calls, visitor_call: Dialled, telephony: FakeTelephony) -> dict[str, Any]:
    """The SMA delivers the last command sent to the visitor's call (twice: the same answer)."""
    command = [k for c, k in telephony.commands if c == visitor_call.call_id][-1]
    return sma(deps, calls_, visitor_call, calls_.update(visitor_call, to_arguments(command)), twice=True)


def test_start_plays_the_notice_then_records_the_visitors_leg_and_every_desk_hears_it() -> None:
    deps, telephony, calls_, visitor_call = recorded_tenant()
    deps.connections.add(ALICE, "desk-1", deps.clock.now())
    deps.connections.add(ALICE, "desk-2", deps.clock.now())
    before = callback_notices.card_for(deps, deps.conversations.get(T, CALL))  # type: ignore[arg-type]
    assert before is not None
    assert (before["recording_state"], before["may_record"], before["no_record_reason"]) == ("off", True, None)

    view = call_recording.start(deps, ALICE, CALL)
    assert (view["recording_state"], view["may_record"], view["no_record_reason"]) == ("on", True, None)
    assert callback(deps).recording_state is RecordingState.ON
    assert recording_commands(telephony) == [(visitor_call.call_id, CallCommandKind.START_RECORDING)]
    answer = run_last_command(deps, calls_, visitor_call, telephony)
    assert action_types(answer) == ["PlayAudio", "StartCallRecording"]  # told first (CB-9), then recorded
    assert answer["Actions"][0]["Parameters"]["AudioSource"]["Key"] == NOTICE
    assert answer["Actions"][1]["Parameters"] == {
        "CallId": f"leg-{visitor_call.call_id}", "Track": "BOTH",
        "Destination": {"Type": "S3", "Location": "audio-bucket/recordings/t/cb1"}}
    key = "recordings/t/cb1/2026/11/21/2026-11-21-09-00-00-000_tx-2_leg-tx-2.wav"
    sma(deps, calls_, visitor_call, calls_.succeeded(visitor_call, {
        "Type": "StartCallRecording", "Parameters": {"CallId": f"leg-{visitor_call.call_id}"},
        "CallRecordingDestination": {"Type": "S3", "Location": f"audio-bucket/{key}"}}))
    assert callback(deps).recording_key == key  # it plays from the case afterwards, as a drawn call's
    assert isinstance(deps.push, FakePush)
    for desk in ("desk-1", "desk-2"):  # every desk of the agent
        told = [f["callback"] for f in deps.push.to(desk) if f["type"] == "callback.updated"]
        assert (told[0]["recording_state"], told[0]["may_record"]) == ("on", True)


def test_pause_then_resume_move_the_state_and_run_on_the_visitors_leg() -> None:
    deps, telephony, calls_, visitor_call = recorded_tenant()
    call_recording.start(deps, ALICE, CALL)
    assert call_recording.pause(deps, ALICE, CALL)["recording_state"] == "paused"
    paused = run_last_command(deps, calls_, visitor_call, telephony)
    assert paused["Actions"] == [{"Type": "PauseCallRecording",
                                  "Parameters": {"CallId": f"leg-{visitor_call.call_id}"}}]
    assert call_recording.resume(deps, ALICE, CALL)["recording_state"] == "on"
    resumed = run_last_command(deps, calls_, visitor_call, telephony)
    assert resumed["Actions"] == [{"Type": "ResumeCallRecording",
                                   "Parameters": {"CallId": f"leg-{visitor_call.call_id}"}}]
    assert [kind for _, kind in recording_commands(telephony)] == [
        CallCommandKind.START_RECORDING, CallCommandKind.PAUSE_RECORDING, CallCommandKind.RESUME_RECORDING]
    with pytest.raises(Conflict, match="not paused") as refused:
        call_recording.resume(deps, ALICE, CALL)
    assert refused.value.field == "recording"


def test_a_double_click_starts_one_recording() -> None:
    deps, telephony, _, _ = recorded_tenant()
    call_recording.start(deps, ALICE, CALL)
    with pytest.raises(Conflict, match="being recorded already"):
        call_recording.start(deps, ALICE, CALL)
    call_recording.pause(deps, ALICE, CALL)
    with pytest.raises(Conflict, match="paused already"):
        call_recording.pause(deps, ALICE, CALL)
    assert [kind for _, kind in recording_commands(telephony)] == [CallCommandKind.START_RECORDING,
                                                                   CallCommandKind.PAUSE_RECORDING]


def test_two_desks_reading_the_same_state_move_it_once() -> None:
    """The race: both controls read the state before either writes; the conditional write lets one through."""
    deps, telephony, _, _ = recorded_tenant()
    stale = callback(deps)
    call_recording.start(deps, ALICE, CALL)
    with pytest.raises(Conflict, match="changed meanwhile"):
        call_recording._move(deps, ALICE, stale, RecordingState.ON, telephony.commands[-1][1])
    assert len(recording_commands(telephony)) == 1


def test_an_opted_out_visitor_is_never_recorded_and_the_card_says_why() -> None:
    deps, telephony, calls_, visitor_call = recorded_tenant(no_record=True)
    card = callback_notices.card_for(deps, deps.conversations.get(T, CALL))  # type: ignore[arg-type]
    assert card is not None
    assert (card["recording_state"], card["may_record"], card["no_record_reason"]) == (
        "off", False, "the visitor asked not to be recorded")
    for control in (call_recording.start, call_recording.pause, call_recording.resume):
        with pytest.raises(Forbidden, match="the visitor asked not to be recorded") as refused:
            control(deps, ALICE, CALL)
        assert refused.value.field == "recording"
    assert recording_commands(telephony) == [] and callback(deps).recording_state is RecordingState.NONE
    # Even a start command that reached the call some other way records nothing of them.
    answer = sma(deps, calls_, visitor_call, calls_.update(visitor_call, {"guichet_command": "start_recording"}))
    assert answer["Actions"] == []


def test_a_tenant_that_does_not_record_refuses_the_control() -> None:
    deps, telephony, _, _ = recorded_tenant(enabled=False)
    card = callback_notices.card_for(deps, deps.conversations.get(T, CALL))  # type: ignore[arg-type]
    assert card is not None and (card["may_record"], card["no_record_reason"]) == (
        False, "this account does not record calls")
    with pytest.raises(Forbidden, match="does not record calls"):
        call_recording.start(deps, ALICE, CALL)
    assert recording_commands(telephony) == []


def test_a_call_drawn_to_be_recorded_is_on_already_and_can_be_paused() -> None:
    deps, telephony, calls_, visitor_call = recorded_tenant(record=True)
    card = callback_notices.card_for(deps, deps.conversations.get(T, CALL))  # type: ignore[arg-type]
    assert card is not None and card["recording_state"] == "on"
    with pytest.raises(Conflict, match="being recorded already"):
        call_recording.start(deps, ALICE, CALL)
    assert call_recording.pause(deps, ALICE, CALL)["recording_state"] == "paused"
    assert action_types(run_last_command(deps, calls_, visitor_call, telephony)) == ["PauseCallRecording"]


def test_a_visitor_on_hold_keeps_the_music_when_the_recording_pauses() -> None:
    deps, telephony, calls_, visitor_call = recorded_tenant(record=True)
    call_controls.hold_call(deps, ALICE, CALL)
    with pytest.raises(Conflict, match="on hold"):  # the notice must be heard: not while the music plays
        call_recording.start(deps, ALICE, CALL)
    call_recording.pause(deps, ALICE, CALL)
    assert action_types(run_last_command(deps, calls_, visitor_call, telephony)) == ["PauseCallRecording",
                                                                                     "PlayAudio"]


@pytest.mark.parametrize(("who", "error"), [
    (Principal(tenant=T, id="bob", kind=PrincipalKind.AGENT), Forbidden),  # not Bob's call
    (Principal(tenant=T, id="v1", kind=PrincipalKind.VISITOR), Forbidden),
])
def test_only_the_agent_who_holds_the_call_records_it(who: Principal, error: type[DomainError]) -> None:
    deps, telephony, _, _ = recorded_tenant()
    with pytest.raises(error):
        call_recording.start(deps, who, CALL)
    with pytest.raises(NotFound):
        call_recording.start(deps, ALICE, "cb1-7")
    assert recording_commands(telephony) == []


def test_a_call_not_connected_cannot_be_recorded() -> None:
    deps, _, calls_, visitor_call = recorded_tenant()
    sma(deps, calls_, visitor_call, calls_.hangup(visitor_call))
    with pytest.raises(Conflict, match="not in progress") as refused:
        call_recording.start(deps, ALICE, CALL)
    assert refused.value.field == "conversation_id"


def test_the_websocket_actions_ack_the_callback_and_refusals_name_the_field() -> None:
    deps, _, _, _ = recorded_tenant(no_record=True)
    refused = ws.handle(deps, ALICE, "conn", json.dumps({"action": "start_recording", "id": "r1",
                                                        "conversation_id": CALL}))
    assert refused == {"type": "error", "id": "r1", "code": "forbidden",
                       "message": "the visitor asked not to be recorded", "field": "recording"}
    assert isinstance(deps.callbacks, FakeCallbacks)
    deps.callbacks.items[(T, "cb1")] = replace(callback(deps), no_record=False)
    acked = ws.handle(deps, ALICE, "conn", json.dumps({"action": "start_recording", "id": "r2",
                                                      "conversation_id": CALL}))
    assert (acked["type"], acked["action"], acked["callback"]["recording_state"]) == ("ack", "start_recording", "on")
    for action, state in (("pause_recording", "paused"), ("resume_recording", "on")):
        answer = ws.handle(deps, ALICE, "conn", json.dumps({"action": action, "id": 3, "conversation_id": CALL}))
        assert answer["callback"]["recording_state"] == state
    missing = ws.handle(deps, ALICE, "conn", json.dumps({"action": "pause_recording", "id": 4}))
    assert (missing["code"], missing["field"]) == ("missing_field", "conversation_id")


def test_visitor_first_a_recorded_call_links_its_recording_then_plays_the_music() -> None:
    """Visitor first (CB-7) with a call drawn to be recorded: the SMA reports only a list's last action, so the
    answer ends with StartCallRecording, whose success carries the recording's key; the music follows on it."""
    from tests.unit.test_call_flow import ask, ring_and_answer, run_timers, setup

    deps, telephony, calls_ = setup(call_order="visitor_first")
    tenant = deps.tenants.get(T)
    assert tenant is not None and isinstance(deps.callbacks, FakeCallbacks)
    settings = replace(tenant.settings.callback, recording_notice="audio/t/notice.wav")
    deps.tenants.put(replace(tenant, settings=replace(tenant.settings, callback=settings)))  # type: ignore
    ask(deps)
    deps.callbacks.items[(T, "cb1")] = replace(callback(deps), record=True)
    run_timers(deps)
    [visitor_call] = telephony.dials
    answered = ring_and_answer(deps, calls_, visitor_call)
    assert action_types(answered) == ["PlayAudio", "StartCallRecording"]
    key = "recordings/t/cb1/2026/11/21/2026-11-21-09-00-00-000_tx-1_leg-tx-1.wav"
    music = sma(deps, calls_, visitor_call, calls_.succeeded(visitor_call, {
        "Type": "StartCallRecording", "Parameters": {"CallId": f"leg-{visitor_call.call_id}"},
        "CallRecordingDestination": {"Type": "S3", "Location": f"audio-bucket/{key}"}}), twice=True)
    assert callback(deps).recording_key == key
    assert action_types(music) == ["PlayAudio"]
    assert music["Actions"][0]["Parameters"]["AudioSource"]["Key"] == "audio/t/hold.wav"
