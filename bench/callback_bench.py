"""Callbacks through the Lambda handlers (issue 13): what a booking and one whole immediate callback cost, and whether
a contended slot overbooks.

On the bench's moto server (message_bench.stack), with the app's telephony pointed at the phone emulator's Chime SDK
routes (local/phone.py, `PhoneExchange(handler=None)` served by `phone_routes` on a local aiohttp server): the
adapter makes its real boto3 requests, the emulator only holds the calls, and this bench plays the SIP media
application itself, calling `app.sma_handler` with each invocation on the metered thread.

1. `callback.dynamodb_requests_per_booking`: one `POST /tenants/acme/callbacks` with a slot key, through Chalice's
   local gateway (the REST Lambda's handler), after the visitor's `GET .../callbacks/slots`.
2. `callback.overbooked`: 16 threads race through `callbacks.request_callback` for the last 3 times of a slot;
   times holding more than one open callback plus open callbacks beyond the slot's times (expected 0).
3. `callback.*` figures of one immediate callback, agent first, both answer, from the visitor's request to the
   agent's wrap-up (see `_immediate`), and its cost (`Prices`, `cost_usd`).
"""

from __future__ import annotations

import base64
import io
import json
import threading
import wave
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bench import capacity
from bench.chat_bench import Prices as ChatPrices
from bench.message_bench import (
    ROOT,
    ConnectionsRecorder,
    Result,
    _rewire,
    metered,
    open_socket,
    seed_tenant,
)
from bench.meter import Call, Meter, aws_figures

CALLING_NUMBER = "+15550100000"  # a 555-01XX number: fictional
SMA_ID = "bench-sip-media-application"
AGENT_LINE = "+33700000001"
VISITOR_PHONE = "+33612345678"
RACERS = 16
LAST_TIMES = 3


# --- pure parts (tests/unit/test_bench_callback.py) -----------------------------------------------------------------


@dataclass(frozen=True)
class Prices(ChatPrices):
    """chat_bench's prices plus what a callback adds (AWS list prices, us-east-1, USD)."""

    # API Gateway REST API, first 333 million requests a month: $3.50 per million (the visitor's POST).
    rest_request_per_million: float = 3.50
    # EventBridge Scheduler: $1.00 per million schedule invocations (API calls such as CreateSchedule: no charge).
    scheduler_invocation_per_million: float = 1.00
    # SES outbound email: $0.10 per 1,000 emails.
    ses_email_per_million: float = 100.0
    # S3 Standard: PUT/POST/LIST $0.005 per 1,000, GET and others $0.0004 per 1,000.
    s3_put_per_million: float = 5.0
    s3_get_per_million: float = 0.4

    def describe(self) -> str:
        return (super().describe() + f"; API Gateway REST ${self.rest_request_per_million}/M requests; "
                f"EventBridge Scheduler ${self.scheduler_invocation_per_million}/M invocations; "
                f"SES ${self.ses_email_per_million / 1000:g}/1,000 emails; Chime SDK API calls (meetings, SIP media "
                "application calls) are not billed per request: only telephone and SIP media application minutes, "
                "left out")


@dataclass(frozen=True)
class Usage:
    """What one scenario used, for its cost."""

    wcu: float = 0.0
    rcu: float = 0.0
    lambda_invocations: int = 0
    websocket_messages: int = 0
    rest_requests: int = 0
    sqs_requests: int = 0
    schedules_fired: int = 0
    emails: int = 0
    s3_puts: int = 0
    s3_gets: int = 0


def cost_usd(usage: Usage, prices: Prices) -> float:
    """The scenario's AWS cost in USD, telephone minutes left out."""
    per_million = (usage.wcu * prices.dynamodb_write_per_million + usage.rcu * prices.dynamodb_read_per_million
                   + usage.websocket_messages * prices.websocket_message_per_million
                   + usage.lambda_invocations * prices.lambda_request_per_million
                   + usage.rest_requests * prices.rest_request_per_million
                   + usage.sqs_requests * prices.sqs_request_per_million
                   + usage.schedules_fired * prices.scheduler_invocation_per_million
                   + usage.emails * prices.ses_email_per_million
                   + usage.s3_puts * prices.s3_put_per_million + usage.s3_gets * prices.s3_get_per_million)
    compute = (usage.lambda_invocations * prices.lambda_memory_gb * prices.lambda_seconds_per_invocation
               * prices.lambda_gb_second)
    return per_million / 1e6 + compute


def overbooked(times_held: Iterable[datetime | None], slot_times: int) -> int:
    """Given the call time of each open callback of a slot and how many times the slot has: the extra callbacks on
    a time already held, plus the callbacks beyond the slot's times (0 when nothing is overbooked)."""
    held = [at for at in times_held if at is not None]
    doubled = sum(n - 1 for n in Counter(held).values() if n > 1)
    return doubled + max(0, len(held) - slot_times - doubled)


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


