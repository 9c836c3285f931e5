"""What the phone emulator's SIP media application does with the audio bucket (local/phone_calls.py): reads what
PlayAudio plays, with the checks the service makes (DG play-audio: the object exists, is an uncompressed PCM WAV,
is stored with ContentType audio/wav, 50 MB at most), and writes what StartCallRecording records, at the documented
key with the documented metadata (DG start-call-recording). PauseCallRecording and ResumeCallRecording mark spans of
the recording: each pause and each resume records a brief tone, and the paused span silence, which still counts in
the recording's length (DG pause-call-recording, resume-call-recording)."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_AUDIO_BYTES = 50 * 1024 * 1024
DEFAULT_RECORDING_PREFIX = "Amazon-Chime-SMA-Call-Recordings"  # when Location names only the bucket
RECORDING_RATE = 8000
MAX_RECORDING_SECONDS = 60  # the emulator writes at most a minute of tone, whatever the call lasted
TONE_SECONDS = 0.1  # the beep a pause and a resume leave in the recording


class AudioRefused(Exception):
    """PlayAudio fails: InvalidAudioSource, with the reason for the emulator's log."""


def audio_seconds(s3: Any, bucket: str, key: str) -> float:
    """The playing time of one pass of `bucket`/`key`; AudioRefused for anything the service would refuse."""
    try:
        answer = s3.get_object(Bucket=bucket, Key=key)
    except Exception as exc:
        raise AudioRefused(f"no object {key} in {bucket}") from exc
    if answer.get("ContentType") != "audio/wav":
        raise AudioRefused(f"{key} is stored as {answer.get('ContentType')!r}, not audio/wav")
    if int(answer.get("ContentLength") or 0) > MAX_AUDIO_BYTES:
        raise AudioRefused(f"{key} is over 50 MB")
    body = answer["Body"].read()
    try:
        with wave.open(io.BytesIO(body)) as wav:  # the wave module reads uncompressed PCM only
            frames, rate = wav.getnframes(), wav.getframerate()
    except (wave.Error, EOFError, struct.error) as exc:
        raise AudioRefused(f"{key} is not a PCM WAV file: {exc}") from exc
    if rate <= 0:
        raise AudioRefused(f"{key} has no sample rate")
    return float(frames) / float(rate)


@dataclass
class Recording:
    """One leg's recording, from StartCallRecording to StopCallRecording or the end of the call."""

    transaction_id: str
    call_id: str
    track: str
    bucket: str
    key: str
    started_at: datetime
    started_monotonic: float
    seconds: float | None = None  # set once written
    #: Paused spans, in seconds from the start: [pause, resume], the last one's resume None while paused.
    paused: list[list[float | None]] = field(default_factory=list)

    def pause_or_resume(self, pause: bool, now_monotonic: float) -> str | None:
        """Pauses (or resumes) at `now_monotonic`; the reason it fails, else None. A recording stopped, paused
        already (or not paused) fails: the DG does not say, the emulator refuses what is surely a bug."""
        at = round(now_monotonic - self.started_monotonic, 3)
        is_paused = bool(self.paused) and self.paused[-1][1] is None
        if self.seconds is not None:
            return "the leg's recording has stopped"
        if pause == is_paused:
            return "the recording is paused already" if pause else "the recording is not paused"
        if pause:
            self.paused.append([at, None])
        else:
            self.paused[-1][1] = at
        return None

    @property
    def location(self) -> str:
        return f"{self.bucket}/{self.key}"

    def as_json(self) -> dict[str, object]:
        return {"bucket": self.bucket, "key": self.key, "location": self.location,
                "transaction_id": self.transaction_id, "call_id": self.call_id, "track": self.track,
                "started_at": self.started_at.isoformat(), "seconds": self.seconds, "paused": self.paused}


def recording_key(location: str, started_at: datetime, transaction_id: str, call_id: str) -> tuple[str, str]:
    """(bucket, key) for a recording whose Destination.Location is `location` ("bucket" or "bucket/prefix"):
    prefix/yyyy/mm/dd/yyyy-mm-dd-hh-mm-ss-ms_<transactionId>_<callId>.wav."""
    bucket, _, prefix = location.partition("/")
    prefix = prefix.strip("/") or DEFAULT_RECORDING_PREFIX
    stamp = started_at.strftime("%Y-%m-%d-%H-%M-%S-") + f"{started_at.microsecond // 1000:03d}"
    return bucket, f"{prefix}/{started_at:%Y/%m/%d}/{stamp}_{transaction_id}_{call_id}.wav"


def write_recording(s3: Any, recording: Recording, seconds: float) -> None:
    """Stores the recording: 8 kHz 16-bit PCM, stereo for BOTH (incoming left, outgoing right), mono otherwise; a
    quiet tone stands for the voices."""
    channels = 2 if recording.track == "BOTH" else 1
    second = bytearray()  # one second holds whole periods of both tones: repeat it
    for n in range(RECORDING_RATE):
        left = int(2000 * math.sin(2 * math.pi * 440 * n / RECORDING_RATE))
        right = int(2000 * math.sin(2 * math.pi * 660 * n / RECORDING_RATE))
        second += struct.pack("<hh", left, right) if channels == 2 else struct.pack("<h", left)
    frames = max(1, int(min(seconds, MAX_RECORDING_SECONDS) * RECORDING_RATE))
    whole, rest = divmod(frames, RECORDING_RATE)
    samples = bytearray(bytes(second) * whole + bytes(second[: rest * 2 * channels]))
    width = 2 * channels
    for start, end in recording.paused:
        first, last = int((start or 0) * RECORDING_RATE), int((seconds if end is None else end) * RECORDING_RATE)
        samples[first * width:last * width] = bytes(max(0, min(last, frames) - first) * width)  # silence
        for at in (first, None if end is None else last):  # the tone of the pause, and of the resume
            if at is not None:
                _tone(samples, at, min(frames, at + int(TONE_SECONDS * RECORDING_RATE)), channels)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(RECORDING_RATE)
        wav.writeframes(samples)
    s3.put_object(Bucket=recording.bucket, Key=recording.key, Body=buffer.getvalue(), ContentType="audio/wav",
                  Metadata={"transaction-id": recording.transaction_id, "call-id": recording.call_id,
                            "recording-duration": f"{seconds:.3f}", "recording-audio-file-format": "audio/wav"})
    recording.seconds = round(seconds, 3)  # once the object is there: whoever waits for it can read it


def _tone(samples: bytearray, first: int, last: int, channels: int) -> None:
    """A 1 kHz beep on every channel over frames [first, last)."""
    for n in range(first, last):
        value = struct.pack("<h", int(4000 * math.sin(2 * math.pi * 1000 * n / RECORDING_RATE)))
        samples[n * 2 * channels:(n + 1) * 2 * channels] = value * channels


def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    """An 8 kHz mono 16-bit PCM WAV of silence (tests and the demo use it as hold music)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()
