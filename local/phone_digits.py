"""The phone emulator's keypad (issue 14, CB-5's ACD mode): PlayAudioAndGetDigits as the SMA documents it
(DG play-audio-get-digits), for local/phone_calls.py, and the digits a phone types.

PlayAudioAndGetDigits plays `AudioSource`, then collects digits on the leg: the entry ends at a terminator digit
(not kept), at `MaxNumberOfDigits`, or when no key comes for `InBetweenDigitsDurationInMilliseconds` after one, or
none for `RepeatDurationInMilliseconds`. An entry of `MinNumberOfDigits` to `MaxNumberOfDigits` digits that matches
`InputDigitsRegex` (when given) succeeds: ACTION_SUCCESSFUL with `ReceivedDigits`. Otherwise `FailureAudioSource`
plays and the prompt is asked again, `Repeat` times in all; then ACTION_FAILED (ErrorType "InvalidDigitsReceived",
this emulator's word: the guide names none). Durations follow the exchange's `audio_scale`; an update interrupts
the action at any point, as it does PlayAudio.

What the phone types: its script's `digits`, one entry per ask in order for the call (Script(..., digits=("9999",
"4217")): a wrong id then a good one); once they are used up, what a person types live (`type_digits`, the control's
POST /__local__/phones/{number}/digits, the /phone page's keypad), which reaches only an action that is collecting:
keys pressed while nothing listens are lost, as on the SMA. While it collects, the phone shows "keypad".
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from local.phone_media import AudioRefused, audio_seconds
from local.phone_rules import whole

if TYPE_CHECKING:
    from local.phone import PhoneExchange
    from local.phone_calls import CallDriver, Outcome

DTMF = re.compile(r"^[0-9*#]{0,32}$")
FAILED_DIGITS = "InvalidDigitsReceived"


def type_digits(exchange: PhoneExchange, number: str, digits: str) -> bool:
    """A person types `digits` on the phone of `number` now; False when it is on no answered call."""
    with exchange.lock:
        phone = exchange.phones.get(number)
        call = exchange.calls.get(phone.call) if phone is not None and phone.call else None
        if phone is None or call is None or call.driver is None or phone.state in ("ringing", "idle"):
            return False
    call.driver.post("digits", {"digits": digits})
    return True


def play_and_get_digits(driver: CallDriver, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
    from local.phone_calls import Outcome

    audio, failure = parameters.get("AudioSource"), parameters.get("FailureAudioSource")
    repeat, wait_ms = whole(parameters.get("Repeat"), 1), whole(parameters.get("RepeatDurationInMilliseconds"), 0)
    low, high = whole(parameters.get("MinNumberOfDigits"), 0), whole(parameters.get("MaxNumberOfDigits"), 128)
    between_ms = whole(parameters.get("InBetweenDigitsDurationInMilliseconds"), wait_ms or 0)
    terminators = parameters.get("TerminatorDigits", ["#"])
    regex = _regex(parameters.get("InputDigitsRegex"))
    if (driver._leg(parameters) is None or not _s3(audio) or not _s3(failure) or not repeat or repeat < 1
            or not wait_ms or low is None or high is None or not 0 <= low <= high or between_ms is None
            or not isinstance(terminators, list) or regex is False):
        return driver._failed(data, "InvalidActionParameter", "a parameter of the action is invalid")
    assert isinstance(audio, dict) and isinstance(failure, dict)
    try:
        prompt, fail = (audio_seconds(driver.exchange.s3, str(a["BucketName"]), str(a["Key"])) for a in
                        (audio, failure))
    except AudioRefused:
        return driver._failed(data, "InvalidAudioSource", "Audio Source parameter value is invalid.")
    scale = driver.exchange.audio_scale
    for _ in range(repeat):
        played = driver._wait(data, prompt * scale, music=False)
        if played.replaced is not None:
            return played
        entry = _collect(driver, data, wait_ms / 1000 * scale, between_ms / 1000 * scale, high, terminators)
        if isinstance(entry, Outcome):
            return entry
        if low <= len(entry) <= high and (not isinstance(regex, re.Pattern) or regex.match(entry)):
            return Outcome({**data, "ReceivedDigits": entry})
        played = driver._wait(data, fail * scale, music=False)
        if played.replaced is not None:
            return played
    return driver._failed(data, FAILED_DIGITS, f"no valid digits after {repeat} tries")


def _collect(driver: CallDriver, data: dict[str, Any], wait: float, between: float, high: int,
             terminators: list[Any]) -> str | Outcome:
    """One entry: the script's next one, else what is typed live before the time runs out."""
    from local.phone_calls import Outcome

    scripted = driver.keypad.pop(0) if driver.keypad else None
    keys = scripted if scripted is not None else ""
    driver.exchange.show(driver.call, "keypad")
    try:
        end = time.monotonic() + wait
        while scripted is None and (left := end - time.monotonic()) > 0:
            stimulus = driver._next(left)
            if stimulus is None:
                break
            if stimulus.kind == "digits":
                keys += stimulus.data.get("digits", "")
                if any(t in keys for t in terminators) or len(keys) >= high:
                    break
                end = time.monotonic() + between
                continue
            replaced = driver._react(stimulus, data)
            if replaced is not None:
                return Outcome(data, replaced=replaced)
    finally:
        driver.exchange.show(driver.call, "in call")
    for terminator in terminators:  # the entry ends at a terminator, which is not kept
        keys = keys.split(str(terminator), 1)[0]
    return keys[:high]


def _s3(source: object) -> bool:
    return isinstance(source, dict) and source.get("Type") == "S3" and bool(source.get("BucketName")) and bool(
        source.get("Key"))


def _regex(value: object) -> re.Pattern[str] | bool | None:
    """The compiled InputDigitsRegex, None when absent, False when it does not compile."""
    if value is None:
        return None
    try:
        return re.compile(str(value))
    except re.error:
        return False
