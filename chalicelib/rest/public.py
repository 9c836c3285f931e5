"""Public and visitor routes: health, sign-in, visitor sessions, history and preferences, the widget's settings and
availability, ratings and NPS answers, and the brand server's sales (docs/api.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.model import Principal
from chalicelib.ports import LoginResult
from chalicelib.rest.http import (
    authenticated,
    current_request,
    domain_checked_body,
    json_response,
    request_body,
    request_query,
    rest,
    source_ip,
    visitor_origin,
)
from chalicelib.services import (
    auth,
    callbacks,
    conversations,
    frames,
    routing,
    sales,
    surveys,
    tenants,
    users,
    visitors,
)

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
@rest
def health() -> dict[str, str]:
    return {"status": "ok"}


@bp.route("/auth/login", methods=["POST"])
@rest
def login() -> dict[str, Any]:
    body = request_body("Login")
    c = bootstrap.container()
    result = auth.password_login(c.identity, body.username, body.password)
    if result.challenge:  # a temporary password: the user sets their own first (POST /auth/password)
        return {"challenge": result.challenge, "session": result.session, "username": result.username}
    return _signed_in(result)


@bp.route("/auth/password", methods=["POST"])
@rest
def set_password() -> dict[str, Any]:
    """Answer the "new_password" challenge of a login: {"username", "session", "new_password"}; answers as a login
    does (the status in the user directory becomes "confirmed")."""
    c = bootstrap.container()
    fields = domain_checked_body()
    username, session, password = users.new_password_fields(fields.get("username"), fields.get("session"),
                                                             fields.get("new_password"))
    answer = _signed_in(c.identity.set_new_password(username, session, password))
    users.password_set(c.deps, answer["tenant"], answer["agent"]["id"])
    return answer


def _signed_in(result: LoginResult) -> dict[str, Any]:
    principal = bootstrap.container().agent_tokens.verify(result.id_token)
    return {
        "id_token": result.id_token,
        "expires_in": result.expires_in,
        "tenant": principal.tenant,
        "agent": {"id": principal.id, "name": principal.name, "roles": sorted(r.value for r in principal.roles)},
    }


@bp.route("/tenants/{tenant}/visitors", methods=["POST"])
@rest
def open_visitor_session(tenant: str) -> Response:
    visitor_origin(tenant)
    c = bootstrap.container()
    body = request_body("OpenVisitorSession")
    session = visitors.open_session(
        tenant, body.visitor_token, tenants=c.deps.tenants, secrets=c.secrets, ids=c.deps.ids,
        clock=c.deps.clock, identity=body.identity.model_dump() if body.identity else None, resume=body.resume,
        callback_link=body.callback_link, rate_limits=c.deps.rate_limits, source_ip=source_ip(),
    )
    return json_response(201, {"visitor_id": session.visitor_id, "visitor_token": session.token,
                       "expires_at": frames.iso(session.expires_at), "conversation_id": session.conversation_id,
                       "callback_id": session.callback_id, "identified": session.identified})


@bp.route("/tenants/{tenant}/visitors/me/history", methods=["GET"])
@rest
def visitor_history(tenant: str) -> dict[str, Any]:
    """Visitors: their conversations, newest first, unless they hid their history (ASYNC-5)."""
    visitor_origin(tenant)
    return visitors.history(bootstrap.container().deps, authenticated(tenant))


@bp.route("/tenants/{tenant}/visitors/me/preferences", methods=["PUT"])
@rest
def visitor_preferences(tenant: str) -> dict[str, Any]:
    """Visitors: {"hide_history": true|false}."""
    visitor_origin(tenant)
    visitor = authenticated(tenant)  # who asks first: a bad token is 401 whatever the body
    hidden = visitors.hide_history(bootstrap.container().deps, visitor, request_body("VisitorPreferences").hide_history)
    return {"hide_history": hidden}


@bp.route("/tenants/{tenant}/sales", methods=["POST"])
@rest
def post_sale(tenant: str) -> Response:
    """The brand's server: a sale, signed with the tenant's identity secret (X-Guichet-Signature), credited to the
    last agent who wrote to the visitor within the attribution window (ASYNC-12)."""
    request = current_request()
    raw = request.raw_body if request else b""
    signature = request.headers.get("x-guichet-signature") if request else None
    body = raw.encode() if isinstance(raw, str) else (raw or b"")
    sale = sales.report_sale(bootstrap.container().deps, tenant, body, signature, request_body("Sale").model_dump())
    return json_response(201, sales.sale_frame(sale))


@bp.route("/tenants/{tenant}/widget", methods=["GET"])
@rest
def widget_settings(tenant: str) -> dict[str, Any]:
    """Public: the widget's look and texts, and the brand's name."""
    visitor_origin(tenant)
    return tenants.widget_settings(bootstrap.container().deps, tenant)


@bp.route("/tenants/{tenant}/availability", methods=["GET"])
@rest
def get_availability(tenant: str) -> dict[str, Any]:
    """Public: whether a new visitor would be engaged now (ROUTE-4); the widget asks before offering chat."""
    visitor_origin(tenant)
    query = request_query("AvailabilityQuery")
    deps = bootstrap.container().deps
    context = routing.availability_context(deps, tenant, url=query.url, queue=query.queue, custom=query.custom,
                                           skill=query.skill, level=query.level)
    found = routing.availability(deps, tenant, context)
    answer = {"available": found.available, "reason": found.reason, "asynchronous": found.asynchronous}
    if found.closed:  # outside opening hours (issue 16): the widget shows the closed text and the next opening
        answer |= {"closed": True,
                   "next_opening": frames.iso(found.next_opening) if found.next_opening is not None else None}
    return answer


@bp.route("/tenants/{tenant}/conversations/{conversation_id}/rating", methods=["POST"])
@rest
def post_rating(tenant: str, conversation_id: str) -> Response:
    principal = authenticated(tenant)
    visitor_origin(tenant, principal)
    body = request_body("Rating")
    rating = conversations.rate(bootstrap.container().deps, principal, conversation_id, body.rating, body.comment)
    return json_response(201, {"conversation_id": conversation_id, "rating": rating})


@bp.route("/tenants/{tenant}/conversations/{conversation_id}/nps", methods=["POST"])
@rest
def post_nps(tenant: str, conversation_id: str) -> Response:
    """Visitors: the end screen's NPS answer (0 to 10), once, when the closed chat's end screen asks it."""
    principal = authenticated(tenant)
    visitor_origin(tenant, principal)
    body = request_body("NpsAnswer")
    score = surveys.answer_nps(bootstrap.container().deps, principal, conversation_id, body.score)
    return json_response(201, {"conversation_id": conversation_id, "score": score})


@bp.route("/tenants/{tenant}/callbacks/slots", methods=["GET"])
@rest
def callback_slots(tenant: str) -> dict[str, Any]:
    """Public: whether immediate (CB-1) and scheduled (CB-2) callbacks are offered now, and the slots a visitor may
    book a callback in, with their free times."""
    visitor_origin(tenant)
    return callbacks.offers(bootstrap.container().deps, tenant)


@bp.route("/tenants/{tenant}/callbacks", methods=["POST"])
@rest
def post_callback(tenant: str) -> Response:
    """Visitors: be called back now (CB-1) or at the earliest free time of a slot (CB-2)."""
    visitor = _visitor(tenant)  # who asks first: a bad token is 401 whatever the body
    body = request_body("NewCallback")
    request = callbacks.CallbackRequest(phone=body.phone, name=body.name, email=body.email, when=body.when,
                                        conversation_id=body.conversation_id, do_not_record=body.do_not_record,
                                        language=body.language)
    deps = bootstrap.container().deps
    return json_response(201, callbacks.visitor_callback(deps, callbacks.request_callback(deps, visitor, request)))


@bp.route("/tenants/{tenant}/callbacks/{callback_id}", methods=["DELETE"])
@rest
def delete_callback(tenant: str, callback_id: str) -> dict[str, Any]:
    """Visitors: cancel their callback; its time and its number are free again."""
    visitor = _visitor(tenant)
    deps = bootstrap.container().deps
    return callbacks.visitor_callback(deps, callbacks.cancel_callback(deps, visitor, callback_id))


def _visitor(tenant: str) -> Principal:
    """The calling visitor, from an allowed origin; an agent is refused (a callback is the visitor's own)."""
    caller = authenticated(tenant)
    visitor_origin(tenant, caller)
    if caller.is_agent:
        raise Forbidden("visitors only")
    return caller


@bp.route("/tenants/{tenant}/callbacks/{callback_id}", methods=["GET"])
@rest
def get_callback(tenant: str, callback_id: str) -> dict[str, Any]:
    """Visitors: their own callback, in whatever state."""
    visitor = _visitor(tenant)
    deps = bootstrap.container().deps
    return callbacks.visitor_callback(deps, callbacks.get_callback(deps, visitor, callback_id))


@bp.route("/tenants/{tenant}/callbacks/{callback_id}", methods=["PATCH"])
@rest
def move_callback(tenant: str, callback_id: str) -> dict[str, Any]:
    """Visitors: move their booking to the earliest free time of another slot ({"when": slot key})."""
    visitor = _visitor(tenant)  # who asks first: a bad token is 401 whatever the body
    when = request_body("MoveCallback").when
    deps = bootstrap.container().deps
    return callbacks.visitor_callback(deps, callbacks.move_callback(deps, visitor, callback_id, when))
