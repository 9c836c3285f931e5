"""The calls' audio (issue 13, CB-7 hold music, CB-9 recording notice) through Chalice's handlers, against moto's S3:
an admin's 8 kHz mono WAV is stored with ContentType audio/wav under a key the tenant's settings then name, a
presigned URL reads it back; anything else is refused by field with a 4xx, and nothing is stored or changed."""

from __future__ import annotations

import base64
import io
import urllib.request
import wave
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.aws import client
from chalicelib.domain.model import Role
from tests.integration.test_routing_admin import call, http, make_user  # noqa: F401 - the fixture
from tests.integration.test_slice_handlers import login, make_agent


def wav(seconds: float, *, rate: int = 8000, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(i % 199 for i in range(int(seconds * rate) * channels * 2)))
    return out.getvalue()


def upload(http: Any, tenant: str, token: str, kind: str, raw: bytes | str) -> Any:  # noqa: F811
    text = raw if isinstance(raw, str) else base64.b64encode(raw).decode()
    return call(http, "put", f"/tenants/{tenant}/callbacks/audio/{kind}", token, {"wav_base64": text})


def stored_keys(tenant: str) -> list[str]:
    audio = bootstrap.container().deps.audio
    assert audio is not None
    listed = client("s3").list_objects_v2(Bucket=audio.bucket, Prefix=f"audio/{tenant}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_the_store_keeps_a_wav_as_audio_wav_and_signs_a_url_that_reads_it(stack: Any) -> None:
    audio = bootstrap.container().deps.audio
    assert audio is not None and audio.bucket == stack.env["AUDIO_BUCKET"]
    body = wav(0.5)

    audio.put_wav("audio/t-store/hold_music-test.wav", body)
    url = audio.presigned_url("audio/t-store/hold_music-test.wav", 60)

    head = client("s3").head_object(Bucket=audio.bucket, Key="audio/t-store/hold_music-test.wav")
    assert head["ContentType"] == "audio/wav"
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == body
    assert "Expires=" in url or "X-Amz-Expires=60" in url


def test_an_admin_uploads_hold_music_and_the_setting_names_its_key(http: Any, tenant: str) -> None:  # noqa: F811
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    body = wav(3.0)

    answer = upload(http, tenant, admin, "hold_music", body)
    again = upload(http, tenant, admin, "hold_music", body)

    assert answer.status_code == 200, answer.body
    key = answer.json_body["key"]
    assert answer.json_body == {"key": key, "seconds": 3.0} and again.json_body == answer.json_body
    assert key.startswith(f"audio/{tenant}/hold_music-") and key.endswith(".wav")
    settings = call(http, "get", f"/tenants/{tenant}/settings", admin).json_body["callback"]
    assert settings["hold_music"] == key and settings["recording_notice"] == ""
    audio = bootstrap.container().deps.audio
    assert audio is not None
    stored = client("s3").get_object(Bucket=audio.bucket, Key=key)
    assert stored["ContentType"] == "audio/wav" and stored["Body"].read() == body
    assert stored_keys(tenant) == [key]


def test_a_recording_notice_lets_the_admin_switch_recording_on(http: Any, tenant: str) -> None:  # noqa: F811
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    path = f"/tenants/{tenant}/settings"

    refused = call(http, "put", path, admin, {"callback": {"recording": True}})
    notice = upload(http, tenant, admin, "recording_notice", wav(1.5))
    accepted = call(http, "put", path, admin, {"callback": {"recording": True}})

    assert (refused.status_code, refused.json_body["field"]) == (400, "callback.recording_notice")
    assert notice.status_code == 200, notice.body
    assert accepted.status_code == 200, accepted.body
    assert accepted.json_body["callback"]["recording_notice"] == notice.json_body["key"]
    assert accepted.json_body["callback"]["hold_music"] == ""


@pytest.mark.parametrize(("kind", "raw", "status", "field"), [
    ("hold_music", wav(1.0, channels=2), 400, "wav_base64"),
    ("hold_music", wav(1.0, rate=44_100), 400, "wav_base64"),
    ("hold_music", b"ID3\x04\x00\x00\x00\x00\x00\x21" + b"\xff\xfb\x90\x64" * 100, 400, "wav_base64"),
    ("hold_music", wav(1.0)[:-10], 400, "wav_base64"),
    ("hold_music", "", 400, "wav_base64"),
    ("hold_music", "%%%", 400, "wav_base64"),
    ("hold_music", wav(61.0), 400, "wav_base64"),
    ("hold_music", "A" * 1_400_000, 400, "wav_base64"),
    ("hold_music", "A" * 2_200_000, 400, "body"),
    ("ringtone", wav(1.0), 400, "kind"),
], ids=["stereo", "44.1kHz", "mp3", "truncated", "empty", "not-base64", "61s", "too-long", "huge-body", "kind"])
def test_anything_else_is_refused_by_field_and_nothing_is_stored(
        http: Any, tenant: str, kind: str, raw: bytes | str, status: int, field: str) -> None:  # noqa: F811
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    before = call(http, "get", f"/tenants/{tenant}/settings", admin).json_body

    refused = upload(http, tenant, admin, kind, raw)

    assert (refused.status_code, refused.json_body["field"]) == (status, field), refused.body
    assert call(http, "get", f"/tenants/{tenant}/settings", admin).json_body == before
    assert stored_keys(tenant) == []


def test_only_admins_upload(http: Any, tenant: str) -> None:  # noqa: F811
    agent = login(http, make_agent(tenant))
    supervisor = login(http, make_user(tenant, Role.AGENT, Role.SUPERVISOR))

    assert upload(http, tenant, agent, "hold_music", wav(1.0)).status_code == 403
    assert upload(http, tenant, supervisor, "hold_music", wav(1.0)).status_code == 403
    anonymous = http.put(f"/tenants/{tenant}/callbacks/audio/hold_music", body='{"wav_base64": ""}',
                         headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401
    assert stored_keys(tenant) == []
