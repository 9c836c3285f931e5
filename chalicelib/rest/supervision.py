"""Supervisor and admin routes: the Waiting and Held reports, release, settings, the calls' audio, routing, agents'
routing settings and the identity secret (docs/api.md, docs/supervisor.md, docs/callbacks.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib import bootstrap, boundary
from chalicelib.domain import routing as routing_policy
from chalicelib.domain.errors import Forbidden
from chalicelib.rest.http import authenticated, domain_checked_body, request_body, rest, source_ip
from chalicelib.services import call_audio, frames, holding, routing_admin, routing_preview, supervision, tenants

bp = Blueprint(__name__)


@bp.route("/tenants/{tenant}/waiting", methods=["GET"])
@rest
def get_waiting(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: each waiting conversation with its rule and group, and why a stuck one waits."""
    return supervision.waiting_report(bootstrap.container().deps, authenticated(tenant))


@bp.route("/tenants/{tenant}/held", methods=["GET"])
@rest
def get_held(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: the conversations agents hold (on a desk, reserved, snoozed), for release."""
    return holding.held_report(bootstrap.container().deps, authenticated(tenant))


@bp.route("/tenants/{tenant}/conversations/{conversation_id}/release", methods=["POST"])
@rest
def post_release(tenant: str, conversation_id: str) -> dict[str, Any]:
    """Supervisors and admins: back to its group's queue (ASYNC-14)."""
    return frames.conversation(holding.release(bootstrap.container().deps, authenticated(tenant), conversation_id))


@bp.route("/tenants/{tenant}/settings", methods=["GET"])
@rest
def get_settings(tenant: str) -> dict[str, Any]:
    principal = authenticated(tenant)
    if not principal.is_agent:
        raise Forbidden("agents only")
    return tenants.settings_of(bootstrap.container().deps, tenant).to_json()


@bp.route("/tenants/{tenant}/settings", methods=["PUT"])
@rest
def put_settings(tenant: str) -> dict[str, Any]:
    return tenants.change_settings(bootstrap.container().deps, authenticated(tenant), domain_checked_body(),
                                   source_ip()).to_json()


@bp.route("/tenants/{tenant}/callbacks/audio/{kind}", methods=["PUT"])
@rest
def put_call_audio(tenant: str, kind: str) -> dict[str, Any]:
    """Admins: hold music or the recording notice, as 8 kHz mono 16-bit PCM WAV in base64 (CB-7, CB-9)."""
    principal = authenticated(tenant)
    body = request_body("AudioUpload", boundary.AUDIO_BODY_BYTES)
    return call_audio.upload(bootstrap.container().deps, principal, kind, body.wav_base64, source_ip())


@bp.route("/tenants/{tenant}/routing", methods=["GET"])
@rest
def get_routing(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: groups, rules, skills and fairness."""
    config = routing_admin.routing_config(bootstrap.container().deps, authenticated(tenant))
    return routing_policy.config_to_json(config)


@bp.route("/tenants/{tenant}/routing", methods=["PUT"])
@rest
def put_routing(tenant: str) -> dict[str, Any]:
    """Admins: replace the routing configuration."""
    deps = bootstrap.container().deps
    config = routing_admin.replace_routing_config(deps, authenticated(tenant), domain_checked_body(), source_ip())
    return routing_policy.config_to_json(config)


@bp.route("/tenants/{tenant}/routing/preview", methods=["POST"])
@rest
def post_routing_preview(tenant: str) -> dict[str, Any]:
    """Supervisors and admins: where the waiting conversations would go under a draft configuration; no write."""
    return routing_preview.preview_routing(bootstrap.container().deps, authenticated(tenant), domain_checked_body())


@bp.route("/tenants/{tenant}/agents/{agent_id}/settings", methods=["GET"])
@rest
def get_agent_settings(tenant: str, agent_id: str) -> dict[str, Any]:
    return frames.agent(routing_admin.agent_settings(bootstrap.container().deps, authenticated(tenant), agent_id))


@bp.route("/tenants/{tenant}/agents/{agent_id}/settings", methods=["PUT"])
@rest
def put_agent_settings(tenant: str, agent_id: str) -> dict[str, Any]:
    """Admins: an agent's capacity per channel, skills, groups and routing flags."""
    deps = bootstrap.container().deps
    changed = routing_admin.change_agent_settings(deps, authenticated(tenant), agent_id, domain_checked_body(),
                                                 source_ip())
    return frames.agent(changed)


@bp.route("/tenants/{tenant}/identity-secret", methods=["GET"])
@rest
def get_identity_secret(tenant: str) -> dict[str, str]:
    """Admins: the key the brand's server signs its logged-in customers' identity with."""
    return {"secret": tenants.identity_secret(bootstrap.container().deps, authenticated(tenant), source_ip())}
