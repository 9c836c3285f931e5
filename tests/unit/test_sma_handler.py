"""The SMA handler's service (services/calls.py): its table of decisions on every saved SMA event, and its
idempotency on (TransactionId, Sequence)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.telephony.actions import JoinChimeMeeting
from chalicelib.domain.telephony.model import CallAnswered, NewOutboundCall, SmaEvent
from chalicelib.services import calls
from chalicelib.services.calls import CallAnswer
from tests.unit.fakes import FakeSmaInvocations, make_deps

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "aws-events"  # copies of ../shared/aws-events
NOTHING = {"SchemaVersion": "1.0", "Actions": []}
REFUSED = {"SchemaVersion": "1.0", "Actions": [{"Type": "Hangup", "Parameters": {"ParticipantTag": "LEG-A",
                                                                                  "SipResponseCode": "0"}}]}
JOIN = {"SchemaVersion": "1.0", "Actions": [{"Type": "JoinChimeMeeting", "Parameters": {
    "ParticipantTag": "LEG-A", "JoinToken": "token-1", "MeetingId": "meeting-1"}}],
    "TransactionAttributes": {"callback": "cb-1"}}
# What each saved event gets from the table when the flow joins the room (the flows' events) or by default.
EXPECTED = {
    "action-failed-play-audio": JOIN,  # handed to the flow (hang-ups and action results)
    "action-successful-join-chime-meeting": JOIN,
    "action-successful-play-audio-and-get-digits": JOIN,
    "action-successful-receive-digits": JOIN,
    "call-answered-transaction-attributes": JOIN,
    "call-answered": JOIN,
    "call-update-requested": NOTHING,  # an excerpt without CallDetails: not an invocation
    "digits-received": NOTHING,
    "hangup-both-legs": JOIN,
    "hangup-leg-b": JOIN,
    "hangup": JOIN,  # handed to the flow (hang-ups and action results)
    "new-inbound-call": REFUSED,
    "new-outbound-call-arguments": NOTHING,  # an excerpt without CallDetails: not an invocation
    "new-outbound-call": JOIN,
    "ringing": NOTHING,
}


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / f"chime-sma-{name}.json").read_text()))


class JoiningFlow:
    """A callback flow stand-in: joins the party to a room, and counts what it was asked (its side effects)."""

    def __init__(self) -> None:
        self.seen: list[SmaEvent] = []

    def __call__(self, event: SmaEvent) -> CallAnswer:
        self.seen.append(event)
        return CallAnswer(actions=(JoinChimeMeeting(join_token="token-1", meeting_id="meeting-1"),),
                          attributes={"callback": "cb-1"})


def test_every_saved_event_is_in_the_table() -> None:
    assert sorted(p.name[len("chime-sma-"):-len(".json")] for p in SAMPLES.glob("chime-sma-*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_event_gets_its_answer_from_the_table(name: str) -> None:
    flow = JoiningFlow()
    assert calls.on_sma_event(make_deps(), load(name), flow) == EXPECTED[name]
    assert len(flow.seen) == (1 if EXPECTED[name] is JOIN else 0)


@pytest.mark.parametrize("name", ["new-outbound-call", "call-answered", "call-answered-transaction-attributes"])
def test_without_a_flow_a_call_gets_no_actions(name: str) -> None:
    assert calls.on_sma_event(make_deps(), load(name)) == NOTHING


def test_an_inbound_call_is_hung_up_whatever_the_flow() -> None:
    flow = JoiningFlow()
    assert calls.on_sma_event(make_deps(), load("new-inbound-call"), flow) == REFUSED
    assert flow.seen == []


def test_a_retried_invocation_gets_the_first_answer_and_runs_the_flow_once() -> None:
    deps, flow = make_deps(), JoiningFlow()
    first = calls.on_sma_event(deps, load("call-answered"), flow)
    again = calls.on_sma_event(deps, load("call-answered"), flow)
    assert first == again == JOIN
    assert [type(event) for event in flow.seen] == [CallAnswered]
    assert isinstance(deps.sma_invocations, FakeSmaInvocations)
    event = load("call-answered")
    assert deps.sma_invocations.answers == {(event["CallDetails"]["TransactionId"], event["Sequence"]): JOIN}


def test_an_update_request_goes_to_the_flow() -> None:
    event = load("call-answered")
    event["InvocationEventType"] = "CALL_UPDATE_REQUESTED"
    event["ActionData"] = {"Type": "CallUpdateRequest", "Parameters": {"Arguments": {"command": "hang_up"}}}
    flow = JoiningFlow()
    assert calls.on_sma_event(make_deps(), event, flow) == JOIN
    assert [e.arguments for e in flow.seen] == [{"command": "hang_up"}]  # type: ignore[attr-defined]


def test_the_next_sequence_of_a_call_is_a_new_invocation() -> None:
    deps, flow = make_deps(), JoiningFlow()
    event = load("new-outbound-call")
    later = copy.deepcopy(event)
    later["Sequence"] = event["Sequence"] + 1
    calls.on_sma_event(deps, event, flow)
    calls.on_sma_event(deps, later, flow)
    assert [type(e) for e in flow.seen] == [NewOutboundCall, NewOutboundCall]
    assert [e.sequence for e in flow.seen] == [event["Sequence"], event["Sequence"] + 1]


def test_a_stored_answer_wins_over_a_racing_decision() -> None:
    deps = make_deps()
    assert isinstance(deps.sma_invocations, FakeSmaInvocations)
    event = load("call-answered")
    key = (event["CallDetails"]["TransactionId"], event["Sequence"])
    deps.sma_invocations.answers[key] = NOTHING  # the first delivery answered while this one decided
    seen = deps.sma_invocations.remembered
    deps.sma_invocations.remembered = lambda k: None  # type: ignore[method-assign]
    assert calls.on_sma_event(deps, event, JoiningFlow()) == NOTHING
    assert seen(key) == NOTHING


@pytest.mark.parametrize("raw", [None, [], "x", {"InvocationEventType": "RINGING"},
                                 {"InvocationEventType": "RINGING", "CallDetails": {"TransactionId": ""}}])
def test_what_is_not_an_sma_invocation_gets_no_actions_and_is_not_stored(raw: object) -> None:
    deps = make_deps()
    assert calls.on_sma_event(deps, raw, JoiningFlow()) == NOTHING
    assert isinstance(deps.sma_invocations, FakeSmaInvocations)
    assert deps.sma_invocations.answers == {}


def test_an_unknown_event_type_gets_no_actions() -> None:
    event = load("ringing")
    event["InvocationEventType"] = "SOMETHING_NEW"
    assert calls.on_sma_event(make_deps(), event, JoiningFlow()) == NOTHING


def test_a_malformed_invocation_is_logged_without_its_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[tuple[str, tuple[object, ...], dict[str, Any]]] = []
    monkeypatch.setattr(calls.log, "warning", lambda msg, *args, **kw: lines.append((msg, args, kw)))
    event = load("new-inbound-call")
    del event["CallDetails"]["TransactionId"]
    assert calls.on_sma_event(make_deps(), event) == NOTHING
    assert lines == [("an SMA invocation that is not one was answered with no actions", (),
                      {"extra": {"field": "CallDetails.TransactionId"}})]
