"""The vendored Amazon Chime SDK bundle (web/vendor/README.md) loads in Chromium from the local stack as an ES
module, and builds a logger and a meeting session's configuration from CreateMeeting and CreateAttendee answers.
Nothing joins: no device, no network beyond the bundle itself."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.helpers import Pages

ROOT = Path(__file__).resolve().parents[2]

# The shapes of the Chime SDK Meetings API's CreateMeeting and CreateAttendee answers, with made-up values.
MEETING = {"Meeting": {
    "MeetingId": "9a8b7c6d-0000-4000-8000-000000000001", "ExternalMeetingId": "call-1", "MediaRegion": "eu-west-3",
    "MediaPlacement": {
        "AudioHostUrl": "abc.k.m1.ew3.app.chime.aws:3478",
        "AudioFallbackUrl": "wss://haxrp.m1.ew3.app.chime.aws:443/calls/9a8b7c6d",
        "SignalingUrl": "wss://signal.m1.ew3.app.chime.aws/control/9a8b7c6d",
        "TurnControlUrl": "https://2713.cell.eu-west-3.meetings.chime.aws/v2/turn_sessions",
        "ScreenDataUrl": "", "ScreenViewingUrl": "", "ScreenSharingUrl": "", "EventIngestionUrl": "",
    },
}}
ATTENDEE = {"Attendee": {
    "ExternalUserId": "agent-alice", "AttendeeId": "5e6f7a8b-0000-4000-8000-000000000002", "JoinToken": "made-up",
}}


def test_the_bundle_imports_and_configures_a_meeting_session(stack_url: str, pages: Pages) -> None:
    page = pages.new()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack_url}/desk/index.html")
    result = page.evaluate("""async ([meeting, attendee]) => {
        const sdk = await import('/vendor/amazon-chime-sdk.module.js');
        const logger = new sdk.ConsoleLogger('softphone', sdk.LogLevel.OFF);
        const configuration = new sdk.MeetingSessionConfiguration(meeting, attendee);
        return {
            exports: ['DefaultDeviceController', 'DefaultMeetingSession', 'MeetingSessionConfiguration']
                .filter((name) => typeof sdk[name] === 'function'),
            level: logger.getLogLevel() === sdk.LogLevel.OFF,
            meetingId: configuration.meetingId,
            attendeeId: configuration.credentials.attendeeId,
            signalingUrl: configuration.urls.signalingURL,
            version: sdk.Versioning.sdkVersion,
        };
    }""", [MEETING, ATTENDEE])
    assert result == {
        "exports": ["DefaultDeviceController", "DefaultMeetingSession", "MeetingSessionConfiguration"],
        "level": True,
        "meetingId": MEETING["Meeting"]["MeetingId"],
        "attendeeId": ATTENDEE["Attendee"]["AttendeeId"],
        "signalingUrl": MEETING["Meeting"]["MediaPlacement"]["SignalingUrl"],  # type: ignore[index]
        "version": re.search(r"^CHIME_SDK_VERSION := (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"),
                             re.MULTILINE).group(1),  # type: ignore[union-attr]
    }
    assert errors == []
