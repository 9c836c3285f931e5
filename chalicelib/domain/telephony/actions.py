"""Domain decisions as a SIP media application (SMA) response: the actions a call runs next (issue 13, CB-6 to CB-9).

Each action is a frozen dataclass with the parameters Guichet uses (DG hangup, play-audio, play-audio-get-digits,
join-chime-meeting, start-call-recording, stop-call-recording, pause-call-recording, resume-call-recording, pause);
`render(actions, attributes)` builds the
response dict `{"SchemaVersion": "1.0", "Actions": [...], "TransactionAttributes": {...}}` and refuses what the SMA
would refuse (`SmaResponseRefused`): more than 10 actions, or TransactionAttributes beyond 100 string pairs / 20 KB.

The room model (research/telephony.md, "What this means for Guichet"): each phone party is LEG-A of its own call and
joins the callback's Chime SDK meeting with JoinChimeMeeting; hold is Hangup of the meeting leg (LEG-B) plus a
PlayAudio loop on LEG-A. So there is no CallAndBridge here.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib.domain.errors import DomainError
from chalicelib.domain.telephony.model import LegTag

SCHEMA_VERSION = "1.0"
MAX_ACTIONS = 10  # per response (DG invoke-on-call-leg)
MAX_ATTRIBUTES = 100  # TransactionAttributes pairs (DG transaction-attributes)
MAX_ATTRIBUTES_BYTES = 20_000  # "20 KB" of payload, read as the smaller of 20,000 and 20,480: compact JSON, UTF-8
HANGUP_CODES = frozenset({0, 480, 486})  # normal, unavailable, busy (DG hangup)
DTMF = frozenset("0123456789*#")


class SmaResponseRefused(DomainError):
    """A response the SMA would answer with INVALID_LAMBDA_RESPONSE: a bug in the decision, caught before the call
    pays for it."""

    code = "sma_response_refused"


class Track(enum.StrEnum):
    """What a recording keeps: BOTH is a stereo WAV, incoming left, outgoing right (DG start-call-recording)."""

    BOTH = "BOTH"
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


@dataclass(frozen=True)
class AudioFile:
    """An 8 kHz mono PCM WAV in the audio bucket, stored with ContentType audio/wav (DG play-audio)."""

    bucket: str
    key: str

    def render(self) -> dict[str, str]:
        return {"Type": "S3", "BucketName": self.bucket, "Key": self.key}


@dataclass(frozen=True)
class Hangup:
    """Ends one leg: the party's call (LEG-A) or its meeting leg (LEG-B, the party stays on the line: hold)."""

    tag: LegTag = LegTag.A
    sip_response_code: int = 0
    call_id: str | None = None

    def render(self) -> dict[str, object]:
        if self.sip_response_code not in HANGUP_CODES:
            raise SmaResponseRefused(f"a hang-up's SIP code is one of {sorted(HANGUP_CODES)}")
        return _action("Hangup", self.call_id, self.tag, SipResponseCode=str(self.sip_response_code))


@dataclass(frozen=True)
class PlayAudio:
    """Plays a file `repeat` times to a leg (hold music loops by re-issuing it on ACTION_SUCCESSFUL)."""

    audio: AudioFile
    repeat: int = 1
    tag: LegTag = LegTag.A
    call_id: str | None = None
    terminators: tuple[str, ...] = ()

    def render(self) -> dict[str, object]:
        _positive("repeat", self.repeat)
        extra: dict[str, object] = {"Repeat": self.repeat} if self.repeat != 1 else {}  # 1 is the SMA's default
        if self.terminators:
            extra["PlaybackTerminators"] = list(_dtmf(self.terminators))
        return _action("PlayAudio", self.call_id, self.tag, AudioSource=self.audio.render(), **extra)


@dataclass(frozen=True)
class PlayAudioAndGetDigits:
    """Plays a prompt and collects digits (an agent id in ACD mode, CB-5); `repeat` is the number of tries."""

    audio: AudioFile
    failure_audio: AudioFile
    min_digits: int
    max_digits: int
    repeat_duration_ms: int
    repeat: int = 1
    digits_regex: str | None = None
    terminators: tuple[str, ...] = ("#",)
    between_digits_ms: int | None = None
    tag: LegTag = LegTag.A
    call_id: str | None = None

    def render(self) -> dict[str, object]:
        _positive("repeat", self.repeat)
        _positive("repeat_duration_ms", self.repeat_duration_ms)
        if not 0 <= self.min_digits <= self.max_digits:
            raise SmaResponseRefused("digits: 0 <= min_digits <= max_digits")
        extra: dict[str, object] = {}
        if self.digits_regex is not None:
            extra["InputDigitsRegex"] = self.digits_regex
        if self.between_digits_ms is not None:
            _positive("between_digits_ms", self.between_digits_ms)
            extra["InBetweenDigitsDurationInMilliseconds"] = self.between_digits_ms
        return _action("PlayAudioAndGetDigits", self.call_id, self.tag, AudioSource=self.audio.render(),
                       FailureAudioSource=self.failure_audio.render(), MinNumberOfDigits=self.min_digits,
                       MaxNumberOfDigits=self.max_digits, TerminatorDigits=list(_dtmf(self.terminators)),
                       Repeat=self.repeat, RepeatDurationInMilliseconds=self.repeat_duration_ms, **extra)


