"""Routes of an agent's calls (issue 13): hanging up a callback's call from the call card, and playing its
recording from the case (docs/callbacks.md, docs/openapi.yaml)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib import bootstrap
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.model import Principal
from chalicelib.rest.http import authenticated, rest
from chalicelib.services import call_attempts, call_controls

bp = Blueprint(__name__)


def _agent(tenant: str) -> Principal:
    principal = authenticated(tenant)
    if not principal.is_agent:
        raise Forbidden("agents only")
    return principal


@bp.route("/tenants/{tenant}/callbacks/{callback_id}/hang-up", methods=["POST"])
@rest
def hang_up(tenant: str, callback_id: str) -> dict[str, Any]:
    """The agent who holds the call hangs it up, for both parties."""
    deps = bootstrap.container().deps
    return {"callback": call_attempts.hang_up_by_agent(deps, _agent(tenant), callback_id)}


@bp.route("/tenants/{tenant}/calls/live", methods=["GET"])
@rest
def live_calls(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: the tenant's calls going on (issue 14)."""
    return call_controls.live_calls(bootstrap.container().deps, authenticated(tenant))


@bp.route("/tenants/{tenant}/callbacks/{callback_id}/recording", methods=["GET"])
@rest
def recording(tenant: str, callback_id: str) -> dict[str, Any]:
    """A short-lived URL to play the callback's recording (agents and supervisors of the tenant)."""
    return call_attempts.recording_url(bootstrap.container().deps, _agent(tenant), callback_id)
