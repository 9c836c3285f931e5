"""What the call benches share (bench/callback_bench.py, bench/call_controls_bench.py): the SIP media application
played by the bench itself, one invocation at a time through `app.sma_handler` on the metered thread, for the calls
the phone emulator holds (local/phone.py with no handler: it only answers the Chime SDK APIs and keeps the calls);
the REST helpers; and `connect`, the agent-first call both parties answer, up to both in the room."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.meter import Call
from local.phone_media import silent_wav

CALLING_NUMBER = "+15550100000"  # a 555-01XX number: fictional
SMA_ID = "bench-sip-media-application"


@dataclass
class SmaCall:
    """The SIP media application's invocations for one placed call, in the fixtures' shape (tests/unit/fakes_calls
    `Calls`), numbered per transaction as the SMA numbers them; it keeps the TransactionAttributes answered."""

    transaction_id: str
    to: str
    arguments: dict[str, str]
    sma_id: str = SMA_ID
    sequence: int = 0
    attributes: dict[str, str] = field(default_factory=dict)
    status: str = "Connected"
    in_room: bool = False  # LEG-B, the call's leg into the meeting, once a JoinChimeMeeting succeeded

    def event(self, kind: str, action_data: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sequence += 1
        participants = [{"CallId": f"leg-{self.transaction_id}", "ParticipantTag": "LEG-A", "To": self.to,
                         "From": CALLING_NUMBER, "Direction": "Outbound",
                         "StartTimeInMilliseconds": "1700000000000", "Status": self.status}]
        if self.in_room:
            participants.append({"CallId": f"room-{self.transaction_id}", "ParticipantTag": "LEG-B",
                                 "To": "meeting", "From": CALLING_NUMBER, "Direction": "Outbound",
                                 "StartTimeInMilliseconds": "1700000000000", "Status": "Connected"})
        details: dict[str, Any] = {
            "TransactionId": self.transaction_id, "AwsAccountId": "123456789012", "AwsRegion": "us-east-1",
            "SipMediaApplicationId": self.sma_id, "Participants": participants}
        if self.attributes:
            details["TransactionAttributes"] = dict(self.attributes)
        event: dict[str, Any] = {"SchemaVersion": "1.0", "Sequence": self.sequence, "InvocationEventType": kind,
                                 "CallDetails": details}
        if action_data is not None:
            event["ActionData"] = action_data
        return event

    def remember(self, response: dict[str, Any]) -> dict[str, Any]:
        if "TransactionAttributes" in response:
            self.attributes = dict(response["TransactionAttributes"])
        return response

    def new(self) -> dict[str, Any]:
        return self.event("NEW_OUTBOUND_CALL", {"Type": "CallCreateRequest",
                                                "Parameters": {"Arguments": dict(self.arguments)}})

    def ringing(self) -> dict[str, Any]:
        return self.event("RINGING")

    def answered(self) -> dict[str, Any]:
        return self.event("CALL_ANSWERED")

    def update(self, arguments: dict[str, str]) -> dict[str, Any]:
        return self.event("CALL_UPDATE_REQUESTED", {"Type": "CallUpdateRequest",
                                                    "Parameters": {"Arguments": dict(arguments)}})

    def succeeded(self, action: dict[str, Any]) -> dict[str, Any]:
        if action.get("Type") == "JoinChimeMeeting":
            self.in_room = True
        return self.event("ACTION_SUCCESSFUL", action)

    def room_closed(self) -> dict[str, Any]:
        """The meeting was deleted under the call: its LEG-B hangs up (the call itself goes on)."""
        self.in_room = False
        return self.event("HANGUP", {"Type": "Hangup", "Parameters": {
            "SipResponseCode": "0", "CallId": f"room-{self.transaction_id}", "ParticipantTag": "LEG-B"}})

    def interrupted(self, action: dict[str, Any]) -> dict[str, Any]:
        return self.event("ACTION_INTERRUPTED", action)

    def hangup(self, sip_code: int = 0) -> dict[str, Any]:
        self.status, self.in_room = "Disconnected", False
        return self.event("HANGUP", {"Type": "Hangup", "Parameters": {
            "SipResponseCode": str(sip_code), "CallId": f"leg-{self.transaction_id}", "ParticipantTag": "LEG-A"}})


def timer_bodies(calls: Sequence[Call]) -> list[str]:
    """The bodies of the timers armed by these requests: SQS SendMessage, or a Scheduler schedule's input."""
    bodies = []
    for call in calls:
        if call.service == "sqs" and call.operation == "SendMessage":
            bodies.append(str(call.params["MessageBody"]))
        elif call.service == "scheduler" and call.operation == "CreateSchedule":
            bodies.append(str(call.params["Target"]["Input"]))
    return bodies


def breakdown(calls: Sequence[Call]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in sorted(Counter(f"{c.service}.{c.operation}" for c in calls).items()))


@contextmanager
def phone_exchange() -> Iterator[tuple[Any, str]]:
    """The phone emulator's Chime SDK routes on a local server; calls are only held (handler None)."""
    from local.phone import PhoneExchange, serving

    exchange = PhoneExchange(None)
    with serving(exchange) as url:
        yield exchange, url


