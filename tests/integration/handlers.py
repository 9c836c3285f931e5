"""Calling the Chalice entry points with real API Gateway event shapes (tests/fixtures/aws-events)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import app as lambda_app

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-events"
_SAMPLE = {kind: json.loads((SAMPLES / f"websocket-{kind}.json").read_text()) for kind in ("connect", "message",
                                                                                            "disconnect")}


def ws_event(kind: str, connection_id: str, *, authorizer: dict[str, Any] | None = None,
             query: dict[str, str] | None = None, body: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(_SAMPLE[kind])
    context = event["requestContext"]
    context["connectionId"] = connection_id
    if kind == "message":
        context["routeKey"] = "$default"
        event["body"] = body
    if query is not None:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if authorizer is not None:
        context["authorizer"] = authorizer
    return event


def authorize(tenant: str | None, token: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the $connect authorizer as API Gateway does (with the handshake's `headers`); returns its policy answer."""
    query = {k: v for k, v in (("tenant", tenant), ("token", token)) if v is not None}
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:asasasas/prod/$connect",
        "headers": dict(headers or {}), "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "stageVariables": {},
        "requestContext": copy.deepcopy(_SAMPLE["connect"]["requestContext"]),
    }
    answer: dict[str, Any] = lambda_app.ws_authorizer(event, None)
    return answer


class Socket:
    """One WebSocket connection as the handlers see it: authorized, connected, sending frames."""

    def __init__(self, connection_id: str, tenant: str, token: str) -> None:
        answer = authorize(tenant, token)
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        self.id = connection_id
        self.authorizer = {"principalId": answer["principalId"], **answer["context"]}
        reply = lambda_app.ws_connect(
            ws_event("connect", connection_id, authorizer=self.authorizer, query={"tenant": tenant, "token": token}),
            None)
        assert reply["statusCode"] == 200

    def send(self, frame: dict[str, Any] | str) -> None:
        body = frame if isinstance(frame, str) else json.dumps(frame)
        lambda_app.ws_message(ws_event("message", self.id, authorizer=self.authorizer, body=body), None)

    def close(self) -> None:
        lambda_app.ws_disconnect(ws_event("disconnect", self.id, authorizer=self.authorizer), None)
