"""What the phone emulator's SIP media application does with the audio bucket (local/phone_calls.py): reads what
PlayAudio plays, with the checks the service makes (DG play-audio: the object exists, is an uncompressed PCM WAV,
is stored with ContentType audio/wav, 50 MB at most), and writes what StartCallRecording records, at the documented
key with the documented metadata (DG start-call-recording)."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_AUDIO_BYTES = 50 * 1024 * 1024
DEFAULT_RECORDING_PREFIX = "Amazon-Chime-SMA-Call-Recordings"  # when Location names only the bucket
RECORDING_RATE = 8000
MAX_RECORDING_SECONDS = 60  # the emulator writes at most a minute of tone, whatever the call lasted


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

    @property
    def location(self) -> str:
        return f"{self.bucket}/{self.key}"

    def as_json(self) -> dict[str, object]:
        return {"bucket": self.bucket, "key": self.key, "location": self.location,
                "transaction_id": self.transaction_id, "call_id": self.call_id, "track": self.track,
                "started_at": self.started_at.isoformat(), "seconds": self.seconds}


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
    samples = bytes(second) * whole + bytes(second[: rest * 2 * channels])
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(RECORDING_RATE)
        wav.writeframes(samples)
    recording.seconds = round(seconds, 3)
    s3.put_object(Bucket=recording.bucket, Key=recording.key, Body=buffer.getvalue(), ContentType="audio/wav",
                  Metadata={"transaction-id": recording.transaction_id, "call-id": recording.call_id,
                            "recording-duration": f"{seconds:.3f}", "recording-audio-file-format": "audio/wav"})


def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    """An 8 kHz mono 16-bit PCM WAV of silence (tests and the demo use it as hold music)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()
