"""What the SIP media application checks and names, for the phone emulator's calls (local/phone_calls.py): the
action types it runs, the limits of a response (DG invoke-on-call-leg, transaction-attributes), the meeting leg's
numbers, and the parameters' lenient reading (numbers may come as strings of digits)."""

from __future__ import annotations

import json
import time

MAX_ACTIONS = 10
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTES_BYTES = 20_000
RUN = frozenset({"PlayAudio", "Pause", "Hangup", "JoinChimeMeeting", "StartCallRecording", "StopCallRecording",
                 "PauseCallRecording", "ResumeCallRecording", "PlayAudioAndGetDigits"})
NOT_EMULATED = frozenset({
    "CallAndBridge", "ReceiveDigits", "SendDigits", "Speak", "SpeakAndGetDigits",
    "RecordAudio", "ModifyChimeMeetingAttendees", "StartBotConversation", "VoiceFocus"})
MEETING_LEG = {"To": "SMA", "From": "+17035550122", "Direction": "Outbound"}  # DG use-cases


def now_ms() -> str:
    return str(int(time.time() * 1000))


def whole(value: object, default: int) -> int | None:
    """An integer parameter, given as a number or a string of digits (the renderer sends strings); None if not."""
    if value is None:
        return default
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def refusal(answer: object) -> tuple[str, str] | None:
    """(ErrorType, ErrorMessage) when the SMA would refuse this answer, else None."""
    if not isinstance(answer, dict) or answer.get("SchemaVersion") != "1.0":
        return "InvalidLambdaResponse", "the response is not an SMA response of SchemaVersion 1.0"
    actions = answer.get("Actions")
    if actions is not None:
        if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
            return "InvalidActionList", f"a response holds a list of at most {MAX_ACTIONS} actions"
        for action in actions:
            if (not isinstance(action, dict) or action.get("Type") not in RUN | NOT_EMULATED
                    or not isinstance(action.get("Parameters"), dict)):
                return "InvalidActionType", "each action needs a known Type and its Parameters"
    attributes = answer.get("TransactionAttributes")
    if attributes is not None:
        if not isinstance(attributes, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()):
            return "TransactionAttributesInvalidMapSize", "Transaction Attributes map strings to strings"
        if len(attributes) > MAX_ATTRIBUTES:
            return ("TransactionAttributesInvalidMapSize",
                    f"Transaction Attributes has too many mappings. Maximum number of mappings is {MAX_ATTRIBUTES}")
        if len(json.dumps(attributes, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_ATTRIBUTES_BYTES:
            return "TransactionAttributesInvalidMapSize", "Transaction Attributes are over 20 KB"
    return None
