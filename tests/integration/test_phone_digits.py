"""The phone emulator's PlayAudioAndGetDigits (local/phone_digits.py, issue 14 for CB-5's ACD mode): it plays the
prompt, collects digits up to the terminator or the maximum, checks the count and the regex, asks again `Repeat`
times with the failure audio in between, and answers ACTION_SUCCESSFUL with ReceivedDigits or ACTION_FAILED. The
phone types its script's digits, one entry per ask, or what is typed live. Fixtures: test_phone_emulator.py's."""

from __future__ import annotations

from typing import Any

import pytest

from local.phone import PhoneExchange, Script
from tests.integration import test_phone_emulator as base
from tests.integration.test_phone_emulator import BUCKET, HANGUP, VISITOR, FakeSma, actions, dial, until

s3, sma, exchange = base.s3, base.sma, base.exchange  # the emulator tests' fixtures: a moto bucket, a fake SMA

PROMPT = {"Type": "S3", "BucketName": BUCKET, "Key": "audio/one-second.wav"}


def get_digits(repeat: int = 3, regex: str | None = "^\\d{4}$", low: int = 4, high: int = 4,
               wait_ms: int = 2000) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "ParticipantTag": "LEG-A", "AudioSource": PROMPT, "FailureAudioSource": PROMPT, "MinNumberOfDigits": low,
        "MaxNumberOfDigits": high, "TerminatorDigits": ["#"], "Repeat": repeat,
        "RepeatDurationInMilliseconds": wait_ms, "InBetweenDigitsDurationInMilliseconds": 1000}
    if regex is not None:
        parameters["InputDigitsRegex"] = regex
    return {"Type": "PlayAudioAndGetDigits", "Parameters": parameters}


def test_scripted_digits_come_back_as_received_digits(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(get_digits()))
    dial(exchange, Script("answer", digits=("4217",)))

    done = sma.wait_for("ACTION_SUCCESSFUL")

    assert done["ActionData"]["Type"] == "PlayAudioAndGetDigits"
    assert done["ActionData"]["ReceivedDigits"] == "4217"
    assert done["ActionData"]["Parameters"]["Repeat"] == 3
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "ACTION_SUCCESSFUL"]


def test_a_bad_entry_is_asked_again_within_the_action_and_the_terminator_is_not_kept(
        exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(get_digits(regex="^42\\d*$", low=2, high=6)))
    dial(exchange, Script("answer", digits=("1", "9999#", "42#")))  # too short; no match; good with its "#"

    done = sma.wait_for("ACTION_SUCCESSFUL")

    assert done["ActionData"]["ReceivedDigits"] == "42"
    assert "ACTION_FAILED" not in sma.types()


def test_no_valid_entry_after_the_tries_fails_the_action(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(get_digits(repeat=2, wait_ms=100)))
    sma.on("ACTION_FAILED", actions(HANGUP))
    dial(exchange, Script("answer", digits=("12",)))  # too short, then nothing typed: the time runs out

    failed = sma.wait_for("ACTION_FAILED")

    assert failed["ActionData"]["Type"] == "PlayAudioAndGetDigits"
    assert failed["ActionData"]["ErrorType"] == "InvalidDigitsReceived"
    assert "ReceivedDigits" not in failed["ActionData"]
    sma.wait_for("HANGUP")


def test_digits_typed_live_while_the_phone_is_asked(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(get_digits(wait_ms=60_000)))
    dial(exchange, Script("answer"))
    until(lambda: exchange.phones[VISITOR].state == "keypad")

    assert exchange.phones[VISITOR].state == "keypad"
    from local.phone_digits import type_digits

    assert type_digits(exchange, VISITOR, "42")
    assert type_digits(exchange, VISITOR, "17")  # the maximum, 4 digits, ends the entry

    assert sma.wait_for("ACTION_SUCCESSFUL")["ActionData"]["ReceivedDigits"] == "4217"
    until(lambda: exchange.phones[VISITOR].state == "in call")
    assert type_digits(exchange, "+33699999999", "1") is False  # no such call


@pytest.mark.parametrize("bad", [{"Repeat": 0}, {"RepeatDurationInMilliseconds": 0}, {"MinNumberOfDigits": 5},
                                 {"InputDigitsRegex": "("}, {"FailureAudioSource": None}])
def test_invalid_parameters_fail_the_action(exchange: PhoneExchange, sma: FakeSma, bad: dict[str, Any]) -> None:
    action = get_digits()
    action["Parameters"].update(bad)
    sma.on("CALL_ANSWERED", actions(action))
    dial(exchange, Script("answer", digits=("4217",)))

    assert sma.wait_for("ACTION_FAILED")["ActionData"]["ErrorType"] == "InvalidActionParameter"
