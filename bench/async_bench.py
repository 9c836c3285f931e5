"""One asynchronous conversation through the Lambda handlers (issue 5): what it costs, and how many emails a burst
of answers sends.

Measured, in one window: the visitor writes while no agent is available (the conversation waits in a group that
lets conversations wait), leaves an email and leaves the site (the connection closes); an agent becomes Available
(the conversation is offered), accepts it, and answers three times; every timer armed meanwhile is delivered twice
(at-least-once delivery: the acceptance interval, and the three debounced email timers of the burst); then the
agent closes the conversation. `async.emails_per_reply_burst` counts the SES SendEmail requests (expected 1).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from bench.message_bench import ConnectionsRecorder, Result, Socket, accept_offer, metered, open_socket, seed_tenant
from bench.meter import Meter, aws_figures

ANSWERS = ("Hello! Which size do you ride?", "We have it in blue and in red.", "Delivery takes two days.")


def run() -> Result:
    return metered(_conversation)


def _conversation(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    import app as lambda_app
    from local import events

    tenant, agent_token, session = seed_tenant()
    desk = open_socket(recorder, tenant, agent_token)
    widget = open_socket(recorder, tenant, session.token)

    def send(socket: Socket, frame: dict[str, Any]) -> dict[str, Any]:
        answer = socket.send(frame)
        assert answer is not None and answer["type"] == "ack", answer
        return answer

    def deliver_timers(calls: list[Any], already: int) -> int:
        """Deliver every timer armed since `already` SendMessage requests, twice each; returns the new count."""
        bodies = [call.params["MessageBody"] for call in calls if call.operation == "SendMessage"]
        for body in bodies[already:]:
            for _ in range(2):
                record = events.sqs_record({"MessageId": "m", "ReceiptHandle": "r", "Body": body, "Attributes": {},
                                            "MD5OfBody": ""}, "arn:aws:sqs:us-east-1:123456789012:timers")
                lambda_app.on_timer(events.sqs_event([record]), events.lambda_context("on_timer"))
        return len(bodies)

    mark = recorder.mark()
    with meter.window() as calls:
        started = send(widget, {"action": "start_conversation", "consent": True, "id": "start",
                                "page": {"url": "https://acme.example/bike", "title": "Bike"},
                                "message": {"client_message_id": "v1", "text": "Is the blue bike in stock?"}})
        conversation_id = started["conversation"]["id"]
        send(widget, {"action": "set_notification", "id": "mail", "conversation_id": conversation_id,
                      "email": "zoe@example.com"})
        lambda_app.ws_disconnect(events.disconnect_event(widget.conn, 1001, "Going Away"),
                                 events.lambda_context("ws_disconnect"))
        send(desk, {"action": "set_status", "id": "s", "status": "available"})
        accept_offer(desk, recorder)
        for i, text in enumerate(ANSWERS):
            send(desk, {"action": "send_message", "id": f"a{i}", "conversation_id": conversation_id,
                        "client_message_id": f"ca-{i}", "text": text})
        delivered = deliver_timers(calls, 0)
        send(desk, {"action": "close_conversation", "id": "close", "conversation_id": conversation_id,
                    "disposition": "Resolved"})
        deliver_timers(calls, delivered)
    pushes = recorder.since(mark)
    emails = [call for call in calls if call.service == "sesv2" and call.operation == "SendEmail"]
    by_operation = Counter(f"{call.service}.{call.operation}" for call in calls)
    figures = {
        **aws_figures("async", calls, meter.tables),
        "async.emails_per_reply_burst": float(len(emails)),
    }
    notes = [
        "async requests: " + ", ".join(f"{name} x{n}" for name, n in sorted(by_operation.items())),
        f"async pushes: {json.dumps(Counter(f.get('type') for _, f in pushes))}",
    ]
    return Result(figures, notes)
