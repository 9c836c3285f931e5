"""The audio an admin uploads for calls (issue 13): hold music (CB-7) and the recording notice (CB-9).

PSTN audio plays raw PCM WAV, and 8 kHz mono is what it recommends (research/telephony.md, PlayAudio): the desk's
Call settings page converts any WAV or MP3 to 8 kHz mono 16-bit PCM in the admin's browser, and the server accepts
nothing else. `checked_wav` reads the header chunk by chunk, refuses anything else naming the field `wav_base64`
with the reason, and answers the sound alone behind a canonical 44-byte header (any other chunk, such as LIST
metadata, is dropped), with its duration. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

FIELD = "wav_base64"
FORMAT = "must be 8 kHz mono 16-bit PCM WAV"
SAMPLE_RATE = 8000
BYTES_PER_SECOND = SAMPLE_RATE * 2
MAX_SECONDS = 60
MAX_DATA_BYTES = MAX_SECONDS * BYTES_PER_SECOND  # 960,000
#: The biggest file accepted: the canonical header and MAX_SECONDS of sound, with room for a few metadata chunks.
MAX_FILE_BYTES = MAX_DATA_BYTES + 4096
#: Its base64 text (what the JSON body carries): 4 characters per 3 bytes.
MAX_BASE64_CHARS = (MAX_FILE_BYTES + 2) // 3 * 4
#: What the upload's body may carry: more than MAX_BASE64_CHARS, so that a file a little too long is refused as such.
MAX_UPLOAD_CHARS = 2 * 1024 * 1024
#: What an admin uploads; `acd_welcome` and `acd_prompt` are ACD mode's (CB-5: domain/callbacks/acd.py).
KINDS = ("hold_music", "recording_notice", "acd_welcome", "acd_prompt")
_PCM = 1


@dataclass(frozen=True)
class CheckedWav:
    """A WAV that PSTN audio plays: `body` is the canonical file (header + sound), `seconds` its duration."""

    body: bytes
    seconds: float

    @property
    def digest(self) -> str:
        """The first 12 hex digits of the body's SHA-256: the same sound is stored under the same key."""
        return hashlib.sha256(self.body).hexdigest()[:12]


def audio_key(tenant: str, kind: str, wav: CheckedWav) -> str:
    """Where the audio bucket keeps it: `audio/<tenant>/<kind>-<digest>.wav` (the PSTN service may read audio/)."""
    if kind not in KINDS:
        raise InvalidInput(f"must be one of {', '.join(KINDS)}", field="kind")
    return f"audio/{tenant}/{kind}-{wav.digest}.wav"


def wav_from_base64(text: str) -> CheckedWav:
    """The base64 text of a WAV file, decoded and checked (checked_wav)."""
    if len(text) > MAX_BASE64_CHARS:
        raise InvalidInput(f"too long: at most {MAX_SECONDS} s of 8 kHz mono 16-bit PCM WAV", field=FIELD)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("must be the file's bytes in base64", field=FIELD) from exc
    return checked_wav(raw)


def checked_wav(raw: bytes) -> CheckedWav:
    """`raw` if it is a RIFF/WAVE file of PCM (format 1), 1 channel, 8000 Hz, 16 bits, whose data chunk holds some
    sound, fits the file, and lasts at most MAX_SECONDS; InvalidInput naming `wav_base64` otherwise."""
    if not raw:
        raise InvalidInput("is empty: " + FORMAT, field=FIELD)
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise InvalidInput(f"is not a WAV file (no RIFF/WAVE header); it {FORMAT}", field=FIELD)
    fmt: tuple[int, int, int, int, int, int] | None = None
    offset = 12
    while offset + 8 <= len(raw):
        chunk_id, size = raw[offset:offset + 4], struct.unpack_from("<I", raw, offset + 4)[0]
        body_at = offset + 8
        if chunk_id == b"fmt ":
            if size < 16 or body_at + 16 > len(raw):
                raise InvalidInput(f"has a truncated fmt chunk; it {FORMAT}", field=FIELD)
            fmt = struct.unpack_from("<HHIIHH", raw, body_at)
        elif chunk_id == b"data":
            if fmt is None:
                raise InvalidInput(f"has no fmt chunk before its data; it {FORMAT}", field=FIELD)
            _check_format(*fmt)
            if size > len(raw) - body_at:
                raise InvalidInput(f"is truncated: its data chunk announces {size} bytes, the file holds "
                                   f"{len(raw) - body_at}", field=FIELD)
            if size == 0:
                raise InvalidInput("holds no sound (an empty data chunk)", field=FIELD)
            if size > MAX_DATA_BYTES:
                raise InvalidInput(f"too long: {size / BYTES_PER_SECOND:.1f} s, at most {MAX_SECONDS} s",
                                   field=FIELD)
            sound = raw[body_at:body_at + size - size % 2]  # whole 16-bit samples only
            return CheckedWav(body=wav_bytes(sound), seconds=round(len(sound) / BYTES_PER_SECOND, 3))
        offset = body_at + size + size % 2  # chunks are word-aligned
    raise InvalidInput(f"has no data chunk (truncated?); it {FORMAT}", field=FIELD)


def _check_format(tag: int, channels: int, rate: int, byte_rate: int, align: int, bits: int) -> None:
    found = []
    if tag != _PCM:
        found.append("not PCM" if tag != 0x55 else "MP3 inside a WAV")
    if channels != 1:
        found.append(f"{channels} channels")
    if rate != SAMPLE_RATE:
        found.append(f"{rate} Hz")
    if bits != 16:
        found.append(f"{bits}-bit")
    if not found and (align != 2 or byte_rate != BYTES_PER_SECOND):
        found.append("an inconsistent block size or byte rate")
    if found:
        raise InvalidInput(f"{FORMAT} (this one is {', '.join(found)})", field=FIELD)


def wav_bytes(sound: bytes) -> bytes:
    """8 kHz mono 16-bit PCM samples (little-endian) behind the canonical 44-byte WAV header."""
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(sound), b"WAVE", b"fmt ", 16, _PCM, 1, SAMPLE_RATE,
                         BYTES_PER_SECOND, 2, 16, b"data", len(sound))
    return header + sound
