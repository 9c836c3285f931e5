"""Routes of the people in a conversation: who am I, status, open conversations, messages and transcripts, the
agent directory, what an agent holds, transfers, and customer records (docs/api.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import bootstrap, boundary
from chalicelib.domain.model import Conversation, Principal
from chalicelib.ports import Deps
from chalicelib.rest.http import (
    authenticated,
    domain_checked_body,
    json_response,
    request_body,
    request_query,
    rest,
    visitor_origin,
)
from chalicelib.services import agenda, agents, callback_notices, contacts, conversations, frames, holding

bp = Blueprint(__name__)


@bp.route("/tenants/{tenant}/me", methods=["GET"])
@rest
def me(tenant: str) -> dict[str, Any]:
    principal = authenticated(tenant)
    visitor_origin(tenant, principal)
    if not principal.is_agent:
        return {"kind": "visitor", "id": principal.id}
    return {**frames.agent(agents.profile(bootstrap.container().deps, principal)),
            "roles": sorted(r.value for r in principal.roles)}


@bp.route("/tenants/{tenant}/agents/me/status", methods=["PUT"])
@rest
def put_status(tenant: str) -> dict[str, Any]:
    principal = authenticated(tenant)
    return frames.agent(agents.set_status(bootstrap.container().deps, principal, request_body("AgentStatus").status))


@bp.route("/tenants/{tenant}/agents/me/line", methods=["PUT"])
@rest
def put_line(tenant: str) -> dict[str, Any]:
    """Agents: the number to ring for their calls during this login (CB-6), {"line": "+33..."}; "" forgets it."""
    principal = authenticated(tenant)
    line = domain_checked_body().get("line")
    return {"agent": frames.agent(agents.set_line(bootstrap.container().deps, principal, line))}


@bp.route("/tenants/{tenant}/conversations", methods=["GET"])
@rest
def list_conversations(tenant: str) -> dict[str, Any]:
    principal = authenticated(tenant)
    visitor_origin(tenant, principal)
    deps = bootstrap.container().deps
    found = conversations.open_conversations(deps, principal)
    return {"conversations": [_with_call(deps, c, frames.for_principal(c, principal), principal) for c in found]}


@bp.route("/tenants/{tenant}/conversations/{conversation_id}", methods=["GET"])
@rest
def get_conversation(tenant: str, conversation_id: str) -> dict[str, Any]:
    principal = authenticated(tenant)
    visitor_origin(tenant, principal)
    deps = bootstrap.container().deps
    found = conversations.participant_view(deps, principal, conversation_id)
    view = _with_call(deps, found, frames.for_principal(found, principal), principal)
    if not principal.is_agent:
        view["position"] = conversations.position(deps, found)  # so a reloaded waiting screen shows it at once
    return view


@bp.route("/tenants/{tenant}/conversations/{conversation_id}/messages", methods=["GET"])
@rest
def list_messages(tenant: str, conversation_id: str) -> dict[str, Any]:
    principal = authenticated(tenant)
    visitor_origin(tenant, principal)
    query = request_query("MessagesQuery")
    found = conversations.history(bootstrap.container().deps, principal, conversation_id, query.after_seq,
                                  query.limit)
    return {"messages": [frames.message(m) for m in found]}


@bp.route("/tenants/{tenant}/conversations/{conversation_id}/transcript", methods=["GET"])
@rest
def get_transcript(tenant: str, conversation_id: str) -> Response:
    principal = authenticated(tenant)
    visitor_origin(tenant, principal)
    content_type, body = conversations.transcript(bootstrap.container().deps, principal, conversation_id,
                                                  request_query("TranscriptQuery").format)
    extension = "html" if content_type.startswith("text/html") else "txt"
    return Response(body=boundary.scrub(body), status_code=200, headers={
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="conversation-{conversation_id}.{extension}"',
    })


@bp.route("/tenants/{tenant}/agents", methods=["GET"])
@rest
def list_agents(tenant: str) -> dict[str, Any]:
    """Agents: the tenant's agents with their status and queues (whom to transfer a conversation to)."""
    found = agents.directory(bootstrap.container().deps, authenticated(tenant))
    return {"agents": [frames.directory_entry(a) for a in found]}


@bp.route("/tenants/{tenant}/agents/me/held", methods=["GET"])
@rest
def get_my_held(tenant: str) -> dict[str, Any]:
    """An agent's conversations off their desk: snoozed ones they keep, and those reserved for them."""
    return holding.agent_held(bootstrap.container().deps, authenticated(tenant))


@bp.route("/tenants/{tenant}/conversations/{conversation_id}/transfer", methods=["POST"])
@rest
def post_transfer(tenant: str, conversation_id: str) -> dict[str, Any]:
    """The holding agent, a supervisor or an admin: to another agent ({"to_agent"}) or a queue ({"to_queue"})."""
    caller = authenticated(tenant)
    body = request_body("Transfer")
    moved = holding.transfer(bootstrap.container().deps, caller, conversation_id, body.to_agent, body.to_queue)
    return frames.conversation(moved)


@bp.route("/tenants/{tenant}/contacts", methods=["POST"])
@rest
def create_contact(tenant: str) -> Response:
    """Agents: the record of a new customer (CHAT-8)."""
    caller = authenticated(tenant)  # who asks first: a bad token is 401 whatever the body
    contact = contacts.create_contact(bootstrap.container().deps, caller, request_body("NewContact").model_dump())
    return json_response(201, frames.contact(contact))


@bp.route("/tenants/{tenant}/contacts", methods=["GET"])
@rest
def find_contacts(tenant: str) -> dict[str, Any]:
    """Agents: the record holding an email (or an external id), as a list of 0 or 1."""
    caller = authenticated(tenant)
    query = request_query("ContactsQuery")
    found = contacts.find_contact(bootstrap.container().deps, caller, query.email, query.external_id)
    return {"contacts": [frames.contact(*found)] if found else []}


@bp.route("/tenants/{tenant}/contacts/{contact_id}", methods=["GET"])
@rest
def get_contact(tenant: str, contact_id: str) -> dict[str, Any]:
    """Agents: a customer's record with its cases, newest first."""
    contact, cases = contacts.contact_of(bootstrap.container().deps, authenticated(tenant), contact_id)
    return {**(frames.contact(contact, len(cases)) or {}), "cases": [frames.case(c) for c in cases]}


@bp.route("/tenants/{tenant}/callbacks/agenda", methods=["GET"])
@rest
def get_agenda(tenant: str) -> dict[str, Any]:
    """Agents: a day's scheduled callbacks of their groups, in every state (CB-11)."""
    caller = authenticated(tenant)
    return agenda.agenda_for(bootstrap.container().deps, caller, request_query("AgendaQuery").day)


def _with_call(deps: Deps, conversation: Conversation, view: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """An agent's view of a callback's call carries its callback, so that a reloaded desk shows the call card."""
    if principal.is_agent and conversation.medium == "inbound_call":
        view["callback"] = callback_notices.card_for(deps, conversation)
    return view