# --- the run ----------------------------------------------------------------------------------------------------------


def run() -> Result:
    return metered(_callbacks)


@contextmanager
def phone_exchange() -> Iterator[tuple[Any, str]]:
    """The phone emulator's Chime SDK routes on a local server; calls are only held (handler None)."""
    from local.phone import PhoneExchange, serving

    exchange = PhoneExchange(None)
    with serving(exchange) as url:
        yield exchange, url


def silent_wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


def _callbacks(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    import os

    from chalice.test import Client

    import app as lambda_app

    with phone_exchange() as (exchange, phone_url), \
            Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        os.environ.update({"CALLING_NUMBER": CALLING_NUMBER, "SIP_MEDIA_APPLICATION_ID": SMA_ID,
                           "CHIME_ENDPOINT_URL": phone_url})
        _rewire()
        tenant, agent_token, _session = seed_tenant()
        figures: dict[str, float] = {}
        notes: list[str] = []
        for part in (_booking(meter, client.http, tenant), _race(tenant),
                     _immediate(meter, recorder, client.http, exchange, tenant, agent_token)):
            figures.update(part.figures)
            notes.extend(part.notes)
        return Result(figures, notes)


def _rest(http: Any, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    send = getattr(http, method.lower())
    answer = send(path, headers=headers) if body is None else send(path, headers=headers, body=json.dumps(body))
    return int(answer.status_code), answer.json_body


def _visitor_token(http: Any, tenant: str) -> str:
    status, answer = _rest(http, "POST", f"/tenants/{tenant}/visitors", body={})
    assert status == 201, answer
    return str(answer["visitor_token"])


def _booking(meter: Meter, http: Any, tenant: str) -> Result:
    token = _visitor_token(http, tenant)
    status, listed = _rest(http, "GET", f"/tenants/{tenant}/callbacks/slots")
    assert status == 200 and listed["slots"], listed
    slot = listed["slots"][-1]
    with meter.window() as calls:
        status, booked = _rest(http, "POST", f"/tenants/{tenant}/callbacks", token,
                               {"phone": "06 12 34 56 01", "name": "Zoé", "when": slot["key"]})
    assert status == 201 and booked["state"] == "booked", booked
    dynamodb = [call for call in calls if call.service == "dynamodb"]
    units = capacity.total(call.units(meter.tables) for call in dynamodb)
    return Result({"callback.dynamodb_requests_per_booking": float(len(dynamodb))},
                  [f"callback booking requests: {breakdown(calls)} ({units.rcu:g} RCU, {units.wcu:g} WCU)"])


def _race(tenant: str) -> Result:
    """All but the last 3 times of a slot booked, then 16 threads race for those 3."""
    from chalicelib import bootstrap
    from chalicelib.domain.callbacks.model import OPEN_STATES, SlotFull
    from chalicelib.domain.model import Principal, PrincipalKind
    from chalicelib.services import callbacks

    deps = bootstrap.container().deps
    store = deps.callbacks
    assert store is not None
    now = deps.clock.now()

    def held_in(key: str) -> list[datetime | None]:
        return [c.at for c in store.agenda(tenant, now, now + timedelta(days=60))
                if c.slot == key and c.state in OPEN_STATES]

    slot = [s for s in callbacks.free_slots(deps, tenant) if int(str(s["free"])) > LAST_TIMES][-1]  # the furthest
    key = str(slot["key"])
    times = int(str(slot["free"])) + len(held_in(key))  # the slot's N: its free times and those already held

    def book(n: int) -> str:
        visitor = Principal(tenant, f"racer-{n}", PrincipalKind.VISITOR)
        request = callbacks.CallbackRequest(phone=f"+336{n:08d}", name=f"Racer {n}", when=key)
        return callbacks.request_callback(deps, visitor, request).id

    for n in range(int(str(slot["free"])) - LAST_TIMES):
        book(1000 + n)
    start = threading.Barrier(RACERS)

    def race(n: int) -> str:
        start.wait()
        try:
            return book(2000 + n)
        except SlotFull:
            return "slot_full"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, range(RACERS)))
    held = held_in(key)
    losers = outcomes.count("slot_full")
    return Result({"callback.overbooked": float(overbooked(held, times))},
                  [f"callback race: {RACERS} threads for the last {LAST_TIMES} of {times} times of slot {key}: "
                   f"{RACERS - losers} booked, {losers} slot_full, {len(held)} open callbacks in the slot"])


@dataclass
class Counted:
    """Lambda invocations, WebSocket client frames and REST requests of the window, by function."""

    invocations: Counter[str] = field(default_factory=Counter)
    frames_in: int = 0
    rest: int = 0


