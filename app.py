"""Guichet's Lambda entry points. Each handler parses, calls one service and maps domain errors; nothing else."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response, SNSEvent, SQSEvent, WebsocketEvent

from chalicelib import bootstrap, boundary, ws
from chalicelib.adapters import telemetry
from chalicelib.domain import routing as routing_policy
from chalicelib.domain.errors import ConnectionGone, DomainError, Forbidden, RateLimited, Unauthorized
from chalicelib.domain.model import Principal
from chalicelib.services import (
    agents,
    auth,
    connections,
    contacts,
    conversations,
    frames,
    holding,
    inbound,
    routing,
    routing_admin,
    sales,
    supervision,
    tenants,
    timers,
    visitors,
)

app = Chalice(app_name="guichet")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.api.cors = True
log = logging.getLogger("guichet")  # JSON lines through Powertools' Logger (docs/operations.md)

STATUS_BY_CODE = {
    "blocked": 403,
    "invalid_json": 400,
    "missing_field": 400,
    "invalid_field": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "unavailable": 409,
    "rate_limited": 429,
    "internal": 500,
}


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


def _json(status: int, body: Any) -> Response:
    # Stored text is valid Unicode (the boundary refuses lone surrogates); scrub() keeps it so for older items.
    return Response(body=boundary.scrub(json.dumps(body, ensure_ascii=False)), status_code=status,
                    headers={"Content-Type": "application/json"})


def _rest(handler: Callable[..., Any]) -> Callable[..., Response]:
    """Turn a handler's result into JSON and each domain error into its 4xx, in one place."""

    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            for name, value in kwargs.items():  # the route's path parameters
                boundary.path_parameter(name, value)
            result = handler(*args, **kwargs)
        except DomainError as exc:
            body = {"code": exc.code, "message": exc.message}
            if exc.field:
                body["field"] = exc.field
            response = _json(STATUS_BY_CODE.get(exc.code, 400), body)
            if isinstance(exc, RateLimited):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(result, Response):
            return result
        return _json(200, result)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    wrapped.__wrapped__ = handler  # type: ignore[attr-defined]  # for readers of the route table (tests)
    return wrapped


def _body(model: str) -> Any:
    """The request's JSON body as `chalicelib/boundary/models.<model>` (docs/limits.md)."""
    return boundary.rest_body(model, app.current_request.raw_body if app.current_request else b"")


def _domain_checked_body() -> dict[str, Any]:
    """A body whose every field the domain checks (settings, routing): as JSON, within the boundary's limits."""
    return dict(_body("DomainChecked").model_extra or {})


def _caller(tenant: str) -> Principal:
    request = app.current_request
    headers = request.headers if request else {}
    c = bootstrap.container()
    return auth.authenticate(
        auth.bearer(headers.get("authorization")), tenant, secrets=c.secrets, agent_tokens=c.agent_tokens,
        clock=c.deps.clock,
    )


def _query(model: str) -> Any:
    """The request's query as `chalicelib/boundary/models.<model>`."""
    return boundary.rest_query(model, app.current_request.query_params if app.current_request else None)


def _visitor_origin(tenant: str, caller: Principal | None = None) -> None:
    """A visitor's (or the widget's public) request comes from the tenant's site origins, when it lists them."""
    request = app.current_request
    origin = request.headers.get("origin") if request else None
    tenants.check_origin(bootstrap.container().deps, tenant, origin, caller)


def _source_ip() -> str:
    """The caller's address as API Gateway saw it (per-visitor limits count new visitors by it)."""
    context = app.current_request.context if app.current_request else {}
    return str((context.get("identity") or {}).get("sourceIp") or "")


# --- REST -----------------------------------------------------------------------------------------------------------


@app.route("/health", methods=["GET"])
@_rest
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/auth/login", methods=["POST"])
@_rest
def login() -> dict[str, Any]:
    body = _body("Login")
    c = bootstrap.container()
    result, principal = auth.login(c.identity, c.agent_tokens, body.username, body.password)
    return {
        "id_token": result.id_token,
        "expires_in": result.expires_in,
        "tenant": principal.tenant,
        "agent": {"id": principal.id, "name": principal.name, "roles": sorted(r.value for r in principal.roles)},
    }


