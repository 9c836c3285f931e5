"""The WebSocket protocol: client frames in, acks and error frames out.

A client frame is ``{"action": ..., "id": ...optional, ...}``. Every request with an id is answered with
``{"type": "ack", "id", "action", ...}`` or ``{"type": "error", "id", "code", "message", "field"?}``; a bad frame
never closes the connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import boundary
from chalicelib.domain.errors import DomainError, InvalidInput, MissingField, RateLimited
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import (
    agents,
    board,
    call_controls,
    conversations,
    follow_up,
    frames,
    holding,
    offers,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.boundary import frames as f

MAX_ID_CHARS = 64


@dataclass(frozen=True)
class Caller:
    principal: Principal
    connection_id: str
    source_ip: str = ""


def _start(deps: Deps, caller: Caller, frame: f.StartConversation) -> dict[str, Any]:
    request = conversations.ChatRequest(
        page=frame.page.model_dump() if frame.page else None, custom=frame.custom, visitor_name=frame.visitor_name,
        visitor_email=frame.visitor_email, identity=frame.identity.model_dump() if frame.identity else None,
        message=frame.message.model_dump() if frame.message else None, ip=caller.source_ip, queue=frame.queue,
        skill=frame.skill.model_dump() if frame.skill else None, consent=frame.consent)
    conversation = conversations.start_conversation(deps, caller.principal, caller.connection_id, request)
    answer: dict[str, Any] = {"conversation": frames.for_visitor(conversation)}
    place = conversations.position(deps, conversation)
    if place is not None:
        answer["position"] = place
    return answer


def _send(deps: Deps, caller: Caller, frame: f.SendMessage) -> dict[str, Any]:
    message = conversations.send_message(deps, caller.principal, caller.connection_id, frame.conversation_id,
                                         frame.client_message_id, frame.text, frame.after_seq)
    return {"message": frames.message(message)}


def _sync(deps: Deps, caller: Caller, frame: f.Sync) -> dict[str, Any]:
    page = conversations.PUSH_PAGE
    found = conversations.history(deps, caller.principal, frame.conversation_id, frame.after_seq, frame.limit,
                                  max_page=page)
    answer = {"conversation_id": frame.conversation_id, "more": True}
    messages = frames.messages_that_fit(answer, [frames.message(m) for m in found], newest=False)
    return {**answer, "messages": messages, "more": len(found) == page or len(messages) < len(found)}


def _set_status(deps: Deps, caller: Caller, frame: f.SetStatus) -> dict[str, Any]:
    return {"agent": frames.agent(agents.set_status(deps, caller.principal, frame.status))}


def _switch_queue(deps: Deps, caller: Caller, frame: f.SwitchQueue) -> dict[str, Any]:
    return {"agent": frames.agent(agents.switch_queue(deps, caller.principal, frame.queue, frame.on))}


def _accept(deps: Deps, caller: Caller, frame: f.Offer) -> dict[str, Any]:
    from chalicelib.services import call_transfers  # loaded with the first call's frame

    accepted = call_transfers.accept_on_desk(deps, caller.principal, frame.conversation_id, frame.offer_id) or \
        offers.accept(deps, caller.principal, frame.conversation_id, frame.offer_id)  # a transferred call, or any
    return {"conversation": frames.conversation(accepted)}


def _reject(deps: Deps, caller: Caller, frame: f.Offer) -> dict[str, Any]:
    from chalicelib.services import call_transfers  # loaded with the first call's frame

    refused = call_transfers.refuse(deps, caller.principal, frame.conversation_id, frame.offer_id)
    if refused is not None:  # an offered transfer of a call (issue 14)
        return refused
    return {"agent": frames.agent(offers.reject(deps, caller.principal, frame.conversation_id, frame.offer_id))}


def _close(deps: Deps, caller: Caller, frame: f.CloseConversation) -> dict[str, Any]:
    closed = conversations.close_conversation(deps, caller.principal, frame.conversation_id, frame.disposition,
                                              frame.notes, frame.saved_as, frame.contact_id)
    return {"conversation": frames.conversation(closed)}


def _typing(deps: Deps, caller: Caller, frame: f.Typing) -> dict[str, Any]:
    conversations.typing(deps, caller.principal, caller.connection_id, frame.conversation_id, frame.typing)
    return {}


def _snooze(deps: Deps, caller: Caller, frame: f.Snooze) -> dict[str, Any]:
    snoozed = holding.snooze(deps, caller.principal, frame.conversation_id, frame.duration, frame.until, frame.keep)
    return {"conversation": frames.conversation(snoozed)}


def _transfer(deps: Deps, caller: Caller, frame: f.Transfer) -> dict[str, Any]:
    moved = holding.transfer(deps, caller.principal, frame.conversation_id, frame.to_agent, frame.to_queue)
    return {"conversation": frames.conversation(moved)}


def _block(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    return {"conversation": frames.conversation(holding.block(deps, caller.principal, frame.conversation_id))}


def _set_notification(deps: Deps, caller: Caller, frame: f.SetNotification) -> dict[str, Any]:
    given = frame.model_fields_set
    chosen = follow_up.set_notification(deps, caller.principal, frame.conversation_id,
                                        frame.email if "email" in given else follow_up.KEEP,
                                        frame.enabled if "enabled" in given else follow_up.KEEP)
    return {"notification": follow_up.notification_frame(chosen)}


def _page(deps: Deps, caller: Caller, frame: f.PageChanged) -> dict[str, Any]:
    page = follow_up.update_page(deps, caller.principal, frame.conversation_id, frame.page.model_dump())
    return {"page": {"url": page.url, "title": page.title}}


def _read(deps: Deps, caller: Caller, frame: f.Read) -> dict[str, Any]:
    return {"seq": follow_up.mark_read(deps, caller.principal, frame.conversation_id, frame.seq)}


def _hold(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    return {"callback": call_controls.hold_call(deps, caller.principal, frame.conversation_id)}


def _resume(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    return {"callback": call_controls.resume_call(deps, caller.principal, frame.conversation_id)}


def _transfer_call(deps: Deps, caller: Caller, frame: f.TransferCall) -> dict[str, Any]:
    from chalicelib.services import call_transfers  # loaded with the first call's frame

    if (frame.to_queue is None) == (frame.to_agent is None):
        raise InvalidInput("give either 'to_queue' or 'to_agent'", field="to_agent")
    if frame.to_agent is not None:
        return {"callback": call_transfers.transfer_to_agent(deps, caller.principal, frame.conversation_id,
                                                             frame.to_agent)}
    return {"callback": call_controls.transfer_to_queue(deps, caller.principal, frame.conversation_id,
                                                        str(frame.to_queue))}


def _requalify_call(deps: Deps, caller: Caller, frame: f.RequalifyCall) -> dict[str, Any]:
    from chalicelib.services import call_transfers  # loaded with the first call's frame

    return {"callback": call_transfers.requalify(deps, caller.principal, frame.conversation_id, frame.to_queue,
                                                 frame.note)}


def _start_recording(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    from chalicelib.services import call_recording  # loaded with the first call's frame

    return {"callback": call_recording.start(deps, caller.principal, frame.conversation_id)}


def _pause_recording(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    from chalicelib.services import call_recording  # loaded with the first call's frame

    return {"callback": call_recording.pause(deps, caller.principal, frame.conversation_id)}


def _resume_recording(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    from chalicelib.services import call_recording  # loaded with the first call's frame

    return {"callback": call_recording.resume(deps, caller.principal, frame.conversation_id)}


def _join_call(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    from chalicelib.services import softphone  # loaded with the first call's frame

    return softphone.join_call(deps, caller.principal, frame.conversation_id)


def _set_answer_calls(deps: Deps, caller: Caller, frame: f.SetAnswerCalls) -> dict[str, Any]:
    from chalicelib.services import softphone  # loaded with the first call's frame

    return {"agent": frames.agent(softphone.set_answer_calls(deps, caller.principal, frame.answer_calls))}


def _consult(deps: Deps, caller: Caller, frame: f.ConsultCall) -> dict[str, Any]:
    from chalicelib.services import call_consult  # loaded with the first call's frame

    return {"callback": call_consult.consult(deps, caller.principal, frame.conversation_id, to_agent=frame.to_agent,
                                             to_number=frame.to_number)}


def _end_consult(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    from chalicelib.services import call_consult  # loaded with the first call's frame

    return {"callback": call_consult.end_consult(deps, caller.principal, frame.conversation_id)}


def _conference(deps: Deps, caller: Caller, frame: f.OnConversation) -> dict[str, Any]:
    from chalicelib.services import call_consult  # loaded with the first call's frame

    return {"callback": call_consult.conference(deps, caller.principal, frame.conversation_id)}


def _transfer_out(deps: Deps, caller: Caller, frame: f.TransferOut) -> dict[str, Any]:
    from chalicelib.services import call_consult  # loaded with the first call's frame

    return {"callback": call_consult.transfer_out(deps, caller.principal, frame.conversation_id, frame.to_number)}


def _watch_board(deps: Deps, caller: Caller, frame: f.WatchBoard) -> dict[str, Any]:
    return {"board": board.watch(deps, caller.principal, caller.connection_id)}


def _unwatch_board(deps: Deps, caller: Caller, frame: f.WatchBoard) -> dict[str, Any]:
    board.unwatch(deps, caller.principal, caller.connection_id)
    return {}


def _set_agent_status(deps: Deps, caller: Caller, frame: f.SetAgentStatus) -> dict[str, Any]:
    return {"agent": frames.agent(board.force_status(deps, caller.principal, frame.agent_id, frame.status))}


#: action -> (the name of its model in boundary/frames.py, its handler)
ACTIONS: dict[str, tuple[str, Callable[[Deps, Caller, Any], dict[str, Any]]]] = {
    "start_conversation": ("StartConversation", _start),
    "send_message": ("SendMessage", _send),
    "sync": ("Sync", _sync),
    "set_status": ("SetStatus", _set_status),
    "switch_queue": ("SwitchQueue", _switch_queue),
    "accept_offer": ("Offer", _accept),
    "reject_offer": ("Offer", _reject),
    "close_conversation": ("CloseConversation", _close),
    "typing": ("Typing", _typing),
    "snooze": ("Snooze", _snooze),
    "transfer": ("Transfer", _transfer),
    "block_visitor": ("OnConversation", _block),
    "set_notification": ("SetNotification", _set_notification),
    "page": ("PageChanged", _page),
    "read": ("Read", _read),
    "hold_call": ("OnConversation", _hold),
    "resume_call": ("OnConversation", _resume),
    "transfer_call": ("TransferCall", _transfer_call),
    "start_recording": ("OnConversation", _start_recording),
    "pause_recording": ("OnConversation", _pause_recording),
    "resume_recording": ("OnConversation", _resume_recording),
    "join_call": ("OnConversation", _join_call),
    "set_answer_calls": ("SetAnswerCalls", _set_answer_calls),
    "consult_call": ("ConsultCall", _consult),
    "end_consult": ("OnConversation", _end_consult),
    "conference_call": ("OnConversation", _conference),
    "transfer_out": ("TransferOut", _transfer_out),
    "requalify_call": ("RequalifyCall", _requalify_call),
    "watch_board": ("WatchBoard", _watch_board),
    "unwatch_board": ("WatchBoard", _unwatch_board),
    "set_agent_status": ("SetAgentStatus", _set_agent_status),
}


def handle(deps: Deps, principal: Principal, connection_id: str, body: str | None, source_ip: str = ""
           ) -> dict[str, Any]:
    """The frame to send back to the caller's connection: an ack, a pong or an error (with the request's id)."""
    request_id: str | int | None = None
    try:
        frame = _parse(body)
        raw_id = frame.get("id")
        if raw_id is not None:
            if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool) or len(str(raw_id)) > MAX_ID_CHARS or (
                    isinstance(raw_id, str) and not boundary.is_unicode(raw_id)):
                raise InvalidInput("'id' must be a short string or number", field="id")
            request_id = raw_id
        boundary.check_tree(frame, "frame")  # nesting and Unicode, with the id known so that an error echoes it
        action = frame.get("action")
        if action == "ping":
            return {"type": "pong", "id": request_id}
        if action is None or action == "":
            raise MissingField("action")
        if not isinstance(action, str):
            raise _UnknownAction("'action' must be a string", field="action")
        known = ACTIONS.get(action)
        if known is None:
            raise _UnknownAction(f"unknown action '{action[:40]}'", field="action")
        model_name, handler = known
        result = handler(deps, Caller(principal, connection_id, source_ip), _validated(model_name, frame))
        return {"type": "ack", "id": request_id, "action": action, **result}
    except DomainError as exc:
        return error_frame(exc, request_id)


def _validated(model_name: str, frame: dict[str, Any]) -> BaseModel:
    from chalicelib.boundary import frames as models  # pydantic: loaded on the first frame, not at a cold import

    model: type[BaseModel] = getattr(models, model_name)
    return boundary.validate(model, frame, "frame")


def error_frame(exc: DomainError, request_id: str | int | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if request_id is not None:
        frame["id"] = request_id
    if exc.field:
        frame["field"] = exc.field
    if isinstance(exc, RateLimited):
        frame["retry_after"] = exc.retry_after
    return frame


class _UnknownAction(DomainError):
    code = "unknown_action"


def _parse(body: str | None) -> dict[str, Any]:
    frame = boundary.load_json(body, limit=boundary.MAX_FRAME_BYTES, what="frame", check=False)
    if not isinstance(frame, dict):
        raise boundary.InvalidJson("the frame must be a JSON object")
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
