"""The phone emulator drives a SIP media application handler as the SMA does (local/phone_calls.py): a scripted fake
handler records the events it receives, in order, and answers what each test needs; audio and recordings live in a
bucket of a moto server. Timings are short: ring timeout and audio scale are the exchange's."""

from __future__ import annotations

import io
import re
import threading
import time
import wave
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.moto_server import EmbeddedMoto
from local.phone import PhoneExchange, Script
from local.phone_media import silent_wav

SMA = "local-sma"
CALLER = "+15550100000"
VISITOR = "+33612345678"
BUCKET = "audio"
NOTHING: dict[str, Any] = {"SchemaVersion": "1.0", "Actions": []}

Answer = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


def actions(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"SchemaVersion": "1.0", "Actions": list(items), **extra}


def play(key: str, repeat: int = 1) -> dict[str, Any]:
    return {"Type": "PlayAudio", "Parameters": {"ParticipantTag": "LEG-A", "Repeat": repeat,
                                                "AudioSource": {"Type": "S3", "BucketName": BUCKET, "Key": key}}}


def pause(ms: int) -> dict[str, Any]:
    return {"Type": "Pause", "Parameters": {"ParticipantTag": "LEG-A", "DurationInMilliseconds": str(ms)}}


HANGUP = {"Type": "Hangup", "Parameters": {"ParticipantTag": "LEG-A", "SipResponseCode": "0"}}


