"""The audio admins upload for calls (issue 13, CB-7 hold music, CB-9 recording notice): only 8 kHz mono 16-bit PCM
WAV of at most 60 s passes, anything else is refused naming `wav_base64` with the reason; what passes is stored as a
canonical WAV under a key made of its digest."""

from __future__ import annotations

import base64
import io
import struct
import wave

import pytest

from chalicelib.domain.callbacks.audio import (
    MAX_DATA_BYTES,
    audio_key,
    checked_wav,
    wav_bytes,
    wav_from_base64,
)
from chalicelib.domain.errors import InvalidInput


def wav(seconds: float = 1.0, *, rate: int = 8000, channels: int = 1, width: int = 2) -> bytes:
    """A WAV written by Python's wave module: a rising ramp, so that no two lengths share a digest."""
    frames = int(seconds * rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(i % 251 for i in range(frames * channels * width)))
    return out.getvalue()


def refusal(raw: bytes) -> str:
    with pytest.raises(InvalidInput) as refused:
        checked_wav(raw)
    assert refused.value.field == "wav_base64"
    return refused.value.message


def test_an_8khz_mono_16bit_wav_passes_with_its_duration() -> None:
    raw = wav(2.5)

    checked = checked_wav(raw)

    assert checked.seconds == 2.5
    assert checked.body == raw  # the wave module writes the canonical header already
    with wave.open(io.BytesIO(checked.body)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (8000, 1, 2, 20_000)


def test_other_chunks_are_dropped_and_the_sound_kept() -> None:
    raw = wav(1.0)
    sound = raw[44:]
    listed = b"LIST" + struct.pack("<I", 5) + b"INFOx\x00"  # an odd size, padded to a word
    with_metadata = raw[:12] + raw[12:36] + listed + raw[36:] + b"junk" + struct.pack("<I", 0)
    riff = struct.pack("<I", len(with_metadata) - 8)

    checked = checked_wav(with_metadata[:4] + riff + with_metadata[8:])

    assert checked.body == wav_bytes(sound) and checked.seconds == 1.0


def test_the_longest_wav_passes_and_one_sample_more_is_too_long() -> None:
    longest = wav_bytes(bytes(MAX_DATA_BYTES))

    assert checked_wav(longest).seconds == 60.0
    assert "too long" in refusal(wav_bytes(bytes(MAX_DATA_BYTES + 2)))


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "is empty"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x21" + b"\xff\xfb\x90\x64" * 200, "not a WAV file"),  # an MP3 with its ID3 tag
    (b"\xff\xfb\x90\x64" * 200, "not a WAV file"),  # a bare MP3 frame header
    (wav(1.0, channels=2), "2 channels"),
    (wav(1.0, rate=44_100), "44100 Hz"),
    (wav(1.0, width=1), "8-bit"),
    (wav(1.0)[:-100], "truncated"),
    (wav(1.0)[:40], "no data chunk"),
    (wav(1.0)[:30], "truncated fmt chunk"),
    (wav(0.0), "no sound"),
], ids=["empty", "mp3", "mp3-frames", "stereo", "44.1kHz", "8-bit", "truncated", "no-data", "cut-fmt", "silence"])
def test_anything_but_8khz_mono_16bit_pcm_wav_is_refused_with_its_reason(raw: bytes, reason: str) -> None:
    message = refusal(raw)

    assert reason in message


def test_a_wav_of_another_encoding_is_refused_as_not_pcm() -> None:
    raw = bytearray(wav(1.0))
    raw[20:22] = struct.pack("<H", 3)  # IEEE float

    assert "8 kHz mono 16-bit PCM WAV (this one is not PCM)" in refusal(bytes(raw))


def test_base64_is_decoded_and_anything_else_refused_by_field() -> None:
    raw = wav(0.5)

    assert wav_from_base64(base64.b64encode(raw).decode()).body == raw
    with pytest.raises(InvalidInput) as refused:
        wav_from_base64("not base64!")
    assert refused.value.field == "wav_base64" and "base64" in refused.value.message
    with pytest.raises(InvalidInput) as huge:
        wav_from_base64("A" * 2_000_000)
    assert huge.value.field == "wav_base64" and "too long" in huge.value.message


def test_the_key_names_the_tenant_the_kind_and_the_sounds_digest() -> None:
    one, other = checked_wav(wav(1.0)), checked_wav(wav(1.5))

    key = audio_key("t-1", "hold_music", one)

    assert key.startswith("audio/t-1/hold_music-") and key.endswith(".wav") and len(key) == len("audio/t-1/") + 27
    assert audio_key("t-1", "hold_music", checked_wav(wav(1.0))) == key
    assert audio_key("t-1", "hold_music", other) != key
    assert audio_key("t-1", "recording_notice", one).startswith("audio/t-1/recording_notice-")
    with pytest.raises(InvalidInput) as refused:
        audio_key("t-1", "ringtone", one)
    assert refused.value.field == "kind"
