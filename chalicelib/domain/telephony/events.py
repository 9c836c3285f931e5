"""Translates a SIP media application (SMA) invocation into one domain event (issue 13, CB-6 to CB-9).

`translate(event)` takes the dict the SMA Lambda receives (DG pstn-invocations) and returns an event of
`telephony.model`; an unknown event type becomes `Unknown`, never an exception; input that is not an SMA invocation
raises `BadSmaEvent`.

Quirks of the published samples that are accepted (shared/aws-events/README.md, research/telephony.md §1):
`SipApplicationId` for `SipMediaApplicationId`; `Leg-A`/`Leg-B` for `LEG-A`/`LEG-B`; `InvocationEvent` for
`InvocationEventType`, and `ActionFailed` for `ACTION_FAILED` (DG join-chime-meeting); `StartTimeInMilliseconds` and
`SipResponseCode` as strings; `Status` absent on a new call; `ActionData` absent on NEW_INBOUND_CALL, RINGING and
CALL_ANSWERED; no `Participants` in an excerpt; a HANGUP whose `ActionData.Type` is the action that was running
(ReceiveDigits) rather than Hangup; INVALID_LAMBDA_RESPONSE's ErrorType/ErrorMessage at the top level, and a
failure's `Error: "Type: message"` instead of ErrorType/ErrorMessage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from chalicelib.domain.telephony.model import (
    ActionFailed,
    ActionInterrupted,
    ActionSucceeded,
    BadSmaEvent,
    CallAnswered,
    CallUpdateRequested,
    DigitsReceived,
    Direction,
    Hangup,
    InvalidResponseReported,
    Leg,
    LegStatus,
    LegTag,
    NewInboundCall,
    NewOutboundCall,
    Ringing,
    SmaEvent,
    Unknown,
)

E = TypeVar("E", Direction, LegStatus, LegTag)
Header = dict[str, Any]  # the keyword arguments every event takes: transaction_id, sequence, legs, attributes


def translate(event: object) -> SmaEvent:
    """The domain event of one SMA invocation; BadSmaEvent if it is not one."""
    if not isinstance(event, Mapping):
        raise BadSmaEvent("an SMA event must be a JSON object")
    event_type = _event_type(event)
    header = _header(event)
    action_data = _object(event.get("ActionData"), "ActionData")
    build = _BUILDERS.get(event_type)
    if build is None:
        return Unknown(event_type=event_type, **header)
    return build(header, action_data, event)


def _event_type(event: Mapping[str, Any]) -> str:
    value = event.get("InvocationEventType", event.get("InvocationEvent"))
    if not isinstance(value, str) or not value:
        raise BadSmaEvent("'InvocationEventType' is required", field="InvocationEventType")
    if value in _BUILDERS or "_" in value or value.isupper():
        return value
    return re.sub(r"(?<!^)(?=[A-Z])", "_", value).upper()  # ActionFailed -> ACTION_FAILED


def _header(event: Mapping[str, Any]) -> Header:
    details = event.get("CallDetails")
    if not isinstance(details, Mapping):
        raise BadSmaEvent("'CallDetails' is required", field="CallDetails")
    transaction_id = details.get("TransactionId")
    if not isinstance(transaction_id, str) or not transaction_id:
        raise BadSmaEvent("'CallDetails.TransactionId' is required", field="CallDetails.TransactionId")
    participants = details.get("Participants", [])
    if not isinstance(participants, list):
        raise BadSmaEvent("'CallDetails.Participants' must be a list", field="CallDetails.Participants")
    return {
        "transaction_id": transaction_id,
        "sequence": _sequence(event.get("Sequence")),
        "legs": tuple(_leg(p) for p in participants),
        "attributes": _strings(details.get("TransactionAttributes"), "CallDetails.TransactionAttributes"),
    }


def _sequence(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadSmaEvent("'Sequence' must be a whole number", field="Sequence")
    return value


def _leg(raw: object) -> Leg:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("CallId"), str) or not raw["CallId"]:
        raise BadSmaEvent("each participant needs a 'CallId'", field="CallDetails.Participants")
    tag = _tag(raw.get("ParticipantTag"))
    if tag is None:
        raise BadSmaEvent("each participant needs a 'ParticipantTag' LEG-A or LEG-B", field="CallDetails.Participants")
    started = raw.get("StartTimeInMilliseconds")
    return Leg(
        call_id=raw["CallId"],
        tag=tag,
        to_number=_text(raw.get("To")) or "",
        from_number=_text(raw.get("From")) or "",
        direction=_enum(Direction, raw.get("Direction")),
        status=_enum(LegStatus, raw.get("Status")),
        started_at_ms=_integer(started),
    )


def _tag(value: object) -> LegTag | None:
    return _enum(LegTag, value.upper()) if isinstance(value, str) else None  # Leg-A in DG case-5


def _enum(kind: type[E], value: object) -> E | None:
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _integer(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _object(value: object, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadSmaEvent(f"'{name}' must be an object", field=name)
    return value


def _strings(value: object, name: str) -> dict[str, str]:
    """A string-to-string map (TransactionAttributes, ArgumentsMap, Arguments); absent is empty."""
    mapping = _object(value, name)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise BadSmaEvent(f"'{name}' must map strings to strings", field=name)
    return dict(mapping)


def _parameters(action_data: Mapping[str, Any]) -> Mapping[str, Any]:
    return _object(action_data.get("Parameters"), "ActionData.Parameters")


def _arguments(action_data: Mapping[str, Any]) -> dict[str, str]:
    return _strings(_parameters(action_data).get("Arguments"), "ActionData.Parameters.Arguments")


def _result(header: Header, action_data: Mapping[str, Any]) -> dict[str, Any]:
    parameters = _parameters(action_data)
    return {
        **header,
        "action": _text(action_data.get("Type")) or "",
        "parameters": dict(parameters),
        "call_id": _text(parameters.get("CallId")),
        "tag": _tag(parameters.get("ParticipantTag")),
    }


def _errors(source: Mapping[str, Any]) -> tuple[str | None, str | None]:
    error_type, message = _text(source.get("ErrorType")), _text(source.get("ErrorMessage"))
    combined = _text(source.get("Error"))  # "ErrorJoiningMeeting: Error while joining meeting." (DG)
    if error_type is None and combined:
        head, _, tail = combined.partition(":")
        error_type, message = head.strip(), (tail.strip() or message)
    return error_type, message


def _hangup(header: Header, action_data: Mapping[str, Any], _: Mapping[str, Any]) -> Hangup:
    parameters = _parameters(action_data)
    call_id, tag = _text(parameters.get("CallId")), _tag(parameters.get("ParticipantTag"))
    legs: tuple[Leg, ...] = header["legs"]
    if call_id is None:  # no ActionData: the leg that hung up is the one tagged, or the only one disconnected
        gone = [leg for leg in legs if leg.tag is tag] or [leg for leg in legs if leg.status is LegStatus.DISCONNECTED]
        call_id = gone[0].call_id if len(gone) == 1 else None
    if tag is None:
        tag = next((leg.tag for leg in legs if leg.call_id == call_id), None)
    return Hangup(call_id=call_id, tag=tag, sip_response_code=_integer(parameters.get("SipResponseCode")),
                  running_action=_text(action_data.get("Type")), **header)


def _succeeded(header: Header, action_data: Mapping[str, Any], _: Mapping[str, Any]) -> ActionSucceeded:
    destination = _object(action_data.get("CallRecordingDestination"), "ActionData.CallRecordingDestination")
    return ActionSucceeded(received_digits=_text(action_data.get("ReceivedDigits")),
                           recording_location=_text(destination.get("Location")), **_result(header, action_data))


def _failed(header: Header, action_data: Mapping[str, Any], _: Mapping[str, Any]) -> ActionFailed:
    error_type, message = _errors(action_data)
    return ActionFailed(error_type=error_type, error_message=message, **_result(header, action_data))


def _digits(header: Header, action_data: Mapping[str, Any], _: Mapping[str, Any]) -> DigitsReceived:
    return DigitsReceived(digits=_text(action_data.get("ReceivedDigits")) or "",
                          call_id=_text(_parameters(action_data).get("CallId")), **header)


def _invalid_response(header: Header, action_data: Mapping[str, Any], event: Mapping[str, Any]) -> SmaEvent:
    error_type, message = _errors(action_data) if action_data else _errors(event)
    return InvalidResponseReported(error_type=error_type, error_message=message, **header)


_BUILDERS: dict[str, Callable[[Header, Mapping[str, Any], Mapping[str, Any]], SmaEvent]] = {
    "NEW_INBOUND_CALL": lambda header, _, __: NewInboundCall(**header),
    "NEW_OUTBOUND_CALL": lambda header, data, _: NewOutboundCall(arguments=_arguments(data), **header),
    "RINGING": lambda header, _, __: Ringing(**header),
    "CALL_ANSWERED": lambda header, _, __: CallAnswered(**header),
    "HANGUP": _hangup,
    "ACTION_SUCCESSFUL": _succeeded,
    "ACTION_FAILED": _failed,
    "ACTION_INTERRUPTED": lambda header, data, _: ActionInterrupted(**_result(header, data)),
    "CALL_UPDATE_REQUESTED": lambda header, data, _: CallUpdateRequested(arguments=_arguments(data), **header),
    "DIGITS_RECEIVED": _digits,
    "INVALID_LAMBDA_RESPONSE": _invalid_response,
}
