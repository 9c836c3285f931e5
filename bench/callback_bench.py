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

import json
import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench import capacity
from bench.chat_bench import Prices as ChatPrices
from bench.message_bench import (
    ROOT,
    ConnectionsRecorder,
    Result,
    metered,
    open_socket,
    seed_tenant,
)
from bench.meter import Meter, aws_figures
from bench.sma_calls import (
    Counted,
    SmaPlayer,
    breakdown,
    connect,
    rest,
    take_calls,
    telephony_on,
    timer_bodies,
    visitor_token,
)

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


# --- the run ----------------------------------------------------------------------------------------------------------


def run() -> Result:
    return metered(_callbacks)


def _callbacks(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    with telephony_on(str(ROOT)) as (exchange, http):
        tenant, agent_token, _session = seed_tenant()
        figures: dict[str, float] = {}
        notes: list[str] = []
        for part in (_booking(meter, http, tenant), _race(tenant),
                     _immediate(meter, recorder, http, exchange, tenant, agent_token)):
            figures.update(part.figures)
            notes.extend(part.notes)
        return Result(figures, notes)


def _booking(meter: Meter, http: Any, tenant: str) -> Result:
    token = visitor_token(http, tenant)
    status, listed = rest(http, "GET", f"/tenants/{tenant}/callbacks/slots")
    assert status == 200 and listed["slots"], listed
    slot = listed["slots"][-1]
    with meter.window() as calls:
        status, booked = rest(http, "POST", f"/tenants/{tenant}/callbacks", token,
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


def _immediate(meter: Meter, recorder: ConnectionsRecorder, http: Any, exchange: Any, tenant: str,
               agent_token: str) -> Result:
    """One immediate callback, agent first, both answer: the visitor's POST, the `callback.due` timer (routes it,
    opens the room, dials the agent), the agent's call (new, ringing, answered: hold music, and the visitor is
    dialled), the visitor's call (new, ringing, answered: into the room, and the agent's call is told to join it),
    the agent's call update (into the room; the music interrupted), both joins succeeded, the visitor hangs up (the
    agent's call is told to hang up, the room deleted), the agent's call update and hang-up, the agent's
    `close_conversation`, then every timer the callback armed (the after-call one brings the agent back)."""
    from chalicelib import bootstrap

    deps = bootstrap.container().deps
    desk = open_socket(recorder, tenant, agent_token)
    agent_id = str(desk.conn.authorizer["principalId"])
    take_calls(deps, tenant, {agent_id: AGENT_LINE})
    assert (desk.send({"action": "set_status", "id": "s", "status": "available"}) or {}).get("type") == "ack"
    token = visitor_token(http, tenant)
    counted = Counted()
    sma = SmaPlayer(exchange, counted)

    mark = recorder.mark()
    with meter.window() as calls:
        counted.invocations["rest"] += 1
        counted.rest += 1
        status, asked = rest(http, "POST", f"/tenants/{tenant}/callbacks", token,
                             {"phone": VISITOR_PHONE, "name": "Ada", "when": "now"})
        assert status == 201 and asked["mode"] == "immediate", asked
        [due] = timer_bodies(calls)
        fired = {due}
        sma.fire(due)  # callback.due: the agent is offered the call and dialled
        agent, visitor = connect(sma, AGENT_LINE, VISITOR_PHONE)
        sma(visitor, visitor.hangup())  # the visitor hangs up
        for arguments in sma.updates(agent)[1:]:
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
                sma.fire(body)
    pushes = recorder.since(mark)
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
        "callback.lambda_invocations": float(usage.lambda_invocations),
        "callback.websocket_messages": float(usage.websocket_messages),
        "callback.cost_per_1000_usd": round(cost_usd(usage, prices) * 1000, 4),
    }
    notes = [
        f"callback requests: {breakdown(calls)}",
        "callback Lambda runs: " + ", ".join(f"{name} x{n}" for name, n in sorted(counted.invocations.items())),
        f"callback timers delivered: {', '.join(str(k) for k in [json.loads(due).get('kind'), *armed_timers])}",
        f"callback pushes: {json.dumps(Counter(f.get('type') for _, f in pushes))}",
        "callback cost prices: " + prices.describe(),
    ]
    errors = [f"{call.service}.{call.operation}: {call.error}" for call in calls if call.error]
    if errors:
        notes.append("callback errors: " + ", ".join(errors))
    return Result(figures, notes)
