"""One placed call, as the SIP media application (SMA) runs it (research/telephony.md §1, "Local phone emulator must
emulate"): a thread per call invokes the handler with the call's events, in order, in the fixtures' shape
(tests/fixtures/aws-events/chime-sma-*.json), and carries out the actions it answers with their documented
semantics: at most 10, in order, one ACTION_SUCCESSFUL for a list that succeeded, ACTION_FAILED clearing the rest,
TransactionAttributes replaced by each answer that gives them, PlayAudio and Pause interrupted by an update that
brings actions (ACTION_INTERRUPTED), INVALID_LAMBDA_RESPONSE for what the SMA refuses. docs/testing.md, "Phone
emulator", has the table of what happens when; local/phone_rules.py what the SMA checks; local/phone_media.py the
audio bucket. While the phone rings only a Hangup acts (it cancels the call); other actions wait for the answer,
whose own answer replaces them. A handler that raises is retried once; a second failure ends the call, silently."""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.phone import EmulatedCall, PhoneExchange
from local.phone_digits import play_and_get_digits
from local.phone_media import AudioRefused, Recording, audio_seconds, recording_key, write_recording
from local.phone_rules import MEETING_LEG, NOT_EMULATED, now_ms, refusal, whole

log = logging.getLogger("local.phone")

SLOW_HANDLER_SECONDS = 5.0  # the SMA retries an invocation it got no answer to within 5 s


class CallOver(Exception):
    """The call has ended: nothing more runs."""


@dataclass
class Outcome:
    data: dict[str, Any]
    error: bool = False
    replaced: list[dict[str, Any]] | None = None  # an update's actions, which replace the rest


@dataclass
class _Stimulus:
    kind: str  # answer, voicemail, busy, ring, hang_up, digits (the phone); update, room_closed (the services); stop
    data: dict[str, str] = field(default_factory=dict)


