"""Builders for the exact Lambda events API Gateway (WebSocket) and SQS hand to the handlers.

The handlers in ``app.py`` are written against real AWS payloads (samples in ``/work/shared/aws-events/``); the
local stack must hand them the same keys, or code that works locally breaks on AWS (and the other way round).
Everything here is pure: no I/O, so the shapes are easy to test and reuse in other tests.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalice.local import LambdaContext

ACCOUNT_ID = "123456789012"
"""The account id API Gateway puts in ``methodArn`` (also moto's default account)."""

DEFAULT_REGION = "us-east-1"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Event = dict[str, Any]
Pairs = Iterable[tuple[str, str]]


def new_id() -> str:
    """An id shaped like API Gateway's connection/request ids (16 url-safe base64 chars ending in ``=``).

    Handlers may store or log them; keeping the real shape catches code that assumes another format.
    """
    return base64.urlsafe_b64encode(os.urandom(11)).decode("ascii")


def now_ms() -> int:
    """Current epoch time in milliseconds, the unit of ``connectedAt`` and ``requestTimeEpoch``."""
    return int(time.time() * 1000)


def request_time(epoch_ms: int) -> str:
    """``requestTime`` in API Gateway's CLF format (``11/Nov/2024:11:35:24 +0000``), locale independent."""
    t = time.gmtime(epoch_ms / 1000)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


@dataclass
class WsConnection:
    """What API Gateway remembers about one WebSocket connection and repeats in each of its events."""

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    source_ip: str
    connected_at: int = field(default_factory=now_ms)
    authorizer: dict[str, Any] | None = None
    """``{"principalId", **context}`` once the REQUEST authorizer allowed the connection."""


def single_and_multi(pairs: Pairs) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Split repeated name/value pairs the way API Gateway does: the last value wins in the single-value map."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[str(name)] = value
        multi.setdefault(str(name), []).append(value)
    return single, multi


def request_context(
    conn: WsConnection,
    route_key: str,
    event_type: str,
    epoch_ms: int | None = None,
    *,
    with_authorizer: bool = True,
) -> Event:
    """The ``requestContext`` shared by every WebSocket event of a connection (keys as in the AWS samples)."""
    epoch = now_ms() if epoch_ms is None else epoch_ms
    request_id = new_id()
    ctx: Event = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(epoch),
        "messageDirection": "IN",
        "stage": conn.stage,
        "connectedAt": conn.connected_at,
        "requestTimeEpoch": epoch,
        "identity": {"sourceIp": conn.source_ip},
        "requestId": request_id,
        "domainName": conn.domain_name,
        "connectionId": conn.connection_id,
        "apiId": conn.api_id,
    }
    if with_authorizer and conn.authorizer is not None:
        ctx["authorizer"] = dict(conn.authorizer)
    return ctx


def method_arn(conn: WsConnection, region: str = DEFAULT_REGION, route_key: str = "$connect") -> str:
    """The ``methodArn`` the REQUEST authorizer receives and usually echoes as the policy resource."""
    return f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{conn.api_id}/{conn.stage}/{route_key}"


def authorizer_request_event(
    conn: WsConnection,
    headers: Pairs,
    query: Pairs,
    epoch_ms: int | None = None,
    region: str = DEFAULT_REGION,
) -> Event:
    """The REQUEST authorizer event for ``$connect`` (the token travels in the query string)."""
    single_headers, multi_headers = single_and_multi(headers)
    single_query, multi_query = single_and_multi(query)
    return {
        "type": "REQUEST",
        "methodArn": method_arn(conn, region),
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "stageVariables": {},
        "requestContext": request_context(conn, "$connect", "CONNECT", epoch_ms, with_authorizer=False),
    }


def connect_event(conn: WsConnection, headers: Pairs, query: Pairs, epoch_ms: int | None = None) -> Event:
    """The ``$connect`` event; like AWS, the query-string keys are present only when there is a query string."""
    single_headers, multi_headers = single_and_multi(headers)
    event: Event = {
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "requestContext": request_context(conn, "$connect", "CONNECT", epoch_ms),
        "isBase64Encoded": False,
    }
    single_query, multi_query = single_and_multi(query)
    if single_query:
        event["queryStringParameters"] = single_query
        event["multiValueQueryStringParameters"] = multi_query
    return event


