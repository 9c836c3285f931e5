"""One whole live chat through the Lambda handlers: what it costs in AWS requests, write units and dollars.

Measured, in one window: the visitor's chat request (queued, offered to the Available agent, with its two timers
armed), the agent's accept, 10 messages each way, the close with a disposition, the visitor's rating, and the later
delivery of the two timers the chat armed (acceptance interval and maximum wait; both find nothing to do).
The WebSocket connections are opened before the window (a chat reuses the page's connection).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench import capacity
from bench.message_bench import (
    ConnectionsRecorder,
    Result,
    Socket,
    accept_offer,
    metered,
    open_socket,
    seed_tenant,
    text_of,
)
from bench.meter import Meter, aws_figures

MESSAGES_EACH_WAY = 10
TEXT_BYTES = (40, 120, 25, 300, 60, 18, 200, 90, 35, 150, 70, 22, 260, 45, 110, 30, 80, 500, 28, 64)


@dataclass(frozen=True)
class Prices:
    """AWS list prices (us-east-1) used for the cost figure, in USD."""

    dynamodb_write_per_million: float = 0.625
    dynamodb_read_per_million: float = 0.125
    websocket_message_per_million: float = 1.00
    lambda_request_per_million: float = 0.20
    lambda_gb_second: float = 0.0000166667
    sqs_request_per_million: float = 0.40
    lambda_memory_gb: float = 0.128  # Chalice's default 128 MB
    lambda_seconds_per_invocation: float = 0.05  # assumed average billed duration of a warm handler

    def describe(self) -> str:
        return (f"DynamoDB ${self.dynamodb_write_per_million}/M writes, ${self.dynamodb_read_per_million}/M reads; "
                f"API Gateway WebSocket ${self.websocket_message_per_million}/M messages; Lambda "
                f"${self.lambda_request_per_million}/M requests + ${self.lambda_gb_second}/GB-s at "
                f"{self.lambda_memory_gb * 1000:g} MB x {self.lambda_seconds_per_invocation * 1000:g} ms; "
                f"SQS ${self.sqs_request_per_million}/M requests")


def run() -> Result:
    return metered(_chat)


class Counted:
    """Counts Lambda invocations and WebSocket messages (client frames in, pushes out) during the window."""

    def __init__(self) -> None:
        self.invocations = 0
        self.frames_in = 0


def _chat(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    import app as lambda_app
    from chalicelib import bootstrap
    from chalicelib.domain.model import Principal, PrincipalKind
    from chalicelib.services import conversations
    from local import events

    c = bootstrap.container()
    # Live chat: a group that lets nobody wait (threshold 0), so the chat is synchronous, as before asynchronous
    # conversations existed (bench/async_bench.py measures those).
    tenant, agent_token, session = seed_tenant(live=True)
    desk = open_socket(recorder, tenant, agent_token)
    assert (desk.send({"action": "set_status", "id": "s", "status": "available"}) or {}).get("type") == "ack"
    widget = open_socket(recorder, tenant, session.token)
    counted = Counted()

    def send(socket: Socket, frame: dict[str, Any]) -> dict[str, Any]:
        counted.invocations += 1
        counted.frames_in += 1
        answer = socket.send(frame)
        assert answer is not None and answer["type"] == "ack", answer
        return answer

    mark = recorder.mark()
    with meter.window() as calls:
        conversation_id = send(widget, {"action": "start_conversation", "consent": True, "id": "start",
                                        "page": {"url": "https://acme.example/bike", "title": "Bike"}})[
            "conversation"]["id"]
        counted.invocations += 1
        counted.frames_in += 1
        accept_offer(desk, recorder)
        for i, size in enumerate(TEXT_BYTES):
            sender = widget if i % 2 == 0 else desk
            send(sender, {"action": "send_message", "id": f"m{i}", "conversation_id": conversation_id,
                          "client_message_id": f"cm-{i}", "text": text_of(size), "after_seq": i})
        send(desk, {"action": "close_conversation", "id": "close", "conversation_id": conversation_id,
                    "disposition": "Resolved"})
        counted.invocations += 1  # the rating is one REST call
        conversations.rate(c.deps, Principal(tenant, session.visitor_id, PrincipalKind.VISITOR), conversation_id, 5)
        # The two timers the chat armed are delivered later, whatever happened: count their Lambda runs too.
        bodies = [call.params["MessageBody"] for call in calls if call.operation == "SendMessage"]
        for body in bodies:
            counted.invocations += 1
            record = events.sqs_record({"MessageId": "m", "ReceiptHandle": "r", "Body": body, "Attributes": {},
                                        "MD5OfBody": ""}, "arn:aws:sqs:us-east-1:123456789012:timers")
            lambda_app.on_timer(events.sqs_event([record]), events.lambda_context("on_timer"))
    pushes = recorder.since(mark)
    dynamodb = [call for call in calls if call.service == "dynamodb"]
    units = capacity.total(call.units(meter.tables) for call in dynamodb)
    assert len(bodies) == 2, bodies  # acceptance interval + maximum wait
    prices = Prices()
    websocket_messages = counted.frames_in + len(pushes)
    cost = (units.wcu * prices.dynamodb_write_per_million + units.rcu * prices.dynamodb_read_per_million
            + websocket_messages * prices.websocket_message_per_million
            + counted.invocations * prices.lambda_request_per_million
            + sum(1 for call in calls if call.service == "sqs") * prices.sqs_request_per_million) / 1e6
    cost += counted.invocations * prices.lambda_memory_gb * prices.lambda_seconds_per_invocation \
        * prices.lambda_gb_second
    by_operation = Counter(f"{call.service}.{call.operation}" for call in calls)
    figures = {
        **aws_figures("chat", calls, meter.tables),
        "chat.websocket_messages": float(websocket_messages),
        "chat.lambda_invocations": float(counted.invocations),
        "chat.cost_per_1000_usd": round(cost * 1000, 4),
    }
    notes = [
        "chat requests: " + ", ".join(f"{name} x{n}" for name, n in sorted(by_operation.items())),
        "chat cost prices: " + prices.describe(),
        f"chat pushes: {json.dumps(Counter(f.get('type') for _, f in pushes))}",
    ]
    return Result(figures, notes)
