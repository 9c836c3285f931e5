"""ACD mode (issue 14, CB-5), in memory: the settings and their errors, the agents' keypad ids, the id prompt as the
SMA documents PlayAudioAndGetDigits, and the call flow with fakes (a good id; a wrong id then a good one; a bad id
on every try; the ACD not answering), each SMA invocation delivered twice. On the emulator:
tests/integration/test_call_acd.py."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.callbacks.acd import AcdSettings
from chalicelib.domain.callbacks.model import CallbackState, CallPhase
from chalicelib.domain.callbacks.settings import CallbackSettings, callback_settings_from_json
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.model import AgentStatus, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.domain.routing import RoutingConfig, agent_settings_from_json
from chalicelib.domain.telephony.actions import render
from chalicelib.domain.telephony.commands import CallCommandKind
from chalicelib.ports import Deps
from chalicelib.services import call_acd, callbacks, routing_admin
from tests.unit.fakes_calls import Calls, Dialled, FakeTelephony
from tests.unit.test_call_flow import VISITOR_PHONE, T, action_types, ask, callback, run_timers, setup, sma

ACD = "+33145550000"
WELCOME, PROMPT = "audio/t/acd_welcome-aaaaaaaaaaaa.wav", "audio/t/acd_prompt-bbbbbbbbbbbb.wav"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-events"  # copies of shared/aws-events


# ---- settings ---------------------------------------------------------------------------------------------------
def test_acd_mode_is_off_by_default_and_its_settings_round_trip() -> None:
    assert CallbackSettings().acd == AcdSettings() and not AcdSettings().on

    settings = callback_settings_from_json({"acd_number": "+33 1 45 55 00 00", "acd_welcome": WELCOME,
                                            "acd_welcome_ms": 3500, "acd_welcome_seconds": 8, "acd_id_tries": 5,
                                            "acd_id_digits": 6})

    assert settings.acd == AcdSettings(ACD, WELCOME, 3500, "", 8, 5, 6) and settings.acd.on
    assert settings.acd.silence_ms == 4500 and settings.acd.asking == WELCOME
    assert callback_settings_from_json({"acd_number": ""}, settings).acd.on is False


@pytest.mark.parametrize(("changes", "field"), [
    ({"acd_number": "01 45 55 00 00", "acd_welcome": WELCOME}, "callback.acd_number"),  # no country code
    ({"acd_number": "+33 8 99 00 00 00", "acd_welcome": WELCOME}, "callback.acd_number"),  # premium rate
    ({"acd_number": "+33 1", "acd_welcome": WELCOME}, "callback.acd_number"),
    ({"acd_number": 33145550000}, "callback.acd_number"),
    ({"acd_number": ACD}, "callback.acd_welcome"),  # no welcome: nothing to ask with
    ({"acd_welcome": "welcome.mp3"}, "callback.acd_welcome"),
    ({"acd_prompt": "../t-2/prompt.wav"}, "callback.acd_prompt"),
    ({"acd_welcome_seconds": 61}, "callback.acd_welcome_seconds"),
    ({"acd_welcome_seconds": -1}, "callback.acd_welcome_seconds"),
    ({"acd_id_tries": 0}, "callback.acd_id_tries"),
    ({"acd_id_tries": 6}, "callback.acd_id_tries"),
    ({"acd_id_tries": "3"}, "callback.acd_id_tries"),
    ({"acd_id_digits": 13}, "callback.acd_id_digits"),
    ({"acd_welcome_ms": 60_001}, "callback.acd_welcome_ms"),
])
def test_a_bad_acd_setting_names_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        callback_settings_from_json(changes, CallbackSettings())
    assert refused.value.field == field


def test_a_toll_free_acd_number_is_accepted() -> None:
    settings = callback_settings_from_json({"acd_number": "+33 800 12 34 56", "acd_welcome": WELCOME})
    assert settings.acd.number == "+33800123456"


# ---- keypad ids -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["12a4", "1234567890123", 1234, "+1234"])
def test_a_keypad_id_is_digits_only(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        agent_settings_from_json({"keypad_id": value}, RoutingConfig())
    assert refused.value.field == "keypad_id"


def test_a_keypad_id_is_unique_in_the_tenant_and_found_by_lookup() -> None:
    deps, _, _ = setup(agents=("alice", "bob"))
    admin = Principal(tenant=T, id="alice", kind=PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))

    assert routing_admin.change_agent_settings(deps, admin, "alice", {"keypad_id": " 1234 "}).keypad_id == "1234"
    with pytest.raises(Conflict) as taken:
        routing_admin.change_agent_settings(deps, admin, "bob", {"keypad_id": "1234"})

    assert taken.value.field == "keypad_id"
    assert deps.agents.by_keypad(T, "1234").id == "alice"  # type: ignore[union-attr]
    assert routing_admin.change_agent_settings(deps, admin, "alice", {"keypad_id": ""}).keypad_id == ""
    assert deps.agents.by_keypad(T, "1234") is None


# ---- the id prompt ----------------------------------------------------------------------------------------------
def test_the_id_prompt_has_the_documented_shape_of_play_audio_and_get_digits() -> None:
    deps, _, _ = setup()
    acd = AcdSettings(ACD, WELCOME, 0, PROMPT, 10, 3, 4)
    [ask_action] = call_acd._ask(deps, acd, 3)
    rendered = render([ask_action])["Actions"][0]  # type: ignore[index]
    documented = json.loads((FIXTURES / "chime-sma-action-successful-play-audio-and-get-digits.json").read_text())
    doc_parameters = documented["ActionData"]["Parameters"]

    assert rendered["Type"] == documented["ActionData"]["Type"] == "PlayAudioAndGetDigits"
    assert set(doc_parameters) - {"CallId"} <= set(rendered["Parameters"])
    assert rendered["Parameters"] == {
        "ParticipantTag": "LEG-A",
        "AudioSource": {"Type": "S3", "BucketName": "audio-bucket", "Key": PROMPT},
        "FailureAudioSource": {"Type": "S3", "BucketName": "audio-bucket", "Key": PROMPT},
        "MinNumberOfDigits": 4, "MaxNumberOfDigits": 4, "TerminatorDigits": ["#"], "Repeat": 3,
        "RepeatDurationInMilliseconds": 10000, "InputDigitsRegex": "^\\d{4}$",
        "InBetweenDigitsDurationInMilliseconds": 5000}


# ---- the call flow ----------------------------------------------------------------------------------------------
def acd_setup(tries: int = 3) -> tuple[Deps, FakeTelephony, Calls]:
    deps, telephony, calls_ = setup(agents=("alice", "bob"))
    tenant = deps.tenants.get(T)
    assert tenant is not None
    acd = AcdSettings(ACD, WELCOME, 4000, PROMPT, 10, tries, 4)
    deps.tenants.put(replace(tenant, settings=replace(  # type: ignore[attr-defined]
        tenant.settings, callback=replace(tenant.settings.callback, acd=acd))))
    deps.agents.put(replace(deps.agents.get(T, "bob"), keypad_id="4217"))  # type: ignore[arg-type]
    return deps, telephony, calls_


def digits(calls_: Calls, call: Dialled, typed: str) -> dict[str, Any]:
    return calls_.succeeded(call, {"Type": "PlayAudioAndGetDigits", "Parameters": {"CallId": f"leg-{call.call_id}"},
                                   "ReceivedDigits": typed})


def acd_answered(deps: Deps, telephony: FakeTelephony, calls_: Calls) -> tuple[Dialled, dict[str, Any]]:
    ask(deps)
    assert run_timers(deps, twice=True) == 1
    [acd_call] = telephony.dials  # the ACD once, and no agent of Guichet's rung
    assert acd_call.to == ACD and acd_call.arguments["party"] == "acd"
    assert callback(deps).phase is CallPhase.CALLING_ACD and callback(deps).agent_call == acd_call.call_id
    sma(deps, calls_, acd_call, calls_.new(acd_call), twice=True)
    return acd_call, sma(deps, calls_, acd_call, calls_.answered(acd_call), twice=True)


def test_a_good_id_joins_the_room_dials_the_visitor_and_puts_the_call_on_that_agents_desk() -> None:
    deps, telephony, calls_ = acd_setup()
    acd_call, answer = acd_answered(deps, telephony, calls_)
    assert action_types(answer) == ["PlayAudio", "Pause", "PlayAudioAndGetDigits"]
    assert answer["Actions"][0]["Parameters"]["AudioSource"]["Key"] == WELCOME
    assert answer["Actions"][1]["Parameters"]["DurationInMilliseconds"] == "6000"  # 10 s in all, welcome 4 s
    assert answer["Actions"][2]["Parameters"]["Repeat"] == 3
    assert callback(deps).phase is CallPhase.IDENTIFYING

    joined = sma(deps, calls_, acd_call, digits(calls_, acd_call, "4217"), twice=True)

    assert action_types(joined) == ["JoinChimeMeeting"]
    assert joined["Actions"][0]["Parameters"]["MeetingId"] == "meeting-cb1"
    taken = callback(deps)
    assert (taken.phase, taken.agent_id, taken.agent_name) == (CallPhase.CALLING_VISITOR, "bob", "Bob")
    assert [d.to for d in telephony.dials] == [ACD, VISITOR_PHONE]  # the visitor once
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.status is ConversationStatus.ASSIGNED
    assert conversation.agent_id == "bob"

    visitor_call = telephony.dials[1]
    sma(deps, calls_, visitor_call, calls_.new(visitor_call), twice=True)
    answered = sma(deps, calls_, visitor_call, calls_.answered(visitor_call), twice=True)
    assert action_types(answered) == ["JoinChimeMeeting"] and callback(deps).state is CallbackState.CONNECTED
    assert [c for call, c in telephony.commands if call == acd_call.call_id] == []  # already in the room

    sma(deps, calls_, acd_call, calls_.hangup(acd_call), twice=True)  # the ACD's agent hangs up: both end
    assert callback(deps).state is CallbackState.ENDED and callback(deps).outcome == "agent_hung_up"
    assert (visitor_call.call_id, CallCommandKind.HANG_UP) in [(call, c.kind) for call, c in telephony.commands]


def test_a_wrong_id_is_asked_again_with_the_tries_left_then_a_good_one_is_taken() -> None:
    deps, telephony, calls_ = acd_setup()
    acd_call, _ = acd_answered(deps, telephony, calls_)

    again = sma(deps, calls_, acd_call, digits(calls_, acd_call, "9999"), twice=True)

    assert action_types(again) == ["PlayAudioAndGetDigits"] and again["Actions"][0]["Parameters"]["Repeat"] == 2
    assert callback(deps).acd_tries == 1 and callback(deps).phase is CallPhase.IDENTIFYING
    assert [d.to for d in telephony.dials] == [ACD]
    joined = sma(deps, calls_, acd_call, digits(calls_, acd_call, "4217"), twice=True)
    assert action_types(joined) == ["JoinChimeMeeting"] and callback(deps).agent_id == "bob"
    assert [d.to for d in telephony.dials] == [ACD, VISITOR_PHONE]


def test_a_bad_id_on_every_try_hangs_up_the_acd_and_ends_the_attempt_retried() -> None:
    deps, telephony, calls_ = acd_setup()
    acd_call, _ = acd_answered(deps, telephony, calls_)

    for typed in ("9999", "0000"):
        assert action_types(sma(deps, calls_, acd_call, digits(calls_, acd_call, typed), twice=True)) == [
            "PlayAudioAndGetDigits"]
    last = sma(deps, calls_, acd_call, digits(calls_, acd_call, "1111"), twice=True)

    assert action_types(last) == ["Hangup"]
    ended = callback(deps)
    assert (ended.state, ended.outcome, ended.phase) == (CallbackState.RETRYING, "acd_unknown_agent", CallPhase.NONE)
    assert [d.to for d in telephony.dials] == [ACD]  # the visitor was never called
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and not conversation.status.is_open
    sma(deps, calls_, acd_call, calls_.hangup(acd_call), twice=True)  # its hang-up changes nothing more
    assert callback(deps) == ended


def test_the_sma_running_out_of_tries_ends_the_attempt_too() -> None:
    deps, telephony, calls_ = acd_setup()
    acd_call, _ = acd_answered(deps, telephony, calls_)
    failed = calls_.event(acd_call, "ACTION_FAILED", {"Type": "PlayAudioAndGetDigits", "Parameters": {},
                                                      "ErrorType": "InvalidDigitsReceived"})

    assert action_types(sma(deps, calls_, acd_call, failed, twice=True)) == ["Hangup"]
    assert callback(deps).outcome == "acd_unknown_agent" and callback(deps).state is CallbackState.RETRYING


def test_an_acd_that_does_not_answer_follows_the_retry_grid() -> None:
    deps, telephony, calls_ = acd_setup()
    ask(deps)
    run_timers(deps)
    [acd_call] = telephony.dials
    sma(deps, calls_, acd_call, calls_.new(acd_call))
    sma(deps, calls_, acd_call, calls_.hangup(acd_call, 480), twice=True)

    assert callback(deps).state is CallbackState.RETRYING and callback(deps).outcome == "no_answer"
    deps.clock.advance(seconds=300)  # type: ignore[attr-defined]
    run_timers(deps, twice=True)
    assert [d.to for d in telephony.dials] == [ACD, ACD]  # attempt 2 dials the ACD again, once
    assert callback(deps).attempt == 2 and callback(deps).acd_tries == 0


def test_call_me_now_is_offered_in_acd_mode_whether_guichets_agents_are_available_or_not() -> None:
    deps, _, _ = setup(agents=())  # no agent of Guichet's at all
    settings = CallbackSettings()
    now = deps.clock.now()

    assert callbacks.immediate_offered(deps, T, settings, now) is False
    assert callbacks.immediate_offered(deps, T, replace(settings, acd=AcdSettings(ACD, WELCOME)), now) is True


def test_a_failed_play_audio_and_get_digits_is_translated_with_its_action() -> None:
    from chalicelib.domain.telephony.events import translate
    from chalicelib.domain.telephony.model import ActionFailed

    event = json.loads((FIXTURES / "chime-sma-action-failed-play-audio.json").read_text())
    event["ActionData"]["Type"] = "PlayAudioAndGetDigits"
    event["ActionData"]["ErrorType"] = "InvalidDigitsReceived"

    failed = translate(event)

    assert isinstance(failed, ActionFailed)
    assert (failed.action, failed.error_type, failed.call_id) == ("PlayAudioAndGetDigits", "InvalidDigitsReceived",
                                                                  "call-id-1")


def test_a_welcome_that_fails_to_play_still_asks_for_the_id() -> None:
    deps, telephony, calls_ = acd_setup()
    acd_call, _ = acd_answered(deps, telephony, calls_)
    failed = calls_.event(acd_call, "ACTION_FAILED", {"Type": "PlayAudio", "Parameters": {},
                                                      "ErrorType": "InvalidAudioSource"})

    asked = sma(deps, calls_, acd_call, failed, twice=True)

    assert action_types(asked) == ["PlayAudioAndGetDigits"] and asked["Actions"][0]["Parameters"]["Repeat"] == 3
    assert callback(deps).phase is CallPhase.IDENTIFYING


def test_the_acd_hanging_up_while_its_agent_identifies_ends_the_attempt() -> None:
    deps, telephony, calls_ = acd_setup()
    acd_call, _ = acd_answered(deps, telephony, calls_)

    sma(deps, calls_, acd_call, calls_.hangup(acd_call), twice=True)

    assert callback(deps).state is CallbackState.RETRYING and callback(deps).outcome == "failed"
    assert [d.to for d in telephony.dials] == [ACD]


def test_an_agent_who_cannot_take_the_call_on_the_desk_still_gets_it_at_the_acd() -> None:
    deps, telephony, calls_ = acd_setup()
    bob = deps.agents.get(T, "bob")
    assert bob is not None
    deps.agents.put(replace(bob, status=AgentStatus.AWAY))
    acd_call, _ = acd_answered(deps, telephony, calls_)

    joined = sma(deps, calls_, acd_call, digits(calls_, acd_call, "4217"), twice=True)

    assert action_types(joined) == ["JoinChimeMeeting"] and callback(deps).agent_id == "bob"
    assert [d.to for d in telephony.dials] == [ACD, VISITOR_PHONE]
    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and not conversation.status.is_open  # nobody else may take it
    assert deps.agents.get(T, "bob").call_active == 0  # type: ignore[union-attr]


def test_the_acd_is_the_agents_line_so_an_agent_without_one_gets_the_call_on_the_desk() -> None:
    deps, telephony, calls_ = acd_setup()
    bob = deps.agents.get(T, "bob")
    assert bob is not None
    deps.agents.put(replace(bob, takes_calls=False, own_line=""))  # a desk agent of Guichet's, no phone of theirs
    acd_call, _ = acd_answered(deps, telephony, calls_)

    sma(deps, calls_, acd_call, digits(calls_, acd_call, "4217"), twice=True)

    conversation = deps.conversations.get(T, "cb1-1")
    assert conversation is not None and conversation.status is ConversationStatus.ASSIGNED
    kept = deps.agents.get(T, "bob")
    assert kept is not None and (kept.takes_calls, kept.own_line) == (False, "")  # their settings are unchanged
