"""The desk's Call settings page (issue 13), in a real browser against the local stack: an admin sets the booking
slots and saves; a bad capacity shows the server's error at that input; the admin uploads an MP3 as hold music,
which the page converts to 8 kHz mono 16-bit PCM WAV, and the setting then names a .wav object of the audio bucket
(moto's S3) that is one; an agent's call settings are saved from the page; a file over 200 KB is refused by the page.
The page is Administration > Call settings (issue 16): agents get no Administration; a supervisor reads the page, every
control disabled and no Save. The page is keyboard-usable and axe-clean."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from playwright.sync_api import Page, expect

from tests.e2e.helpers import Pages, axe_violations, connect_desk, expect_refused_at, login, rest

WAIT = 10_000  # ms
StartStack = Callable[..., str]
MP3 = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "tone-stereo.mp3"


def token(url: str, username: str) -> str:
    return str(login(url, username)["id_token"])


def open_call_settings(desk: Page) -> Page:
    """From the keyboard: the top bar's Administration toggle, then the console's Call settings page (Enter on
    each); the page's heading gets the focus."""
    tab = desk.get_by_test_id("admin-tab")
    expect(tab).to_be_visible(timeout=WAIT)
    tab.focus()
    desk.keyboard.press("Enter")
    link = desk.get_by_test_id("admin-page-calls")
    expect(link).to_be_visible(timeout=WAIT)
    link.focus()
    desk.keyboard.press("Enter")
    expect(desk.get_by_test_id("call-settings-view")).to_have_attribute("data-state", "loaded", timeout=WAIT)
    expect(desk.locator("#call-settings-title")).to_be_focused()
    expect(desk.locator("#workspace")).to_be_hidden()
    return desk


def callback_settings(url: str, admin: str) -> dict[str, Any]:
    settings: dict[str, Any] = rest(url, "GET", "/tenants/demo/settings", token=admin)
    return dict(settings["callback"])