def message_event(conn: WsConnection, body: str | bytes, epoch_ms: int | None = None) -> Event:
    """A MESSAGE event on the ``$default`` route (Chalice's ``on_ws_message``); binary frames arrive base64."""
    ctx = request_context(conn, "$default", "MESSAGE", epoch_ms)
    ctx["messageId"] = new_id()
    if isinstance(body, bytes):
        return {"requestContext": ctx, "body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}
    return {"requestContext": ctx, "body": body, "isBase64Encoded": False}


def disconnect_event(conn: WsConnection, status_code: int, reason: str, epoch_ms: int | None = None) -> Event:
    """The ``$disconnect`` event; its headers are the fixed set API Gateway sends, not the client's."""
    headers = {"Host": conn.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    ctx = request_context(conn, "$disconnect", "DISCONNECT", epoch_ms)
    ctx["disconnectStatusCode"] = status_code
    ctx["disconnectReason"] = reason
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": ctx,
        "isBase64Encoded": False,
    }


def _lambda_message_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API message attributes (``StringValue``) -> Lambda event ones (``stringValue``, base64 binaries)."""
    out: dict[str, Any] = {}
    for name, attr in attributes.items():
        converted: dict[str, Any] = {
            "stringListValues": list(attr.get("StringListValues", [])),
            "binaryListValues": [base64.b64encode(v).decode("ascii") for v in attr.get("BinaryListValues", [])],
            "dataType": attr.get("DataType", "String"),
        }
        if "StringValue" in attr:
            converted["stringValue"] = attr["StringValue"]
        if "BinaryValue" in attr:
            converted["binaryValue"] = base64.b64encode(attr["BinaryValue"]).decode("ascii")
        out[name] = converted
    return out


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str = DEFAULT_REGION) -> Event:
    """One Lambda SQS record built from a boto3 ``receive_message`` item, as the event source mapping does."""
    record: Event = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {k: str(v) for k, v in message.get("Attributes", {}).items()},
        "messageAttributes": _lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(records: Iterable[Event]) -> Event:
    """The SQS event envelope (``{"Records": [...]}``)."""
    return {"Records": list(records)}


def sns_event(message: str, topic_arn: str, region: str = "us-east-1") -> Event:
    """The SNS event envelope Lambda gets for one published message."""
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{topic_arn}:{new_id()}",
        "Sns": {"Type": "Notification", "MessageId": new_id(), "TopicArn": topic_arn, "Subject": None,
                "Message": message, "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "SignatureVersion": "1", "Signature": "", "SigningCertUrl": "", "UnsubscribeUrl": "",
                "MessageAttributes": {}},
    }]}


def ses_received(reply_to: str, sender: str, subject: str, text: str, message_id: str) -> Event:
    """What an SES receipt rule with an SNS action publishes for one received email (UTF-8 content)."""
    from email.message import EmailMessage

    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = reply_to
    mime["Subject"] = subject
    mime["Message-ID"] = f"<{message_id}@guichet.local>"
    mime.set_content(text)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {
        "notificationType": "Received",
        "receipt": {"timestamp": now, "recipients": [reply_to], "spamVerdict": {"status": "PASS"},
                    "virusVerdict": {"status": "PASS"}, "spfVerdict": {"status": "PASS"},
                    "dkimVerdict": {"status": "PASS"},
                    "action": {"type": "SNS", "topicArn": "local", "encoding": "UTF8"}},
        "mail": {"timestamp": now, "source": sender, "messageId": message_id, "destination": [reply_to]},
        "content": mime.as_string(),
    }


def lambda_context(function_name: str, timeout_s: int = 900, memory_mb: int = 512) -> LambdaContext:
    """A fake Lambda context (request id, remaining time) for handlers that log or read it."""
    return LambdaContext(function_name=function_name, memory_size=memory_mb, max_runtime_ms=timeout_s * 1000)
