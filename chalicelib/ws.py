"""The WebSocket protocol: client frames in, acks and error frames out.

A client frame is ``{"action": ..., "id": ...optional, ...}``. Every request with an id is answered with
``{"type": "ack", "id", "action", ...}`` or ``{"type": "error", "id", "code", "message", "field"?}``; a bad frame
never closes the connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import DomainError, InvalidInput, MissingField
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import agents, conversations, frames

MAX_ID_CHARS = 64

Handler = Callable[[Deps, Principal, str, dict[str, Any]], dict[str, Any]]


def _start(deps: Deps, who: Principal, connection_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    conversation = conversations.start_conversation(deps, who, connection_id, frame.get("page"))
    return {"conversation": frames.conversation(conversation)}


def _send(deps: Deps, who: Principal, connection_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    message = conversations.send_message(
        deps, who, connection_id, frame.get("conversation_id"), frame.get("client_message_id"), frame.get("text"),
        frame.get("after_seq"),
    )
    return {"message": frames.message(message)}


def _sync(deps: Deps, who: Principal, connection_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    page = conversations.PUSH_PAGE
    found = conversations.history(deps, who, frame.get("conversation_id"), frame.get("after_seq"), frame.get("limit"),
                                  max_page=page)
    return {"conversation_id": frame["conversation_id"], "messages": [frames.message(m) for m in found],
            "more": len(found) == page}


def _set_status(deps: Deps, who: Principal, connection_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    return {"agent": frames.agent(agents.set_status(deps, who, frame.get("status")))}


ACTIONS: dict[str, Handler] = {
    "start_conversation": _start,
    "send_message": _send,
    "sync": _sync,
    "set_status": _set_status,
}


def handle(deps: Deps, principal: Principal, connection_id: str, body: str | None) -> dict[str, Any]:
    """The frame to send back to the caller's connection: an ack, a pong or an error (with the request's id)."""
    request_id: str | int | None = None
    try:
        frame = _parse(body)
        raw_id = frame.get("id")
        if raw_id is not None:
            if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool) or len(str(raw_id)) > MAX_ID_CHARS:
                raise InvalidInput("'id' must be a short string or number", field="id")
            request_id = raw_id
        action = frame.get("action")
        if action == "ping":
            return {"type": "pong", "id": request_id}
        if action is None or action == "":
            raise MissingField("action")
        if not isinstance(action, str):
            raise _UnknownAction("'action' must be a string", field="action")
        handler = ACTIONS.get(action)
        if handler is None:
            raise _UnknownAction(f"unknown action '{action}'", field="action")
        result = handler(deps, principal, connection_id, frame)
        return {"type": "ack", "id": request_id, "action": action, **result}
    except DomainError as exc:
        return error_frame(exc, request_id)


def error_frame(exc: DomainError, request_id: str | int | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if request_id is not None:
        frame["id"] = request_id
    if exc.field:
        frame["field"] = exc.field
    return frame


class _UnknownAction(DomainError):
    code = "unknown_action"


class _InvalidJson(DomainError):
    code = "invalid_json"


def _parse(body: str | None) -> dict[str, Any]:
    try:
        frame = json.loads(body or "")
    except ValueError as exc:
        raise _InvalidJson("the frame is not valid JSON") from exc
    if not isinstance(frame, dict):
        raise _InvalidJson("the frame must be a JSON object")
    return frame


def principal_from_authorizer(context: dict[str, Any]) -> Principal:
    """Rebuild the caller from the context the $connect authorizer returned (API Gateway keeps it per connection)."""
    roles = frozenset(Role(r) for r in str(context.get("roles", "")).split(",") if r in Role._value2member_map_)
    return Principal(
        tenant=str(context["tenant"]),
        id=str(context.get("principal_id") or context["principalId"]),
        kind=PrincipalKind(str(context["kind"])),
        name=str(context.get("name", "")),
        roles=roles,
    )


def authorizer_context(principal: Principal) -> dict[str, str]:
    return {
        "tenant": principal.tenant,
        "principal_id": principal.id,
        "kind": principal.kind.value,
        "name": principal.name,
        "roles": ",".join(sorted(r.value for r in principal.roles)),
    }