@dataclass(frozen=True)
class JoinChimeMeeting:
    """Puts a party (LEG-A of its own call) into the callback's room: `join_token` from CreateAttendee; `meeting_id`
    is required for meetings of the chime-sdk-meetings namespace. Not on a bridged call (DG join-chime-meeting)."""

    join_token: str
    meeting_id: str
    call_id: str | None = None

    def render(self) -> dict[str, object]:
        if not self.join_token or not self.meeting_id:
            raise SmaResponseRefused("joining a meeting takes a join token and a meeting id")
        return _action("JoinChimeMeeting", self.call_id, LegTag.A, JoinToken=self.join_token,
                       MeetingId=self.meeting_id)


@dataclass(frozen=True)
class StartCallRecording:
    """Records a leg into `bucket`/`prefix` (key: prefix/yyyy/mm/dd/<time>_<transaction>_<call>.wav). Only after the
    recording notice played, and never for an opted-out visitor (CB-9): the caller decides, this only renders."""

    call_id: str
    bucket: str
    prefix: str = ""
    track: Track = Track.BOTH

    def render(self) -> dict[str, object]:
        if not self.call_id or not self.bucket:
            raise SmaResponseRefused("a recording needs the leg's call id and a bucket")
        location = f"{self.bucket}/{self.prefix.strip('/')}" if self.prefix.strip("/") else self.bucket
        return {"Type": "StartCallRecording", "Parameters": {
            "CallId": self.call_id, "Track": self.track.value, "Destination": {"Type": "S3", "Location": location}}}


@dataclass(frozen=True)
class StopCallRecording:
    """Stops a leg's recording before the call ends (a leg is started and stopped once)."""

    call_id: str

    def render(self) -> dict[str, object]:
        return {"Type": "StopCallRecording", "Parameters": {"CallId": self.call_id}}


@dataclass(frozen=True)
class PauseCallRecording:
    """Pauses a leg's recording (CB-10): the recording captures a tone, then silence until it is resumed; the paused
    time still counts in its length and its bill. Pause and resume as often as needed (DG pause-call-recording)."""

    call_id: str

    def render(self) -> dict[str, object]:
        if not self.call_id:
            raise SmaResponseRefused("pausing a recording takes the leg's call id")
        return {"Type": "PauseCallRecording", "Parameters": {"CallId": self.call_id}}


@dataclass(frozen=True)
class ResumeCallRecording:
    """Resumes a paused recording after a brief tone (DG resume-call-recording)."""

    call_id: str

    def render(self) -> dict[str, object]:
        if not self.call_id:
            raise SmaResponseRefused("resuming a recording takes the leg's call id")
        return {"Type": "ResumeCallRecording", "Parameters": {"CallId": self.call_id}}


@dataclass(frozen=True)
class Pause:
    """Silence on a leg, e.g. before a notice, so that the first words are heard."""

    duration_ms: int
    tag: LegTag = LegTag.A
    call_id: str | None = None

    def render(self) -> dict[str, object]:
        _positive("duration_ms", self.duration_ms)
        return _action("Pause", self.call_id, self.tag, DurationInMilliseconds=str(self.duration_ms))


SmaAction = (Hangup | PlayAudio | PlayAudioAndGetDigits | JoinChimeMeeting | StartCallRecording | StopCallRecording
             | PauseCallRecording | ResumeCallRecording | Pause)


def render(actions: Sequence[SmaAction], attributes: Mapping[str, str] | None = None) -> dict[str, object]:
    """The SMA response running `actions` in order. `attributes` replaces the stored TransactionAttributes (`{}`
    erases them); None leaves them as they are. SmaResponseRefused beyond the documented limits."""
    if len(actions) > MAX_ACTIONS:
        raise SmaResponseRefused(f"an SMA response holds at most {MAX_ACTIONS} actions, not {len(actions)}")
    response: dict[str, object] = {"SchemaVersion": SCHEMA_VERSION, "Actions": [a.render() for a in actions]}
    if attributes is not None:
        response["TransactionAttributes"] = check_attributes(attributes)
    return response


def check_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    """TransactionAttributes as the SMA takes them: strings to strings, at most 100 pairs and 20 KB."""
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()):
        raise SmaResponseRefused("transaction attributes map strings to strings")
    if len(attributes) > MAX_ATTRIBUTES:
        raise SmaResponseRefused(f"at most {MAX_ATTRIBUTES} transaction attributes, not {len(attributes)}")
    size = len(json.dumps(dict(attributes), separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_ATTRIBUTES_BYTES:
        raise SmaResponseRefused(f"transaction attributes take at most {MAX_ATTRIBUTES_BYTES} bytes, not {size}")
    return dict(attributes)


def _action(kind: str, call_id: str | None, tag: LegTag, **parameters: object) -> dict[str, object]:
    """An action on one leg: by CallId when known (the SMA then ignores ParticipantTag), else by ParticipantTag."""
    target: dict[str, object] = {"CallId": call_id} if call_id else {"ParticipantTag": tag.value}
    return {"Type": kind, "Parameters": {**target, **parameters}}


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SmaResponseRefused(f"'{name}' must be a whole number above 0", field=name)


def _dtmf(keys: tuple[str, ...]) -> tuple[str, ...]:
    if not all(key in DTMF for key in keys):
        raise SmaResponseRefused(f"DTMF keys are among {''.join(sorted(DTMF))}")
    return keys