def _immediate(meter: Meter, recorder: ConnectionsRecorder, http: Any, exchange: Any, tenant: str,
               agent_token: str) -> Result:
    """One immediate callback, agent first, both answer: the visitor's POST, the `callback.due` timer (routes it,
    opens the room, dials the agent), the agent's call (new, ringing, answered: hold music, and the visitor is
    dialled), the visitor's call (new, ringing, answered: into the room, and the agent's call is told to join it),
    the agent's call update (into the room; the music interrupted), both joins succeeded, the visitor hangs up (the
    agent's call is told to hang up, the room deleted), the agent's call update and hang-up, the agent's
    `close_conversation`, then every timer the callback armed (the after-call one brings the agent back)."""
    import app as lambda_app
    from chalicelib import bootstrap
    from chalicelib.domain.model import Principal, PrincipalKind, Role
    from chalicelib.services import call_audio, tenants
    from local import events

    deps = bootstrap.container().deps
    admin = Principal(tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))
    tenants.change_settings(deps, admin, {"callback": {"country": "FR", "allowed_countries": ["FR"]}})
    call_audio.upload(deps, admin, "hold_music", base64.b64encode(silent_wav(0.5)).decode())
    desk = open_socket(recorder, tenant, agent_token)
    agent_id = str(desk.conn.authorizer["principalId"])
    ann = deps.agents.get(tenant, agent_id)
    assert ann is not None, agent_id
    deps.agents.put(replace(ann, takes_calls=True, own_line=AGENT_LINE, auto_answer_seconds=20))
    assert (desk.send({"action": "set_status", "id": "s", "status": "available"}) or {}).get("type") == "ack"
    token = _visitor_token(http, tenant)
    counted = Counted()

    def sma(call: SmaCall, event: dict[str, Any]) -> dict[str, Any]:
        counted.invocations["sma_handler"] += 1
        return call.remember(lambda_app.sma_handler(event, events.lambda_context("sma_handler")))

    def fire(body: str) -> None:
        counted.invocations["on_timer"] += 1
        record = events.sqs_record({"MessageId": "m", "ReceiptHandle": "r", "Body": body, "Attributes": {},
                                    "MD5OfBody": ""}, "arn:aws:sqs:us-east-1:123456789012:timers")
        lambda_app.on_timer(events.sqs_event([record]), events.lambda_context("on_timer"))

    def placed(number: str) -> SmaCall:
        [held] = [c for c in list(exchange.calls.values()) if c.to_number == number]
        return SmaCall(held.transaction_id, held.to_number, dict(held.arguments))

    def actions(response: dict[str, Any]) -> list[dict[str, Any]]:
        return list(response.get("Actions") or [])

    mark = recorder.mark()
    with meter.window() as calls:
        counted.invocations["rest"] += 1
        counted.rest += 1
        status, asked = _rest(http, "POST", f"/tenants/{tenant}/callbacks", token,
                              {"phone": VISITOR_PHONE, "name": "Ada", "when": "now"})
        assert status == 201 and asked["mode"] == "immediate", asked
        [due] = timer_bodies(calls)
        fired = {due}
        fire(due)  # callback.due: the agent is offered the call and dialled
        agent = placed(AGENT_LINE)
        sma(agent, agent.new())
        sma(agent, agent.ringing())
        music = actions(sma(agent, agent.answered()))  # hold music; the visitor is dialled
        visitor = placed(VISITOR_PHONE)
        sma(visitor, visitor.new())
        sma(visitor, visitor.ringing())
        joined = actions(sma(visitor, visitor.answered()))  # into the room; the agent's call is told to join
        [update] = exchange.calls[agent.transaction_id].updates
        agent_join = actions(sma(agent, agent.update(update)))
        assert [[a["Type"] for a in given] for given in (music, joined, agent_join)] == [
            ["PlayAudio"], ["JoinChimeMeeting"], ["JoinChimeMeeting"]], (music, joined, agent_join)
        sma(agent, agent.interrupted(music[-1]))  # the SMA says the music stopped (informational)
        for call, done in ((agent, agent_join), (visitor, joined)):
            sma(call, call.succeeded(done[-1]))
        # Issue 14: hold, then resume (counted apart: `callback.controls.*`, not in the callback's own figures).
        controls_from, frames_before, invocations_before = len(calls), counted.frames_in, dict(counted.invocations)
        controls_mark = recorder.mark()
        counted.invocations["ws_message"] += 1
        counted.frames_in += 1
        held = desk.send({"action": "hold_call", "id": "hold", "conversation_id": f"{asked['id']}-1"})
        assert held is not None and held["type"] == "ack", held
        on_hold = actions(sma(visitor, visitor.update(exchange.calls[visitor.transaction_id].updates[-1])))
        counted.invocations["ws_message"] += 1
        counted.frames_in += 1
        resumed = desk.send({"action": "resume_call", "id": "resume", "conversation_id": f"{asked['id']}-1"})
        assert resumed is not None and resumed["type"] == "ack", resumed
        back = actions(sma(visitor, visitor.update(exchange.calls[visitor.transaction_id].updates[-1])))
        sma(visitor, visitor.interrupted(on_hold[-1]))  # the music stopped (informational)
        sma(visitor, visitor.succeeded(back[-1]))
        assert [[a["Type"] for a in given] for given in (on_hold, back)] == [
            ["Hangup", "PlayAudio"], ["JoinChimeMeeting"]], (on_hold, back)
        controls = calls[controls_from:]
        del calls[controls_from:]
        controls_pushes = [id(frame) for _, frame in recorder.since(controls_mark)]
        controls_invocations = {k: v - invocations_before.get(k, 0) for k, v in counted.invocations.items()}
        counted.invocations.clear()
        counted.invocations.update(invocations_before)
        counted.frames_in = frames_before
        sma(visitor, visitor.hangup())  # the visitor hangs up
        ending = exchange.calls[agent.transaction_id].updates[1:]
        for arguments in ending:
            sma(agent, agent.update(arguments))
        if [c for c in calls if c.operation == "DeleteMeeting"]:
            sma(agent, agent.room_closed())  # the meeting deleted: the agent's leg into it hangs up
        sma(agent, agent.hangup())
        conversation_id = f"{asked['id']}-1"
        counted.invocations["ws_message"] += 1
        counted.frames_in += 1
        ack = desk.send({"action": "close_conversation", "id": "close", "conversation_id": conversation_id,
                         "disposition": "Resolved"})
        assert ack is not None and ack["type"] == "ack", ack
        # Every other timer the callback armed is delivered too (the after-call one, and those that find nothing).
        armed_timers = []
        while pending := [body for body in timer_bodies(calls) if body not in fired]:
            for body in pending:
                fired.add(body)
                armed_timers.append(json.loads(body).get("kind"))
                fire(body)
    pushes = [push for push in recorder.since(mark) if id(push[1]) not in controls_pushes]
    profile = deps.agents.get(tenant, agent_id)
    assert profile is not None and profile.status.value == "available", profile
    callback = deps.callbacks.get(tenant, asked["id"]) if deps.callbacks else None
    assert callback is not None and callback.state.value == "ended", callback

    dynamodb = [call for call in calls if call.service == "dynamodb"]
    units = capacity.total(call.units(meter.tables) for call in dynamodb)
    prices = Prices()
    schedules = sum(1 for c in calls if c.service == "scheduler" and c.operation == "CreateSchedule")
    usage = Usage(wcu=units.wcu, rcu=units.rcu, lambda_invocations=sum(counted.invocations.values()),
                  websocket_messages=counted.frames_in + len(pushes), rest_requests=counted.rest,
                  sqs_requests=sum(1 for c in calls if c.service == "sqs"), schedules_fired=schedules,
                  emails=sum(1 for c in calls if c.service in ("ses", "sesv2") and c.operation.startswith("Send")),
                  s3_puts=sum(1 for c in calls if c.service == "s3" and c.operation.startswith(("Put", "Copy"))),
                  s3_gets=sum(1 for c in calls if c.service == "s3" and not c.operation.startswith(("Put", "Copy"))))
    figures = {
        **aws_figures("callback", calls, meter.tables),
        **aws_figures("callback.controls.hold_resume", controls, meter.tables),
        "callback.controls.hold_resume.lambda_invocations": float(sum(controls_invocations.values())),
        "callback.lambda_invocations": float(usage.lambda_invocations),
        "callback.websocket_messages": float(usage.websocket_messages),
        "callback.cost_per_1000_usd": round(cost_usd(usage, prices) * 1000, 4),
    }
    notes = [
        f"callback requests: {breakdown(calls)}",
        f"callback hold and resume requests: {breakdown(controls)}",
        "callback Lambda runs: " + ", ".join(f"{name} x{n}" for name, n in sorted(counted.invocations.items())),
        f"callback timers delivered: {', '.join(str(k) for k in [json.loads(due).get('kind'), *armed_timers])}",
        f"callback pushes: {json.dumps(Counter(f.get('type') for _, f in pushes))}",
        "callback cost prices: " + prices.describe(),
    ]
    errors = [f"{call.service}.{call.operation}: {call.error}" for call in calls if call.error]
    if errors:
        notes.append("callback errors: " + ", ".join(errors))
    return Result(figures, notes)