@app.route("/tenants/{tenant}/visitors", methods=["POST"])
@_rest
def open_visitor_session(tenant: str) -> Response:
    _visitor_origin(tenant)
    c = bootstrap.container()
    body = _body("OpenVisitorSession")
    session = visitors.open_session(
        tenant, body.visitor_token, tenants=c.deps.tenants, secrets=c.secrets, ids=c.deps.ids,
        clock=c.deps.clock, identity=body.identity.model_dump() if body.identity else None, resume=body.resume,
        rate_limits=c.deps.rate_limits, source_ip=_source_ip(),
    )
    return _json(201, {"visitor_id": session.visitor_id, "visitor_token": session.token,
                       "expires_at": frames.iso(session.expires_at), "conversation_id": session.conversation_id,
                       "identified": session.identified})


@app.route("/tenants/{tenant}/visitors/me/history", methods=["GET"])
@_rest
def visitor_history(tenant: str) -> dict[str, Any]:
    """Visitors: their conversations, newest first, unless they hid their history (ASYNC-5)."""
    _visitor_origin(tenant)
    return visitors.history(bootstrap.container().deps, _caller(tenant))


@app.route("/tenants/{tenant}/visitors/me/preferences", methods=["PUT"])
@_rest
def visitor_preferences(tenant: str) -> dict[str, Any]:
    """Visitors: {"hide_history": true|false}."""
    _visitor_origin(tenant)
    visitor = _caller(tenant)  # who asks first: a bad token is 401 whatever the body
    hidden = visitors.hide_history(bootstrap.container().deps, visitor, _body("VisitorPreferences").hide_history)
    return {"hide_history": hidden}


@app.route("/tenants/{tenant}/sales", methods=["POST"])
@_rest
def post_sale(tenant: str) -> Response:
    """The brand's server: a sale, signed with the tenant's identity secret (X-Guichet-Signature), credited to the
    last agent who wrote to the visitor within the attribution window (ASYNC-12)."""
    request = app.current_request
    raw = request.raw_body if request else b""
    signature = request.headers.get("x-guichet-signature") if request else None
    body = raw.encode() if isinstance(raw, str) else (raw or b"")
    sale = sales.report_sale(bootstrap.container().deps, tenant, body, signature, _body("Sale").model_dump())
    return _json(201, sales.sale_frame(sale))


@app.route("/tenants/{tenant}/me", methods=["GET"])
@_rest
def me(tenant: str) -> dict[str, Any]:
    principal = _caller(tenant)
    _visitor_origin(tenant, principal)
    if not principal.is_agent:
        return {"kind": "visitor", "id": principal.id}
    return {**frames.agent(agents.profile(bootstrap.container().deps, principal)),
            "roles": sorted(r.value for r in principal.roles)}


@app.route("/tenants/{tenant}/agents/me/status", methods=["PUT"])
@_rest
def put_status(tenant: str) -> dict[str, Any]:
    principal = _caller(tenant)
    return frames.agent(agents.set_status(bootstrap.container().deps, principal, _body("AgentStatus").status))


@app.route("/tenants/{tenant}/conversations", methods=["GET"])
@_rest
def list_conversations(tenant: str) -> dict[str, Any]:
    principal = _caller(tenant)
    _visitor_origin(tenant, principal)
    found = conversations.open_conversations(bootstrap.container().deps, principal)
    return {"conversations": [frames.for_principal(c, principal) for c in found]}


@app.route("/tenants/{tenant}/conversations/{conversation_id}", methods=["GET"])
@_rest
def get_conversation(tenant: str, conversation_id: str) -> dict[str, Any]:
    principal = _caller(tenant)
    _visitor_origin(tenant, principal)
    deps = bootstrap.container().deps
    found = conversations.participant_view(deps, principal, conversation_id)
    view = frames.for_principal(found, principal)
    if not principal.is_agent:
        view["position"] = conversations.position(deps, found)  # so a reloaded waiting screen shows it at once
    return view