class CallDriver:
    def __init__(self, exchange: PhoneExchange, call: EmulatedCall) -> None:
        self.exchange = exchange
        self.call = call
        self.inbox: queue.Queue[_Stimulus] = queue.Queue()
        self.sequence = 0
        self.attributes: dict[str, str] = {}
        self.leg_a: dict[str, str] = {"CallId": call.call_id, "ParticipantTag": "LEG-A", "To": call.to_number,
                                      "From": call.from_number, "Direction": "Outbound",
                                      "StartTimeInMilliseconds": now_ms()}
        self.leg_b: dict[str, str] | None = None
        self.recordings: dict[str, Recording] = {}
        self.keypad: list[str] = []  # what the phone's script types, one entry per ask (local/phone_digits.py)
        self.over = False
        self.stopped = False  # the exchange's reset: the call ends without events or recordings
        self._thread = threading.Thread(target=self._run, name=f"sma-{call.transaction_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def post(self, kind: str, data: dict[str, str] | None = None) -> None:
        if kind == "stop":
            self.stopped = True  # at once: an invocation under way is the last one
        self.inbox.put(_Stimulus(kind, dict(data or {})))

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    # ---- the call ------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._invoke("NEW_OUTBOUND_CALL", {"Type": "CallCreateRequest",
                                               "Parameters": {"Arguments": dict(self.call.arguments)}})
            actions = self._ring()
            while True:
                actions = self._run_list(actions) if actions else self._react(self._next(None), None) or []
        except CallOver:
            pass
        except Exception:
            log.exception("the emulated call %s broke", self.call.transaction_id)
        finally:
            self._close("stopped" if self.stopped else "emulator error")

    def _ring(self) -> list[dict[str, Any]]:
        script = self.exchange.ringing(self.call)
        self.keypad = list(script.digits) if script is not None else []
        self._invoke("RINGING")
        if script is None or script.kind == "busy":
            self._finish(486, outcome="busy")
        assert script is not None
        started = time.monotonic()
        answer_at = started + script.after_seconds if script.kind in ("answer", "voicemail") else None
        voicemail = script.kind == "voicemail"
        waiting: list[dict[str, Any]] = []  # actions given before the answer
        while True:
            deadline = started + self.exchange.ring_timeout
            wake = deadline if answer_at is None else min(deadline, answer_at)
            stimulus = self._next(max(0.0, wake - time.monotonic()))
            if stimulus is None:
                if answer_at is not None and time.monotonic() >= answer_at:
                    return self._answer(voicemail, waiting)
                if time.monotonic() >= deadline:
                    self._finish(480, outcome="no answer")
                continue
            if stimulus.kind in ("answer", "voicemail"):
                return self._answer(stimulus.kind == "voicemail", waiting)
            if stimulus.kind in ("busy", "hang_up"):
                self._finish(486, outcome="busy")
            if stimulus.kind == "ring":
                answer_at = None
            elif stimulus.kind == "stop":
                self._stop()
            elif stimulus.kind == "update":
                given = self._invoke("CALL_UPDATE_REQUESTED", {"Type": "CallUpdateRequest",
                                                               "Parameters": {"Arguments": stimulus.data}})
                waiting = waiting if given is None else given
                hangup = next((a for a in waiting if a["Type"] == "Hangup" and self._leg(a["Parameters"]) is
                               self.leg_a), None)
                if hangup is not None:
                    self._finish(whole(hangup["Parameters"].get("SipResponseCode"), 0) or 0, hangup,
                                 outcome="cancelled by the application")

    def _answer(self, voicemail: bool, waiting: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.leg_a["Status"] = "Connected"
        self.exchange.show(self.call, "in call", voicemail=voicemail)
        given = self._invoke("CALL_ANSWERED")
        return waiting if given is None else given

    def _run_list(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Runs a list; returns the next one (the answer to its result, or an update's)."""
        last: dict[str, Any] = {}
        for action in actions:
            while (stimulus := self._next(0)) is not None:  # what came while the previous action ran
                replaced = self._react(stimulus, None)
                if replaced is not None:
                    return replaced
            outcome = self._execute(action)
            if outcome.replaced is not None:
                return outcome.replaced
            if outcome.error:
                return self._invoke("ACTION_FAILED", outcome.data) or []
            last = outcome.data
        return self._invoke("ACTION_SUCCESSFUL", last) or []

    def _react(self, stimulus: _Stimulus | None, running: dict[str, Any] | None) -> list[dict[str, Any]] | None:
        """A stimulus during the call; the actions that replace the rest, or None for no change."""
        if stimulus is None:
            return None
        if stimulus.kind == "stop":
            self._stop()
        if stimulus.kind == "hang_up":
            self._finish(0, outcome="hung up by the phone")
        if stimulus.kind == "update":
            given = self._invoke("CALL_UPDATE_REQUESTED", {"Type": "CallUpdateRequest",
                                                           "Parameters": {"Arguments": stimulus.data}})
            if given is not None and running is not None:
                self._invoke("ACTION_INTERRUPTED", running)  # informational: its answer is ignored
            return given
        if stimulus.kind == "room_closed" and self.leg_b is not None:
            leg_b = self.leg_b
            leg_b["Status"] = "Disconnected"
            data = {"Type": "Hangup", "Parameters": {"SipResponseCode": "0", "CallId": leg_b["CallId"],
                                                     "ParticipantTag": "LEG-B"}}
            self.exchange.leave(self.call)
            given = self._invoke("HANGUP", data)
            self.leg_b = None
            return given
        return None  # a button that does nothing once answered

    # ---- actions -------------------------------------------------------------------------------------------------
    def _execute(self, action: dict[str, Any]) -> Outcome:
        kind, parameters = action["Type"], action["Parameters"]
        data = {"Type": kind, "Parameters": copy.deepcopy(parameters)}
        if kind in NOT_EMULATED:
            return self._failed(data, "SystemException", f"{kind} is not emulated locally (local/phone_calls.py)")
        run = {"PlayAudio": self._play, "Pause": self._pause, "Hangup": self._hangup,
               "JoinChimeMeeting": self._join, "StartCallRecording": self._start_recording,
               "StopCallRecording": self._stop_recording, "PauseCallRecording": self._pause_recording,
               "ResumeCallRecording": self._pause_recording, "PlayAudioAndGetDigits": self._get_digits}[kind]
        return run(data, parameters)

    def _get_digits(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        return play_and_get_digits(self, data, parameters)

    def _play(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        leg = self._leg(parameters)
        source = parameters.get("AudioSource")
        repeat = whole(parameters.get("Repeat"), 1)
        if leg is None or repeat is None or repeat < 1 or not isinstance(source, dict) or source.get("Type") != "S3":
            return self._failed(data, "InvalidActionParameter", "a parameter of the action is invalid")
        try:
            seconds = audio_seconds(self.exchange.s3, str(source.get("BucketName")), str(source.get("Key")))
        except AudioRefused as refused:
            log.info("PlayAudio failed on %s: %s", self.call.transaction_id, refused)
            return self._failed(data, "InvalidAudioSource", "Audio Source parameter value is invalid.")
        return self._wait(data, seconds * repeat * self.exchange.audio_scale, music=leg is self.leg_a)

    def _pause(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        duration = whole(parameters.get("DurationInMilliseconds"), 0)
        if self._leg(parameters) is None or not duration or duration < 1:
            return self._failed(data, "InvalidActionParameter", "DurationInMilliseconds must be above 0")
        return self._wait(data, duration / 1000 * self.exchange.audio_scale, music=False)

    def _wait(self, data: dict[str, Any], seconds: float, *, music: bool) -> Outcome:
        """An action that lasts: it ends, or an update's actions interrupt it."""
        if music:
            self.exchange.show(self.call, "hearing music")
        try:
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                replaced = self._react(self._next(left), data)
                if replaced is not None:
                    return Outcome(data, replaced=replaced)
            return Outcome(data)
        finally:
            if music:
                self.exchange.show(self.call, "in call")

    def _hangup(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        leg, code = self._leg(parameters), whole(parameters.get("SipResponseCode"), 0)
        if leg is None or code not in (0, 480, 486):
            return self._failed(data, "InvalidActionParameter", "a parameter of the action is invalid")
        if leg is self.leg_a:
            self._finish(code, {"Type": "Hangup", "Parameters": {
                "SipResponseCode": str(code), "CallId": self.leg_a["CallId"], "ParticipantTag": "LEG-A"}},
                outcome="hung up by the application")
        self.exchange.leave(self.call)  # the meeting leg: the party stays on the line, out of the room
        self.leg_b = None
        return Outcome(data)

    def _join(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        token, meeting = parameters.get("JoinToken"), parameters.get("MeetingId") or ""
        if self._leg(parameters) is not self.leg_a or self.leg_b is not None or not isinstance(token, str):
            return self._failed(data, "InvalidActionParameter", "a parameter of the action is invalid")
        if not self.exchange.admit(self.call, str(meeting), token):
            return self._failed(data, "InvalidActionParameter", "JoinToken parameter value is invalid.")
        self.leg_b = {"CallId": str(uuid.uuid4()), "ParticipantTag": "LEG-B", **MEETING_LEG,
                      "StartTimeInMilliseconds": now_ms(), "Status": "Connected"}
        self.exchange.show(self.call, "in call")
        return Outcome(data)

    def _start_recording(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        call_id, track, destination = parameters.get("CallId"), parameters.get("Track"), parameters.get("Destination")
        leg = self._leg(parameters) if isinstance(call_id, str) and call_id else None
        if (leg is None or track not in ("BOTH", "INCOMING", "OUTGOING") or not isinstance(destination, dict)
                or destination.get("Type") != "S3" or not destination.get("Location") or call_id in self.recordings):
            return self._failed(data, "InvalidActionParameter", "CallId parameter for action is invalid")
        started = datetime.now(UTC)
        bucket, key = recording_key(str(destination["Location"]), started, self.call.transaction_id, str(call_id))
        try:
            self.exchange.s3.head_bucket(Bucket=bucket)
        except Exception:
            return self._failed(data, "NoAccessToDestination", "Error while accessing destination")
        recording = Recording(self.call.transaction_id, str(call_id), str(track), bucket, key, started,
                              time.monotonic())
        self.recordings[str(call_id)] = recording
        with self.exchange.lock:
            self.exchange.recordings.append(recording)
        return Outcome({**data, "CallRecordingDestination": {"Type": "S3", "Location": recording.location}})

    def _stop_recording(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        recording = self.recordings.get(str(parameters.get("CallId")))
        if recording is None or recording.seconds is not None:
            return self._failed(data, "InvalidActionParameter", "CallId parameter for action is invalid")
        self._write(recording)
        return Outcome(data)

    def _pause_recording(self, data: dict[str, Any], parameters: dict[str, Any]) -> Outcome:
        """PauseCallRecording and ResumeCallRecording: a leg that is not being recorded fails (ACTION_FAILED)."""
        recording = self.recordings.get(str(parameters.get("CallId")))
        pause = data["Type"] == "PauseCallRecording"
        problem = recording.pause_or_resume(pause, time.monotonic()) if recording else "the leg is not recorded"
        return self._failed(data, "InvalidActionParameter", problem) if problem else Outcome(data)

    def _write(self, recording: Recording) -> None:
        write_recording(self.exchange.s3, recording, time.monotonic() - recording.started_monotonic)

    @staticmethod
    def _failed(data: dict[str, Any], error_type: str, message: str) -> Outcome:
        return Outcome({**data, "ErrorType": error_type, "ErrorMessage": message}, error=True)

    def _leg(self, parameters: dict[str, Any]) -> dict[str, str] | None:
        """The leg an action names: by CallId, else by ParticipantTag (LEG-A by default)."""
        legs = [leg for leg in (self.leg_a, self.leg_b) if leg is not None]
        call_id = parameters.get("CallId")
        if call_id:
            return next((leg for leg in legs if leg["CallId"] == call_id), None)
        tag = str(parameters.get("ParticipantTag") or "LEG-A").upper()
        return next((leg for leg in legs if leg["ParticipantTag"] == tag), None)

    # ---- the end -------------------------------------------------------------------------------------------------
    def _finish(self, code: int, data: dict[str, Any] | None = None, *, outcome: str) -> None:
        """The call ends with SIP code `code`: the phone is idle, recordings are written, then HANGUP."""
        self.leg_a["Status"] = "Disconnected"
        if self.leg_b is not None:
            self.leg_b["Status"] = "Disconnected"
        self._close(outcome)
        self._invoke("HANGUP", data or {"Type": "Hangup", "Parameters": {
            "SipResponseCode": str(code), "CallId": self.leg_a["CallId"], "ParticipantTag": "LEG-A"}}, final=True)
        raise CallOver

    def _stop(self) -> None:
        self.stopped = True
        raise CallOver

    def _close(self, outcome: str) -> None:
        if self.over:
            return
        self.over = True
        self.exchange.leave(self.call)
        for recording in self.recordings.values():
            if recording.seconds is None and not self.stopped:
                try:
                    self._write(recording)
                except Exception:
                    log.exception("the recording of %s could not be written", self.call.transaction_id)
        self.exchange.ended(self.call, outcome)

    # ---- invocations ---------------------------------------------------------------------------------------------
    def _next(self, timeout: float | None) -> _Stimulus | None:
        try:
            if timeout is not None and timeout <= 0:
                return self.inbox.get_nowait()
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def _event(self, kind: str, data: dict[str, Any] | None, extra: dict[str, str] | None) -> dict[str, Any]:
        self.sequence += 1
        details: dict[str, Any] = {
            "TransactionId": self.call.transaction_id, "AwsAccountId": self.exchange.account_id,
            "AwsRegion": self.exchange.region, "SipMediaApplicationId": self.call.sip_media_application_id}
        if self.attributes:
            details["TransactionAttributes"] = dict(self.attributes)
        details["Participants"] = [dict(leg) for leg in (self.leg_a, self.leg_b) if leg is not None]
        event: dict[str, Any] = {"SchemaVersion": "1.0", "Sequence": self.sequence, "InvocationEventType": kind}
        if data is not None:
            event["ActionData"] = copy.deepcopy(data)
        event["CallDetails"] = details
        event.update(extra or {})
        return event

    def _invoke(self, kind: str, data: dict[str, Any] | None = None, extra: dict[str, str] | None = None, *,
                final: bool = False) -> list[dict[str, Any]] | None:
        """Delivers one event; the actions of its answer (None: the answer brings none, or is ignored)."""
        if self.stopped:
            raise CallOver
        event = self._event(kind, data, extra)
        answer = self._deliver(event)
        if self.stopped:
            raise CallOver
        entry: dict[str, object] = {"sequence": event["Sequence"], "type": kind, "answer": answer}
        self.call.events.append(entry)
        if final:
            return None  # the call is over: nothing of the answer is used
        if answer is None:
            self._close("the handler failed twice")
            raise CallOver
        error = refusal(answer)
        if error is not None:
            entry["refused"] = error[0]
            if kind == "INVALID_LAMBDA_RESPONSE":
                return None
            return self._invoke("INVALID_LAMBDA_RESPONSE", None, {"ErrorType": error[0], "ErrorMessage": error[1]})
        if "TransactionAttributes" in answer:
            self.attributes = dict(answer["TransactionAttributes"])
        if kind in ("NEW_OUTBOUND_CALL", "RINGING", "ACTION_INTERRUPTED"):
            return None  # the SMA ignores the actions of these answers
        actions = answer.get("Actions")
        return None if actions is None else [dict(a) for a in actions]

    def _deliver(self, event: dict[str, Any]) -> dict[str, Any] | None:
        handler = self.exchange.handler
        assert handler is not None
        answer: dict[str, Any] | None = None
        for attempt in (1, 2):
            started = time.monotonic()
            try:
                answer = handler(copy.deepcopy(event))
                break
            except Exception:
                log.exception("the SMA handler failed on %s #%s (try %d)", self.call.transaction_id,
                              event["Sequence"], attempt)
            finally:
                if time.monotonic() - started > SLOW_HANDLER_SECONDS:
                    log.warning("the SMA handler took over 5 s on %s #%s: the SMA would have retried",
                                self.call.transaction_id, event["Sequence"])
        if answer is not None and self.exchange.deliver_twice:
            try:
                again = handler(copy.deepcopy(event))
            except Exception:
                again = None
                log.exception("the SMA handler failed on the second delivery of %s #%s", self.call.transaction_id,
                              event["Sequence"])
            if again != answer:
                self.call.mismatches.append(int(event["Sequence"]))
        return answer
