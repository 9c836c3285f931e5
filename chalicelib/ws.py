"""The WebSocket protocol: client frames in, acks and error frames out.

A client frame is ``{"action": ..., "id": ...optional, ...}``. Every request with an id is answered with
``{"type": "ack", "id", "action", ...}`` or ``{"type": "error", "id", "code", "message", "field"?}``; a bad frame
never closes the connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import DomainError, InvalidInput, MissingField
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import agents, conversations, follow_up, frames, holding, offers

MAX_ID_CHARS = 64

@dataclass(frozen=True)
class Caller:
    principal: Principal
    connection_id: str
    source_ip: str = ""


Handler = Callable[[Deps, Caller, dict[str, Any]], dict[str, Any]]


def _start(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    request = conversations.ChatRequest(page=frame.get("page"), custom=frame.get("custom"),
                                        visitor_name=frame.get("visitor_name"),
                                        visitor_email=frame.get("visitor_email"), identity=frame.get("identity"),
                                        message=frame.get("message"), ip=caller.source_ip,
                                        queue=frame.get("queue"), skill=frame.get("skill"),
                                        consent=frame.get("consent"))
    conversation = conversations.start_conversation(deps, caller.principal, caller.connection_id, request)
    answer: dict[str, Any] = {"conversation": frames.for_visitor(conversation)}
    place = conversations.position(deps, conversation)
    if place is not None:
        answer["position"] = place
    return answer


def _send(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    message = conversations.send_message(
        deps, caller.principal, caller.connection_id, frame.get("conversation_id"), frame.get("client_message_id"),
        frame.get("text"), frame.get("after_seq"),
    )
    return {"message": frames.message(message)}


def _sync(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    page = conversations.PUSH_PAGE
    found = conversations.history(deps, caller.principal, frame.get("conversation_id"), frame.get("after_seq"),
                                  frame.get("limit"), max_page=page)
    return {"conversation_id": frame["conversation_id"], "messages": [frames.message(m) for m in found],
            "more": len(found) == page}


def _set_status(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    return {"agent": frames.agent(agents.set_status(deps, caller.principal, frame.get("status")))}


def _switch_queue(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    return {"agent": frames.agent(agents.switch_queue(deps, caller.principal, frame.get("queue"), frame.get("on")))}


def _accept(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    accepted = offers.accept(deps, caller.principal, frame.get("conversation_id"), frame.get("offer_id"))
    return {"conversation": frames.conversation(accepted)}


def _reject(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    return {"agent": frames.agent(offers.reject(deps, caller.principal, frame.get("conversation_id"),
                                                frame.get("offer_id")))}


def _close(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    closed = conversations.close_conversation(deps, caller.principal, frame.get("conversation_id"),
                                              frame.get("disposition"), frame.get("notes"), frame.get("saved_as"),
                                              frame.get("contact_id"))
    return {"conversation": frames.conversation(closed)}


def _typing(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    conversations.typing(deps, caller.principal, caller.connection_id, frame.get("conversation_id"),
                         frame.get("typing"))
    return {}


def _snooze(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    snoozed = holding.snooze(deps, caller.principal, frame.get("conversation_id"), frame.get("duration"),
                             frame.get("until"), frame.get("keep", True))
    return {"conversation": frames.conversation(snoozed)}


def _transfer(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    moved = holding.transfer(deps, caller.principal, frame.get("conversation_id"), frame.get("to_agent"),
                             frame.get("to_queue"))
    return {"conversation": frames.conversation(moved)}


def _block(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    return {"conversation": frames.conversation(holding.block(deps, caller.principal, frame.get("conversation_id")))}


def _set_notification(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    chosen = follow_up.set_notification(deps, caller.principal, frame.get("conversation_id"),
                                        frame.get("email", follow_up.KEEP), frame.get("enabled", follow_up.KEEP))
    return {"notification": follow_up.notification_frame(chosen)}


def _page(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    page = follow_up.update_page(deps, caller.principal, frame.get("conversation_id"), frame.get("page"))
    return {"page": {"url": page.url, "title": page.title}}


def _read(deps: Deps, caller: Caller, frame: dict[str, Any]) -> dict[str, Any]:
    return {"seq": follow_up.mark_read(deps, caller.principal, frame.get("conversation_id"), frame.get("seq"))}


ACTIONS: dict[str, Handler] = {
    "start_conversation": _start,
    "send_message": _send,
    "sync": _sync,
    "set_status": _set_status,
    "switch_queue": _switch_queue,
    "accept_offer": _accept,
    "reject_offer": _reject,
    "close_conversation": _close,
    "typing": _typing,
    "snooze": _snooze,
    "transfer": _transfer,
    "block_visitor": _block,
    "set_notification": _set_notification,
    "page": _page,
    "read": _read,
}


def handle(deps: Deps, principal: Principal, connection_id: str, body: str | None, source_ip: str = ""
           ) -> dict[str, Any]:
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
        result = handler(deps, Caller(principal, connection_id, source_ip), frame)
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