@app.route("/tenants/{tenant}/conversations/{conversation_id}/messages", methods=["GET"])
@_rest
def list_messages(tenant: str, conversation_id: str) -> dict[str, Any]:
    principal = _caller(tenant)
    _visitor_origin(tenant, principal)
    query = _query("MessagesQuery")
    found = conversations.history(bootstrap.container().deps, principal, conversation_id, query.after_seq,
                                  query.limit)
    return {"messages": [frames.message(m) for m in found]}


@app.route("/tenants/{tenant}/conversations/{conversation_id}/transcript", methods=["GET"])
@_rest
def get_transcript(tenant: str, conversation_id: str) -> Response:
    principal = _caller(tenant)
    _visitor_origin(tenant, principal)
    content_type, body = conversations.transcript(bootstrap.container().deps, principal, conversation_id,
                                                  _query("TranscriptQuery").format)
    extension = "html" if content_type.startswith("text/html") else "txt"
    return Response(body=boundary.scrub(body), status_code=200, headers={
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="conversation-{conversation_id}.{extension}"',
    })


@app.route("/tenants/{tenant}/conversations/{conversation_id}/rating", methods=["POST"])
@_rest
def post_rating(tenant: str, conversation_id: str) -> Response:
    principal = _caller(tenant)
    _visitor_origin(tenant, principal)
    body = _body("Rating")
    rating = conversations.rate(bootstrap.container().deps, principal, conversation_id, body.rating, body.comment)
    return _json(201, {"conversation_id": conversation_id, "rating": rating})


@app.route("/tenants/{tenant}/widget", methods=["GET"])
@_rest
def widget_settings(tenant: str) -> dict[str, Any]:
    """Public: the widget's look and texts."""
    _visitor_origin(tenant)
    return tenants.settings_of(bootstrap.container().deps, tenant).public()


@app.route("/tenants/{tenant}/availability", methods=["GET"])
@_rest
def get_availability(tenant: str) -> dict[str, Any]:
    """Public: whether a new visitor would be engaged now (ROUTE-4); the widget asks before offering chat."""
    _visitor_origin(tenant)
    query = _query("AvailabilityQuery")
    deps = bootstrap.container().deps
    context = routing.availability_context(deps, tenant, url=query.url, queue=query.queue, custom=query.custom,
                                           skill=query.skill, level=query.level)
    found = routing.availability(deps, tenant, context)
    return {"available": found.available, "reason": found.reason, "asynchronous": found.asynchronous}