@contextmanager
def telephony_on(project_dir: str) -> Iterator[tuple[Any, Any]]:
    """The app with telephony on, pointed at the phone emulator (`phone_exchange`), and Chalice's in-process
    gateway for its REST routes: (the exchange, the gateway's HTTP client)."""
    import os

    from chalice.test import Client

    import app as lambda_app
    from bench.message_bench import _rewire

    with phone_exchange() as (exchange, phone_url), \
            Client(lambda_app.app, stage_name="dev", project_dir=project_dir) as client:
        os.environ.update({"CALLING_NUMBER": CALLING_NUMBER, "SIP_MEDIA_APPLICATION_ID": SMA_ID,
                           "CHIME_ENDPOINT_URL": phone_url})
        _rewire()
        yield exchange, client.http


@dataclass
class Counted:
    """Lambda invocations, WebSocket client frames and REST requests of the window, by function."""

    invocations: Counter[str] = field(default_factory=Counter)
    frames_in: int = 0
    rest: int = 0


def rest(http: Any, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    send = getattr(http, method.lower())
    answer = send(path, headers=headers) if body is None else send(path, headers=headers, body=json.dumps(body))
    return int(answer.status_code), answer.json_body


def visitor_token(http: Any, tenant: str) -> str:
    status, answer = rest(http, "POST", f"/tenants/{tenant}/visitors", body={})
    assert status == 201, answer
    return str(answer["visitor_token"])


class SmaPlayer:
    """Plays the SIP media application for the emulator's calls, and delivers timers as the timer Lambda would;
    every Lambda run is counted in `counted`."""

    def __init__(self, exchange: Any, counted: Counted) -> None:
        self.exchange = exchange
        self.counted = counted

    def __call__(self, call: SmaCall, event: dict[str, Any]) -> dict[str, Any]:
        import app as lambda_app
        from local import events

        self.counted.invocations["sma_handler"] += 1
        return call.remember(lambda_app.sma_handler(event, events.lambda_context("sma_handler")))

    def fire(self, body: str) -> None:
        import app as lambda_app
        from local import events

        self.counted.invocations["on_timer"] += 1
        record = events.sqs_record({"MessageId": "m", "ReceiptHandle": "r", "Body": body, "Attributes": {},
                                    "MD5OfBody": ""}, "arn:aws:sqs:us-east-1:123456789012:timers")
        lambda_app.on_timer(events.sqs_event([record]), events.lambda_context("on_timer"))

    def placed(self, number: str) -> SmaCall:
        """The newest call placed to `number`."""
        held = [c for c in list(self.exchange.calls.values()) if c.to_number == number][-1]
        return SmaCall(held.transaction_id, held.to_number, dict(held.arguments))

    def updates(self, call: SmaCall) -> list[dict[str, str]]:
        """The Arguments of each UpdateSipMediaApplicationCall sent to this call so far."""
        return list(self.exchange.calls[call.transaction_id].updates)


def actions(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response.get("Actions") or [])


def connect(sma: SmaPlayer, agent_line: str, visitor_phone: str) -> tuple[SmaCall, SmaCall]:
    """Agent first, both answer, once `callback.due` dialled the agent: the agent's call (new, ringing, answered:
    hold music, and the visitor is dialled), the visitor's (new, ringing, answered: into the room, and the agent's
    call is told to join it), the agent's call update (into the room; the music interrupted), both joins succeeded.
    Returns the agent's and the visitor's calls."""
    agent = sma.placed(agent_line)
    sma(agent, agent.new())
    sma(agent, agent.ringing())
    music = actions(sma(agent, agent.answered()))  # hold music; the visitor is dialled
    visitor = sma.placed(visitor_phone)
    sma(visitor, visitor.new())
    sma(visitor, visitor.ringing())
    joined = actions(sma(visitor, visitor.answered()))  # into the room; the agent's call is told to join
    [update] = sma.updates(agent)
    agent_join = actions(sma(agent, agent.update(update)))
    assert [[a["Type"] for a in given] for given in (music, joined, agent_join)] == [
        ["PlayAudio"], ["JoinChimeMeeting"], ["JoinChimeMeeting"]], (music, joined, agent_join)
    sma(agent, agent.interrupted(music[-1]))  # the SMA says the music stopped (informational)
    for call, done in ((agent, agent_join), (visitor, joined)):
        sma(call, call.succeeded(done[-1]))
    return agent, visitor


def take_calls(deps: Any, tenant: str, lines: dict[str, str]) -> None:
    """The tenant calls French numbers and has hold music; each agent of `lines` (id -> their own line) takes calls."""
    import base64
    from dataclasses import replace

    from chalicelib.domain.model import Principal, PrincipalKind, Role
    from chalicelib.services import call_audio, tenants

    admin = Principal(tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))
    tenants.change_settings(deps, admin, {"callback": {"country": "FR", "allowed_countries": ["FR"]}})
    call_audio.upload(deps, admin, "hold_music", base64.b64encode(silent_wav(0.5)).decode())
    for agent_id, line in lines.items():
        agent = deps.agents.get(tenant, agent_id)
        assert agent is not None, agent_id
        deps.agents.put(replace(agent, takes_calls=True, own_line=line, auto_answer_seconds=20))