class FakeSma:
    """Records each invocation; answers with the next answer queued for its event type (else no actions)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.answers: dict[str, list[Answer]] = {}
        self.lock = threading.Lock()

    def on(self, event_type: str, *answers: Answer) -> None:
        self.answers.setdefault(event_type, []).extend(answers)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.events.append(event)
            self.times.append(time.monotonic())
            queued = self.answers.get(event["InvocationEventType"]) or []
            answer = queued.pop(0) if queued else NOTHING
        return answer(event) if callable(answer) else answer

    def types(self) -> list[str]:
        return [e["InvocationEventType"] for e in self.events]

    def wait_for(self, event_type: str, timeout: float = 5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in list(self.events) if e["InvocationEventType"] == event_type]
            if found:
                return found[-1]
            time.sleep(0.01)
        raise AssertionError(f"no {event_type} within {timeout} s; got {self.types()}")


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    server = EmbeddedMoto().start()
    client = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", config=Config(s3={"addressing_style": "path"}))
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="audio/one-second.wav", Body=silent_wav(1.0), ContentType="audio/wav")
    client.put_object(Bucket=BUCKET, Key="audio/not-a-wav.wav", Body=b"ID3" + bytes(400), ContentType="audio/wav")
    client.put_object(Bucket=BUCKET, Key="audio/mislabelled.wav", Body=silent_wav(0.1), ContentType="audio/mpeg")
    yield client
    server.stop()


@pytest.fixture
def sma() -> FakeSma:
    return FakeSma()


@pytest.fixture
def exchange(sma: FakeSma, s3: Any) -> Iterator[PhoneExchange]:
    found = PhoneExchange(sma, ring_timeout=0.3, audio_scale=0.05, s3=s3)
    yield found
    found.reset()


def dial(exchange: PhoneExchange, script: Script | None = None, to: str = VISITOR) -> str:
    if script is not None:
        exchange.set_script(to, script)
    call = exchange.place_call(SMA, {"FromPhoneNumber": CALLER, "ToPhoneNumber": to,
                                     "ArgumentsMap": {"tenant": "demo", "callback": "cb-1"}})
    return call.transaction_id


def until(check: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.01)


def legs(event: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(p["ParticipantTag"], p.get("Status")) for p in event["CallDetails"]["Participants"]]


def hangup_code(event: dict[str, Any]) -> str:
    return str(event["ActionData"]["Parameters"]["SipResponseCode"])


ANSWER = Script("answer")


def test_an_answered_call_then_the_callee_hangs_up(exchange: PhoneExchange, sma: FakeSma) -> None:
    transaction = dial(exchange, ANSWER)
    sma.wait_for("CALL_ANSWERED")
    assert exchange.phones[VISITOR].state == "in call"
    assert exchange.press(VISITOR, "answer") is False  # already answered
    assert exchange.press(VISITOR, "hang_up") is True
    hangup = sma.wait_for("HANGUP")
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "HANGUP"]
    assert [e["Sequence"] for e in sma.events] == [1, 2, 3, 4]
    first = sma.events[0]
    assert list(first) == ["SchemaVersion", "Sequence", "InvocationEventType", "ActionData", "CallDetails"]
    assert first["ActionData"] == {"Type": "CallCreateRequest",
                                   "Parameters": {"Arguments": {"tenant": "demo", "callback": "cb-1"}}}
    details = first["CallDetails"]
    assert (details["TransactionId"], details["SipMediaApplicationId"], details["AwsRegion"]) == (
        transaction, SMA, "us-east-1")
    leg = details["Participants"][0]
    assert (leg["ParticipantTag"], leg["To"], leg["From"], leg["Direction"]) == ("LEG-A", VISITOR, CALLER, "Outbound")
    assert leg["StartTimeInMilliseconds"].isdigit()
    assert [legs(e) for e in sma.events] == [[("LEG-A", None)], [("LEG-A", None)], [("LEG-A", "Connected")],
                                             [("LEG-A", "Disconnected")]]
    assert hangup_code(hangup) == "0"
    until(lambda: exchange.phones[VISITOR].state == "idle")
    assert exchange.calls[transaction].state == "ended"


def test_a_busy_phone_answers_486(exchange: PhoneExchange, sma: FakeSma) -> None:
    dial(exchange, Script("busy"))
    assert hangup_code(sma.wait_for("HANGUP")) == "486"
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "HANGUP"]
    assert legs(sma.events[-1]) == [("LEG-A", "Disconnected")]


def test_a_phone_nobody_answers_ends_with_480_after_the_ring_timeout(exchange: PhoneExchange, sma: FakeSma) -> None:
    dial(exchange)  # the default script: let it ring
    until(lambda: exchange.phones[VISITOR].state == "ringing")
    assert hangup_code(sma.wait_for("HANGUP")) == "480"
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "HANGUP"]
    assert sma.times[-1] - sma.times[1] >= 0.25  # the ring timeout is 0.3 s


def test_voicemail_answers_like_a_person(exchange: PhoneExchange, sma: FakeSma) -> None:
    dial(exchange, Script("voicemail", after_seconds=0.05))
    sma.wait_for("CALL_ANSWERED")
    phone = exchange.phones[VISITOR]
    assert (phone.state, phone.voicemail) == ("in call", True)
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED"]


def test_the_live_buttons_decide_a_ringing_call(exchange: PhoneExchange, sma: FakeSma) -> None:
    exchange.ring_timeout = 5
    dial(exchange, Script("answer", after_seconds=0.2, once=True))
    until(lambda: exchange.phones[VISITOR].state == "ringing")
    assert exchange.phones[VISITOR].script == Script()  # a `once` script is used up by the ring
    assert exchange.press(VISITOR, "ring")  # let it ring: the scripted answer does not come
    time.sleep(0.3)
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING"]
    assert exchange.press(VISITOR, "busy")
    assert hangup_code(sma.wait_for("HANGUP")) == "486"


def test_a_phone_already_on_a_call_is_busy(exchange: PhoneExchange, sma: FakeSma) -> None:
    dial(exchange, ANSWER)
    sma.wait_for("CALL_ANSWERED")
    second = dial(exchange)
    until(lambda: exchange.calls[second].state == "ended")
    assert exchange.calls[second].outcome == "busy"
    assert exchange.phones[VISITOR].state == "in call"


def test_more_than_ten_actions_is_an_invalid_response_and_nothing_runs(exchange: PhoneExchange,
                                                                      sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(*[pause(10)] * 11))
    dial(exchange, ANSWER)
    invalid = sma.wait_for("INVALID_LAMBDA_RESPONSE")
    assert invalid["ErrorType"] and invalid["ErrorMessage"] and "ActionData" not in invalid
    time.sleep(0.2)
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "INVALID_LAMBDA_RESPONSE"]


def test_ten_actions_run_in_order_then_one_action_successful(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(*[pause(10 + n) for n in range(10)]))
    dial(exchange, ANSWER)
    done = sma.wait_for("ACTION_SUCCESSFUL")
    assert done["ActionData"] == {"Type": "Pause", "Parameters": {"ParticipantTag": "LEG-A",
                                                                  "DurationInMilliseconds": "19"}}
    assert sma.types().count("ACTION_SUCCESSFUL") == 1


def test_action_failed_clears_the_rest_of_the_list(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(pause(10), play("audio/missing.wav"), pause(10), HANGUP))
    dial(exchange, ANSWER)
    failed = sma.wait_for("ACTION_FAILED")
    assert failed["ActionData"]["Type"] == "PlayAudio"
    assert failed["ActionData"]["ErrorType"] == "InvalidAudioSource"
    time.sleep(0.2)
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "ACTION_FAILED"]  # no Hangup ran
    assert exchange.phones[VISITOR].state == "in call"


@pytest.mark.parametrize("key", ["audio/missing.wav", "audio/not-a-wav.wav", "audio/mislabelled.wav"])
def test_play_audio_fails_on_a_missing_or_non_wav_object(exchange: PhoneExchange, sma: FakeSma, key: str) -> None:
    sma.on("CALL_ANSWERED", actions(play(key)))
    dial(exchange, ANSWER)
    failed = sma.wait_for("ACTION_FAILED")
    assert (failed["ActionData"]["ErrorType"], failed["ActionData"]["Parameters"]["AudioSource"]["Key"]) == (
        "InvalidAudioSource", key)


def test_play_audio_lasts_the_file_times_repeat_and_the_phone_hears_music(exchange: PhoneExchange,
                                                                          sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(play("audio/one-second.wav", repeat=4)))  # 4 x 1 s x 0.05 = 0.2 s
    dial(exchange, ANSWER)
    sma.wait_for("CALL_ANSWERED")
    until(lambda: exchange.phones[VISITOR].state == "hearing music")
    done = sma.wait_for("ACTION_SUCCESSFUL")
    assert done["ActionData"]["Type"] == "PlayAudio"
    assert 0.18 <= sma.times[-1] - sma.times[2] < 1.0
    until(lambda: exchange.phones[VISITOR].state == "in call")


def test_an_update_interrupts_play_audio_and_its_actions_run(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(play("audio/one-second.wav", repeat=1000)))
    sma.on("CALL_UPDATE_REQUESTED", actions(HANGUP))
    transaction = dial(exchange, ANSWER)
    until(lambda: exchange.phones[VISITOR].state == "hearing music")
    assert exchange.update_call(transaction, {"guichet_command": "hang_up"}) is not None
    sma.wait_for("HANGUP")
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "CALL_UPDATE_REQUESTED",
                           "ACTION_INTERRUPTED", "HANGUP"]
    update, interrupted, hangup = sma.events[3:]
    assert update["ActionData"] == {"Type": "CallUpdateRequest",
                                    "Parameters": {"Arguments": {"guichet_command": "hang_up"}}}
    assert interrupted["ActionData"]["Type"] == "PlayAudio"
    assert hangup["ActionData"]["Parameters"]["ParticipantTag"] == "LEG-A"
    until(lambda: exchange.update_call(transaction, {}) is None)  # the call is gone: UpdateSipMediaApplicationCall 404


def test_an_update_answered_without_actions_lets_the_audio_play_on(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_ANSWERED", actions(play("audio/one-second.wav", repeat=4)))
    sma.on("CALL_UPDATE_REQUESTED", {"SchemaVersion": "1.0"})
    transaction = dial(exchange, ANSWER)
    until(lambda: exchange.phones[VISITOR].state == "hearing music")
    exchange.update_call(transaction, {"k": "v"})
    sma.wait_for("ACTION_SUCCESSFUL")
    assert "ACTION_INTERRUPTED" not in sma.types()


def test_transaction_attributes_come_back_until_replaced(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("NEW_OUTBOUND_CALL", actions(TransactionAttributes={"callback": "cb-1", "party": "visitor"}))
    sma.on("CALL_ANSWERED", actions(pause(10), TransactionAttributes={"party": "visitor"}))
    sma.on("ACTION_SUCCESSFUL", actions(HANGUP, TransactionAttributes={}))
    dial(exchange, ANSWER)
    sma.wait_for("HANGUP")
    seen = [e["CallDetails"].get("TransactionAttributes") for e in sma.events]
    assert seen == [None, {"callback": "cb-1", "party": "visitor"}, {"callback": "cb-1", "party": "visitor"},
                    {"party": "visitor"}, None]


def test_a_recording_is_written_at_the_documented_key(exchange: PhoneExchange, sma: FakeSma, s3: Any) -> None:
    def start(event: dict[str, Any]) -> dict[str, Any]:
        call_id = event["CallDetails"]["Participants"][0]["CallId"]
        return actions({"Type": "StartCallRecording", "Parameters": {
            "CallId": call_id, "Track": "BOTH", "Destination": {"Type": "S3", "Location": f"{BUCKET}/recordings"}}},
            pause(100), {"Type": "StopCallRecording", "Parameters": {"CallId": call_id}})

    sma.on("CALL_ANSWERED", start)
    transaction = dial(exchange, ANSWER)
    sma.wait_for("ACTION_SUCCESSFUL")
    call_id = exchange.calls[transaction].call_id
    started = next(e for e in exchange.calls[transaction].events if e["type"] == "ACTION_SUCCESSFUL")
    assert started["sequence"] == 4
    key = exchange.recordings[0].key
    assert re.fullmatch(rf"recordings/(\d{{4}})/(\d\d)/(\d\d)/\1-\2-\3-\d\d-\d\d-\d\d-\d{{3}}_{transaction}_{call_id}"
                        r"\.wav", key), key
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["ContentType"] == "audio/wav"
    assert stored["Metadata"]["transaction-id"] == transaction
    assert stored["Metadata"]["call-id"] == call_id
    assert stored["Metadata"]["recording-audio-file-format"] == "audio/wav"
    assert float(stored["Metadata"]["recording-duration"]) >= 0
    with wave.open(io.BytesIO(stored["Body"].read())) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)


def test_start_call_recording_answers_its_destination_with_the_default_prefix(exchange: PhoneExchange,
                                                                              sma: FakeSma, s3: Any) -> None:
    sma.on("CALL_ANSWERED", lambda event: actions({"Type": "StartCallRecording", "Parameters": {
        "CallId": event["CallDetails"]["Participants"][0]["CallId"], "Track": "INCOMING",
        "Destination": {"Type": "S3", "Location": BUCKET}}}))
    dial(exchange, ANSWER)
    done = sma.wait_for("ACTION_SUCCESSFUL")
    location = done["ActionData"]["CallRecordingDestination"]
    assert location["Type"] == "S3"
    assert location["Location"].startswith(f"{BUCKET}/Amazon-Chime-SMA-Call-Recordings/")
    exchange.press(VISITOR, "hang_up")  # the recording stops with the call
    sma.wait_for("HANGUP")
    key = location["Location"].split("/", 1)[1]
    until(lambda: any(o["Key"] == key for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])))


def test_join_chime_meeting_needs_a_token_of_that_meeting(exchange: PhoneExchange, sma: FakeSma) -> None:
    room = exchange.open_room({"ClientRequestToken": "cb-1", "MediaRegion": "us-east-1"})
    seat = exchange.seat(room.meeting_id, "visitor")
    assert seat is not None
    join_bad = {"Type": "JoinChimeMeeting", "Parameters": {"JoinToken": "forged", "MeetingId": room.meeting_id}}
    join = {"Type": "JoinChimeMeeting", "Parameters": {"JoinToken": seat["JoinToken"], "MeetingId": room.meeting_id}}
    sma.on("CALL_ANSWERED", actions(join_bad))
    sma.on("ACTION_FAILED", actions(join))
    transaction = dial(exchange, ANSWER)
    failed = sma.wait_for("ACTION_FAILED")
    assert failed["ActionData"]["ErrorType"] == "InvalidActionParameter"
    joined = sma.wait_for("ACTION_SUCCESSFUL")
    assert joined["ActionData"]["Type"] == "JoinChimeMeeting"
    assert legs(joined) == [("LEG-A", "Connected"), ("LEG-B", "Connected")]
    assert joined["CallDetails"]["Participants"][1]["To"] == "SMA"
    assert exchange.rooms[room.meeting_id].present == {transaction: VISITOR}
    assert exchange.phones[VISITOR].room == room.meeting_id
    exchange.close_room(room.meeting_id)  # DeleteMeeting: the meeting leg hangs up, the phone stays on the line
    left = sma.wait_for("HANGUP")
    assert left["ActionData"]["Parameters"]["ParticipantTag"] == "LEG-B"
    assert legs(left) == [("LEG-A", "Connected"), ("LEG-B", "Disconnected")]
    assert exchange.phones[VISITOR].state == "in call"


def test_hanging_up_in_a_room_disconnects_both_legs(exchange: PhoneExchange, sma: FakeSma) -> None:
    room = exchange.open_room({"ClientRequestToken": "cb-2", "MediaRegion": "us-east-1"})
    seat = exchange.seat(room.meeting_id, "visitor")
    assert seat is not None
    sma.on("CALL_ANSWERED", actions({"Type": "JoinChimeMeeting", "Parameters": {
        "JoinToken": seat["JoinToken"], "MeetingId": room.meeting_id}}))
    dial(exchange, ANSWER)
    sma.wait_for("ACTION_SUCCESSFUL")
    exchange.press(VISITOR, "hang_up")
    hangup = sma.wait_for("HANGUP")
    assert legs(hangup) == [("LEG-A", "Disconnected"), ("LEG-B", "Disconnected")]
    assert exchange.rooms[room.meeting_id].present == {}


def test_a_hangup_given_while_ringing_cancels_the_call(exchange: PhoneExchange, sma: FakeSma) -> None:
    sma.on("CALL_UPDATE_REQUESTED", actions(HANGUP))
    exchange.ring_timeout = 5
    transaction = dial(exchange)
    until(lambda: exchange.phones[VISITOR].state == "ringing")
    exchange.update_call(transaction, {"guichet_command": "hang_up"})
    assert hangup_code(sma.wait_for("HANGUP")) == "0"
    assert "CALL_ANSWERED" not in sma.types()
    until(lambda: exchange.phones[VISITOR].state == "idle")


def test_a_handler_that_fails_twice_ends_the_call(exchange: PhoneExchange, sma: FakeSma) -> None:
    def broken(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    sma.on("CALL_ANSWERED", broken, broken)
    transaction = dial(exchange, ANSWER)
    until(lambda: exchange.calls[transaction].state == "ended")
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "CALL_ANSWERED"]
    assert exchange.phones[VISITOR].state == "idle"


def test_every_invocation_can_be_delivered_twice(sma: FakeSma, s3: Any) -> None:
    exchange = PhoneExchange(sma, ring_timeout=0.3, audio_scale=0.05, s3=s3, deliver_twice=True)
    try:
        sma.on("CALL_ANSWERED", actions(pause(10)), NOTHING)  # the second delivery gets another answer
        transaction = dial(exchange, Script("busy"), to="+33612345679")
        until(lambda: exchange.calls[transaction].state == "ended")
        exchange.calls[transaction].driver.join(5)  # the hang-up's second delivery may follow the end by a moment
        assert [e["Sequence"] for e in sma.events] == [1, 1, 2, 2, 3, 3]
        assert exchange.calls[transaction].mismatches == []
        second = dial(exchange, ANSWER, to="+33612345670")
        sma.wait_for("ACTION_SUCCESSFUL")
        assert exchange.calls[second].mismatches == [3]
    finally:
        exchange.reset()


def test_a_reset_ends_calls_silently_and_forgets_the_phones(exchange: PhoneExchange, sma: FakeSma) -> None:
    exchange.ring_timeout = 5
    dial(exchange)
    until(lambda: exchange.phones.get(VISITOR) is not None and exchange.phones[VISITOR].state == "ringing")
    exchange.reset()
    time.sleep(0.1)
    assert sma.types() == ["NEW_OUTBOUND_CALL", "RINGING"]
    assert (exchange.calls, exchange.phones) == ({}, {})
