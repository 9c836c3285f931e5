"""Administration routes (issue 16): the tenant's users (Cognito and the user directory) and its audit log
(docs/admin.md). Admins write; supervisors read; agents get 403 — checked by the services, on the server."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.rest.http import (
    authenticated,
    current_request,
    domain_checked_body,
    json_response,
    request_query,
    rest,
    source_ip,
)
from chalicelib.services import audit, users
from chalicelib.settings import settings

bp = Blueprint(__name__)


def _desk_url() -> str:
    """Where the invitation sends the user: the configured DESK_URL, else the desk the admin works on."""
    configured = settings().desk_url
    if configured:
        return configured
    request = current_request()
    origin = request.headers.get("origin", "") if request else ""
    return f"{origin}/desk" if origin.startswith(("https://", "http://")) else ""


@bp.route("/tenants/{tenant}/users", methods=["GET"])
@rest
def get_users(tenant: str) -> dict[str, Any]:
    """Admins and supervisors: every user, with their roles and status."""
    found = users.users(bootstrap.container().deps, authenticated(tenant))
    return {"users": [users.to_json(u) for u in found]}


@bp.route("/tenants/{tenant}/users", methods=["POST"])
@rest
def post_user(tenant: str) -> Response:
    """Admins: invite {"email", "name", "roles"}; the temporary password goes by email only."""
    admin = authenticated(tenant)
    c = bootstrap.container()
    user = users.invite(c.deps, c.accounts, admin, domain_checked_body(), ip=source_ip(), desk_url=_desk_url())
    return json_response(201, {"user": users.to_json(user)})


@bp.route("/tenants/{tenant}/users/{user_id}/roles", methods=["PUT"])
@rest
def put_user_roles(tenant: str, user_id: str) -> dict[str, Any]:
    admin = authenticated(tenant)
    c = bootstrap.container()
    user = users.change_roles(c.deps, c.accounts, admin, user_id, domain_checked_body(), ip=source_ip())
    return {"user": users.to_json(user)}


@bp.route("/tenants/{tenant}/users/{user_id}/deactivate", methods=["POST"])
@rest
def post_deactivate(tenant: str, user_id: str) -> dict[str, Any]:
    c = bootstrap.container()
    user = users.set_active(c.deps, c.accounts, authenticated(tenant), user_id, False, ip=source_ip())
    return {"user": users.to_json(user)}


@bp.route("/tenants/{tenant}/users/{user_id}/reactivate", methods=["POST"])
@rest
def post_reactivate(tenant: str, user_id: str) -> dict[str, Any]:
    c = bootstrap.container()
    user = users.set_active(c.deps, c.accounts, authenticated(tenant), user_id, True, ip=source_ip())
    return {"user": users.to_json(user)}


@bp.route("/tenants/{tenant}/users/{user_id}/reset-password", methods=["POST"])
@rest
def post_reset_password(tenant: str, user_id: str) -> dict[str, Any]:
    c = bootstrap.container()
    user = users.reset_password(c.deps, c.accounts, authenticated(tenant), user_id, ip=source_ip(),
                                desk_url=_desk_url())
    return {"user": users.to_json(user)}


@bp.route("/tenants/{tenant}/audit", methods=["GET"])
@rest
def get_audit(tenant: str) -> dict[str, Any]:
    """Admins and supervisors: the audit log, newest first; ?from=&to= (days), &actor=, &action=, &cursor=."""
    caller = authenticated(tenant)
    query = request_query("AuditLogQuery").model_dump(by_alias=True, exclude_none=True)
    return audit.entries(bootstrap.container().deps, caller, query)