def audio_object(endpoint: str, key: str) -> dict[str, Any]:
    """The object in the stack's moto S3 (`endpoint`): the audio bucket is the one provisioned from infra's
    AudioBucket."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "audiobucket" in b["Name"])
    found: dict[str, Any] = s3.get_object(Bucket=bucket, Key=key)
    return found


def test_an_admin_sets_the_slots_sees_a_bad_capacity_at_its_input_and_uploads_mp3_hold_music(
        start_stack: StartStack, stack_pool: Any, pages: Pages) -> None:
    url = start_stack()
    moto = next(stack for stack in stack_pool.every if stack.url == url).aws_endpoint
    admin = token(url, "ada")
    desk = open_call_settings(connect_desk(pages.new(), url, "ada"))
    assert axe_violations(desk, "#call-settings-view") == []

    # One weekday range, Tuesday 09:00-10:00, 6 callbacks: the other default ranges removed from the keyboard.
    while desk.get_by_test_id("cs-callback-slots-1-remove").count():
        desk.get_by_test_id("cs-callback-slots-1-remove").focus()
        desk.keyboard.press("Enter")
    desk.get_by_test_id("cs-callback-slots-0-weekday").select_option("tuesday")
    desk.get_by_test_id("cs-callback-slots-0-start").fill("09:00")
    desk.get_by_test_id("cs-callback-slots-0-end").fill("10:00")
    desk.get_by_test_id("cs-callback-slots-0-capacity").fill("6")
    desk.get_by_test_id("call-settings-save").click()
    expect(desk.get_by_test_id("call-settings-outcome")).to_have_text("Call settings saved.", timeout=WAIT)
    saved = callback_settings(url, admin)
    assert saved["slots"] == [{"weekday": "tuesday", "start": "09:00", "end": "10:00", "capacity": 6}]

    # 61 callbacks in an hour: refused, the message at that input, which gets the focus; nothing changed.
    capacity = desk.get_by_test_id("cs-callback-slots-0-capacity")
    capacity.fill("61")
    desk.get_by_test_id("call-settings-save").click()
    expect_refused_at(desk, "cs-callback-slots-0-capacity", "60")
    expect(desk.get_by_test_id("call-settings-outcome")).to_contain_text("Not saved")
    assert callback_settings(url, admin)["slots"] == saved["slots"]
    assert axe_violations(desk, "#call-settings-view") == []

    # Hold music: an MP3 (stereo, 24 kHz) converted in the page to 8 kHz mono 16-bit PCM WAV, then stored.
    desk.get_by_test_id("cs-callback-hold-music").set_input_files(str(MP3))
    status = desk.get_by_test_id("cs-callback-hold-music-status")
    expect(status).to_contain_text("Hold music saved", timeout=WAIT)
    key = callback_settings(url, admin)["hold_music"]
    assert key.startswith("audio/demo/hold_music-") and key.endswith(".wav")
    expect(desk.get_by_test_id("cs-callback-hold-music-key")).to_have_text(key)
    stored = audio_object(moto, key)
    assert stored["ContentType"] == "audio/wav"
    body = stored["Body"].read()
    with wave.open(io.BytesIO(body)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert 1.9 <= w.getnframes() / 8000 <= 2.3  # the 2 s tone, with the decoder's padding
        samples = struct.unpack(f"<{w.getnframes()}h", w.readframes(w.getnframes()))
    assert max(abs(s) for s in samples) > 3000  # the tone, not silence

    # A file over 200 KB is refused by the page, and nothing is sent.
    desk.get_by_test_id("cs-callback-recording-notice").set_input_files(
        files=[{"name": "long.wav", "mimeType": "audio/wav", "buffer": b"RIFF" + bytes(250 * 1024)}])
    notice = desk.get_by_test_id("cs-callback-recording-notice-status")
    expect(notice).to_contain_text("at most 200 KB")
    expect(desk.get_by_test_id("cs-callback-recording-notice")).to_have_attribute("aria-invalid", "true")
    assert callback_settings(url, admin)["recording_notice"] == ""

    # Recording on without a notice: refused, the message at the notice's upload.
    capacity.fill("6")
    desk.get_by_test_id("cs-callback-recording").check()
    desk.get_by_test_id("call-settings-save").click()
    expect(desk.get_by_test_id("call-settings-outcome")).to_contain_text("recording notice", timeout=WAIT)
    expect(notice).to_contain_text("recording notice")
    assert callback_settings(url, admin)["recording"] is False
    assert axe_violations(desk, "#call-settings-view") == []
    assert pages.dialogs == []


def test_an_admin_sets_an_agents_calls_and_only_admins_change_the_page(start_stack: StartStack, pages: Pages) -> None:
    stack_url = start_stack()
    alice = connect_desk(pages.new(), stack_url, "alice")
    expect(alice.get_by_test_id("agent-load")).to_be_visible(timeout=WAIT)  # /me has answered
    expect(alice.get_by_test_id("admin-tab")).to_be_hidden()
    sam = open_call_settings(connect_desk(pages.new(), stack_url, "sam"))  # a supervisor, not an admin: reads only
    expect(sam.get_by_test_id("cs-callback-horizon-days")).to_be_disabled()
    expect(sam.get_by_test_id("call-settings-save")).to_have_count(0)

    desk = open_call_settings(connect_desk(pages.new(), stack_url, "ada"))
    bob = next(a for a in rest(stack_url, "GET", "/tenants/demo/agents", token=token(stack_url, "ada"))["agents"]
               if a["name"] == "Bob Leroy")
    desk.get_by_test_id("cs-agent-pick").select_option(bob["id"])
    line = desk.get_by_test_id("cs-agent-own-line")
    expect(line).to_be_visible(timeout=WAIT)
    line.fill("+1 900 555 0100")  # premium rate: refused at its input
    desk.get_by_test_id("cs-agent-save").click()
    expect_refused_at(desk, "cs-agent-own-line", "premium")
    assert axe_violations(desk, "#call-settings-view") == []

    line.fill("+33 6 12 34 56 78")
    desk.get_by_test_id("cs-agent-takes-calls").check()
    desk.get_by_test_id("cs-agent-auto-answer-seconds").fill("45")
    desk.get_by_test_id("cs-agent-save").click()
    expect(desk.get_by_test_id("cs-agent-outcome")).to_have_text("Call settings of Bob Leroy saved.", timeout=WAIT)
    read = rest(stack_url, "GET", f"/tenants/demo/agents/{bob['id']}/settings", token=token(stack_url, "ada"))
    assert (read["takes_calls"], read["own_line"], read["auto_answer_seconds"]) == (True, "+33612345678", 45)

    desk.get_by_test_id("admin-tab").click()  # back to the conversations
    expect(desk.get_by_test_id("call-settings-view")).to_be_hidden()
    expect(desk.locator("#workspace")).to_be_visible()
    assert pages.dialogs == []
