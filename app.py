"""Guichet's Lambda entry points, wired: the REST blueprints (chalicelib/rest/), the WebSocket handlers and the event
handlers. Each handler parses, calls one service and maps domain errors; nothing else."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, DynamoDBEvent, Request, SNSEvent, SQSEvent, WebsocketEvent

from chalicelib import bootstrap, ws
from chalicelib.adapters import telemetry
from chalicelib.domain.errors import ConnectionGone, Forbidden, Unauthorized
from chalicelib.domain.model import Principal
from chalicelib.rest import admin, calls, desk, http, public, reports, supervision
from chalicelib.services import auth, connections, inbound, tenants, timers

app = Chalice(app_name="guichet")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.api.cors = True
log = logging.getLogger("guichet")  # JSON lines through Powertools' Logger (docs/operations.md)

# --- REST: one blueprint per audience (chalicelib/rest/) ------------------------------------------------------------

http.serve(app)
for blueprint in (public.bp, desk.bp, supervision.bp, calls.bp, reports.bp, admin.bp):
    app.register_blueprint(blueprint)


@app.middleware("all")
def _telemetry(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every invocation: its log keys (tenant, conversation_id, correlation_id), then its metrics flushed once."""
    telemetry.bind(**telemetry.keys_of(event.to_original_event() if isinstance(event, Request) else event.to_dict()))
    try:
        return get_response(event)
    finally:
        log.debug("invocation handled")  # LOG_LEVEL=DEBUG: one line per invocation, with its keys
        built = bootstrap.built()
        if built is not None:
            built.deps.metrics.flush()


# --- WebSocket ------------------------------------------------------------------------------------------------------


@app.lambda_function(name="ws_authorizer")
def ws_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """REQUEST authorizer of `$connect`: `?tenant=...&token=...`. Its context follows every event of the connection."""
    params = event.get("queryStringParameters") or {}
    c = bootstrap.container()
    try:
        principal = auth.authenticate(params.get("token"), params.get("tenant"), secrets=c.secrets,
                                      agent_tokens=c.agent_tokens, clock=c.deps.clock)
        origin = next((v for k, v in (event.get("headers") or {}).items() if k.lower() == "origin"), None)
        tenants.check_origin(c.deps, principal.tenant, origin, principal)
    except Unauthorized as exc:
        raise Exception("Unauthorized") from exc  # API Gateway's contract for a 401
    except Forbidden:
        return _policy("anonymous", "Deny", event["methodArn"], {})
    return _policy(principal.id, "Allow", event["methodArn"], ws.authorizer_context(principal))


def _policy(principal_id: str, effect: str, resource: str, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


def _ws_principal(event: WebsocketEvent) -> Principal:
    return ws.principal_from_authorizer(event.to_dict()["requestContext"]["authorizer"])


@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> dict[str, int]:
    connections.connect(bootstrap.container().deps, _ws_principal(event), event.connection_id)
    return {"statusCode": 200}


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> None:
    deps = bootstrap.container().deps
    source_ip = event.to_dict()["requestContext"].get("identity", {}).get("sourceIp", "")
    reply = ws.handle(deps, _ws_principal(event), event.connection_id, event.body, source_ip)
    try:
        deps.push.send(event.connection_id, reply)
    except ConnectionGone:
        log.info("caller left before its answer", extra={"connection_id": event.connection_id})


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> None:
    connections.disconnect(bootstrap.container().deps, _ws_principal(event), event.connection_id)


# --- Telephony -----------------------------------------------------------------------------------------------------


@app.lambda_function(name="sma_handler")
def sma_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The SIP media application's Lambda (infra/template.yaml, SipMediaApplication): one invocation, its actions;
    a retried invocation gets the same answer (services/calls.py)."""
    from chalicelib.services import call_flow, calls  # deferred: the SMA's modules are for this function only

    deps = bootstrap.container().deps
    return calls.on_sma_event(deps, event, call_flow.flow_for(deps))


# --- Timers ---------------------------------------------------------------------------------------------------------


def _timer_queue_name() -> str:
    import os

    return os.environ.get("TIMER_QUEUE_NAME", "guichet-timers-dev")


def _inbound_topic_name() -> str:
    import os

    return os.environ.get("INBOUND_TOPIC_NAME", "guichet-inbound-dev")


@app.on_sns_message(topic=_inbound_topic_name())
def on_inbound_email(event: SNSEvent) -> None:
    """SES receipt notifications of replies to notification emails (SNS action): the reply joins its
    conversation."""
    try:
        notification = json.loads(event.message)
    except ValueError:
        log.warning("an inbound notification that is not JSON was dropped")
        return
    if isinstance(notification, dict):
        inbound.receive(bootstrap.container().deps, notification)


@app.on_sqs_message(queue=_timer_queue_name(), batch_size=10)
def on_timer(event: SQSEvent) -> dict[str, Any]:
    """Each record on its own: a failing one is listed in `batchItemFailures` and SQS redelivers only it
    (ReportBatchItemFailures, infra/template.yaml; docs/operations.md)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    deps = bootstrap.container().deps

    def fire(record: Any) -> None:
        telemetry.bind(**telemetry.record_keys(record.message_id, record.body))
        try:
            timers.fire(deps, record.body)
        except Exception:
            log.exception("timer failed; SQS delivers it again")
            raise

    return dict(process_partial_response(event=event.to_dict(), record_handler=fire,
                                         processor=BatchProcessor(event_type=EventType.SQS)))


# --- Reports --------------------------------------------------------------------------------------------------------


def _table_stream_arn() -> str:
    """Chalice needs a full stream ARN at package time; the merge template binds the stack's own
    (infra/template.yaml, OnTableChange: `Fn::GetAtt [Table, StreamArn]`)."""
    import os

    return os.environ.get("TABLE_STREAM_ARN", "arn:aws:dynamodb:us-east-1:000000000000:table/guichet/stream/packaged")


@app.on_dynamodb_record(stream_arn=_table_stream_arn(), batch_size=100, starting_position="TRIM_HORIZON",
                        name="on_table_change")
def on_table_change(event: DynamoDBEvent) -> dict[str, Any]:
    """The table's stream (NEW_AND_OLD_IMAGES) into report facts and day aggregates (services/report_stream.py). A
    failed record is answered in `batchItemFailures` (ReportBatchItemFailures): Lambda redelivers from it, not the
    records before it; a redelivered record counts nothing twice."""
    from chalicelib.adapters.dynamodb.stream_records import change_of
    from chalicelib.services import report_stream

    records = [(record.sequence_number, record.to_dict()) for record in event]  # Chalice's DynamoDBRecord each
    return report_stream.consume(bootstrap.container().deps, records, change_of).response()
