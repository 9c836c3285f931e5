"""An agent's answer to an offer: accept, reject, or let the acceptance interval run out (CHAT-7)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import Agent, Conversation, ConversationStatus, Principal, PrincipalKind
from chalicelib.ports import AssignmentLost, Deps
from chalicelib.services import (
    agents,
    board,
    call_attempts,
    fanout,
    frames,
    queue_position,
    routing,
    tenants,
)


def accept(deps: Deps, agent: Principal, conversation_id: object, offer_id: object, *,
           on_phone: bool = False) -> Conversation:
    """`on_phone`: the agent's phone answered a call's offer (services/call_flow.py). A call's offer accepted on the
    desk goes on as answering does (services/softphone.py, CB-6)."""
    profile = agents.profile(deps, agent)
    conversation, offer = _pending(deps, agent, conversation_id, offer_id)
    _still_open(deps, conversation)
    on_desk = call_attempts.is_call(conversation) and not on_phone
    if on_desk:
        from chalicelib.services import softphone  # the calls' modules: loaded with the first call, not at import

        softphone.check_accept(deps, conversation)
    connections = deps.connections.of(agent)
    try:
        deps.assignments.accept(conversation, profile, offer, connections, deps.clock.now())
    except AssignmentLost as lost:
        raise Conflict("this offer is no longer valid", field="offer_id") from lost
    deps.metrics.count("Accepts")
    board.changed(deps, agent.tenant)
    assigned = conversation.assigned_to(profile)
    assigned = replace(assigned, connections=conversation.connections | set(connections))
    view = deps.conversations.view_for_send(agent.tenant, conversation.id, None)
    newest = sorted(view.recent, key=lambda m: m.seq) if view else []
    frame: dict[str, Any] = {"type": "conversation.assigned",
                             "conversation": frames.conversation(assigned, newest[-1].seq if newest else 0)}
    frame["messages"] = frames.messages_that_fit(frame, [frames.message(m) for m in newest], newest=True)
    fanout.to_connections(deps, connections, frame)
    fanout.to_connections(deps, sorted(conversation.connections),
                          {"type": "conversation.updated", "conversation": frames.for_visitor(assigned)})
    # Every open desk of the agent shows the same load. Accepting leaves it as it was (the offer's slot becomes the
    # chat's), so the profile read above is current: no second read.
    fanout.to_connections(deps, connections, {"type": "agent.status", "agent": frames.agent(profile)})
    if on_desk:
        from chalicelib.services import softphone

        softphone.accepted(deps, agent, assigned)
    return assigned


def reject(deps: Deps, agent: Principal, conversation_id: object, offer_id: object) -> Agent:
    """Refused when the tenant removed the right to reject. The agent goes Away and the chat to the next agent."""
    if not tenants.settings_of(deps, agent.tenant).reject_allowed:
        raise Forbidden("rejecting offers is disabled for this tenant", field="offer_id")
    profile = agents.profile(deps, agent)
    conversation, offer = _pending(deps, agent, conversation_id, offer_id)
    return _withdraw(deps, conversation, profile, offer, "rejected")


def expired(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer: withdraw the offer if it is still pending; True when it did."""
    conversation = deps.conversations.get(tenant, str(payload.get("conversation_id", "")))
    if conversation is None or conversation.status is not ConversationStatus.OFFERED or conversation.offer is None:
        return False
    if conversation.offer.id != payload.get("offer_id"):
        return False
    profile = deps.agents.get(tenant, conversation.offer.agent_id)
    if profile is None:
        return False
    try:
        _withdraw(deps, conversation, profile, conversation.offer.id, "timeout")
    except Conflict:
        return False  # accepted or rejected meanwhile
    deps.metrics.count("OfferTimeouts")
    return True


def withdraw_call(deps: Deps, conversation: Conversation, agent_id: str, reason: str) -> bool:
    """A callback's offer whose phone hung up unanswered (CB-6): like an offer that timed out, the agent goes Away and
    the call goes to the next agent. False if the offer was no longer pending."""
    offer = conversation.offer
    if conversation.status is not ConversationStatus.OFFERED or offer is None or offer.agent_id != agent_id:
        return False
    profile = deps.agents.get(conversation.tenant, agent_id)
    if profile is None:
        return False
    try:
        _withdraw(deps, conversation, profile, offer.id, reason)
    except Conflict:
        return False
    return True


def _withdraw(deps: Deps, conversation: Conversation, agent: Agent, offer_id: str, reason: str) -> Agent:
    try:
        deps.assignments.withdraw(conversation, agent, offer_id, set_away=True, now=deps.clock.now())
    except AssignmentLost as lost:
        raise Conflict("this offer is no longer valid", field="offer_id") from lost
    board.changed(deps, agent.tenant)
    if call_attempts.is_call(conversation):
        call_attempts.on_withdrawn(deps, conversation, agent.id)  # the agent's phone stops ringing
    principal = Principal(tenant=agent.tenant, id=agent.id, kind=PrincipalKind.AGENT)
    away = deps.agents.get(agent.tenant, agent.id) or agent
    connections = deps.connections.of(principal)
    fanout.to_connections(deps, connections, {"type": "offer.withdrawn", "conversation_id": conversation.id,
                                              "offer_id": offer_id, "reason": reason})
    fanout.to_connections(deps, connections, {"type": "agent.status", "agent": frames.agent(away)})
    back = deps.conversations.get(conversation.tenant, conversation.id)
    waiting_again = back is not None and back.status is ConversationStatus.WAITING
    if back is not None and waiting_again and routing.serve_group(deps, back) is None:
        queue_position.announce(deps, back.tenant, back.queue)  # it waits again, at its original place
    return away


def _pending(deps: Deps, agent: Principal, conversation_id: object, offer_id: object) -> tuple[Conversation, str]:
    for name, value in (("conversation_id", conversation_id), ("offer_id", offer_id)):
        if value is None or value == "":
            raise MissingField(name)
        if not isinstance(value, str):
            raise InvalidInput(f"'{name}' must be a string", field=name)
    conversation = deps.conversations.get(agent.tenant, str(conversation_id))
    if conversation is None or conversation.offer is None or conversation.offer.agent_id != agent.id:
        raise NotFound("no such offer for you", field="conversation_id")
    if conversation.offer.id != offer_id:
        raise Conflict("this offer is no longer valid", field="offer_id")
    return conversation, conversation.offer.id


def _still_open(deps: Deps, conversation: Conversation) -> None:
    if conversation.offer is not None and conversation.offer.expires_at <= deps.clock.now():
        raise Conflict("this offer has expired", field="offer_id")