@app.route("/tenants/{tenant}/waiting", methods=["GET"])
@_rest
def get_waiting(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: each waiting conversation with its rule and group, and why a stuck one waits."""
    return supervision.waiting_report(bootstrap.container().deps, _caller(tenant))


@app.route("/tenants/{tenant}/held", methods=["GET"])
@_rest
def get_held(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: the conversations agents hold (on a desk, reserved, snoozed), for release."""
    return holding.held_report(bootstrap.container().deps, _caller(tenant))


@app.route("/tenants/{tenant}/agents", methods=["GET"])
@_rest
def list_agents(tenant: str) -> dict[str, Any]:
    """Agents: the tenant's agents with their status and queues (whom to transfer a conversation to)."""
    found = agents.directory(bootstrap.container().deps, _caller(tenant))
    return {"agents": [frames.directory_entry(a) for a in found]}


@app.route("/tenants/{tenant}/agents/me/held", methods=["GET"])
@_rest
def get_my_held(tenant: str) -> dict[str, Any]:
    """An agent's conversations off their desk: snoozed ones they keep, and those reserved for them."""
    return holding.agent_held(bootstrap.container().deps, _caller(tenant))


@app.route("/tenants/{tenant}/conversations/{conversation_id}/release", methods=["POST"])
@_rest
def post_release(tenant: str, conversation_id: str) -> dict[str, Any]:
    """Supervisors and admins: back to its group's queue (ASYNC-14)."""
    return frames.conversation(holding.release(bootstrap.container().deps, _caller(tenant), conversation_id))


@app.route("/tenants/{tenant}/conversations/{conversation_id}/transfer", methods=["POST"])
@_rest
def post_transfer(tenant: str, conversation_id: str) -> dict[str, Any]:
    """The holding agent, a supervisor or an admin: to another agent ({"to_agent"}) or a queue ({"to_queue"})."""
    caller = _caller(tenant)
    body = _body("Transfer")
    moved = holding.transfer(bootstrap.container().deps, caller, conversation_id, body.to_agent, body.to_queue)
    return frames.conversation(moved)


@app.route("/tenants/{tenant}/settings", methods=["GET"])
@_rest
def get_settings(tenant: str) -> dict[str, Any]:
    principal = _caller(tenant)
    if not principal.is_agent:
        raise Forbidden("agents only")
    return tenants.settings_of(bootstrap.container().deps, tenant).to_json()


@app.route("/tenants/{tenant}/settings", methods=["PUT"])
@_rest
def put_settings(tenant: str) -> dict[str, Any]:
    return tenants.change_settings(bootstrap.container().deps, _caller(tenant), _domain_checked_body()).to_json()


@app.route("/tenants/{tenant}/routing", methods=["GET"])
@_rest
def get_routing(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: groups, rules, skills and fairness."""
    config = routing_admin.routing_config(bootstrap.container().deps, _caller(tenant))
    return routing_policy.config_to_json(config)


@app.route("/tenants/{tenant}/routing", methods=["PUT"])
@_rest
def put_routing(tenant: str) -> dict[str, Any]:
    """Admins: replace the routing configuration."""
    deps = bootstrap.container().deps
    config = routing_admin.replace_routing_config(deps, _caller(tenant), _domain_checked_body())
    return routing_policy.config_to_json(config)


@app.route("/tenants/{tenant}/agents/{agent_id}/settings", methods=["GET"])
@_rest
def get_agent_settings(tenant: str, agent_id: str) -> dict[str, Any]:
    return frames.agent(routing_admin.agent_settings(bootstrap.container().deps, _caller(tenant), agent_id))


@app.route("/tenants/{tenant}/agents/{agent_id}/settings", methods=["PUT"])
@_rest
def put_agent_settings(tenant: str, agent_id: str) -> dict[str, Any]:
    """Admins: an agent's capacity per channel, skills, groups and routing flags."""
    deps = bootstrap.container().deps
    return frames.agent(routing_admin.change_agent_settings(deps, _caller(tenant), agent_id, _domain_checked_body()))


@app.route("/tenants/{tenant}/identity-secret", methods=["GET"])
@_rest
def get_identity_secret(tenant: str) -> dict[str, str]:
    """Admins: the key the brand's server signs its logged-in customers' identity with."""
    return {"secret": tenants.identity_secret(bootstrap.container().deps, _caller(tenant))}


@app.route("/tenants/{tenant}/contacts", methods=["POST"])
@_rest
def create_contact(tenant: str) -> Response:
    """Agents: the record of a new customer (CHAT-8)."""
    contact = contacts.create_contact(bootstrap.container().deps, _caller(tenant), _body("NewContact").model_dump())
    return _json(201, frames.contact(contact))


@app.route("/tenants/{tenant}/contacts", methods=["GET"])
@_rest
def find_contacts(tenant: str) -> dict[str, Any]:
    """Agents: the record holding an email (or an external id), as a list of 0 or 1."""
    caller = _caller(tenant)
    query = _query("ContactsQuery")
    found = contacts.find_contact(bootstrap.container().deps, caller, query.email, query.external_id)
    return {"contacts": [frames.contact(*found)] if found else []}


@app.route("/tenants/{tenant}/contacts/{contact_id}", methods=["GET"])
@_rest
def get_contact(tenant: str, contact_id: str) -> dict[str, Any]:
    """Agents: a customer's record with its cases, newest first."""
    contact, cases = contacts.contact_of(bootstrap.container().deps, _caller(tenant), contact_id)
    return {**(frames.contact(contact, len(cases)) or {}), "cases": [frames.case(c) for c in cases]}


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
