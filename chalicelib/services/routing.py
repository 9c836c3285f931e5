"""Offering waiting conversations to Available agents.

This first rule offers a conversation to the Available agent of its queue who has waited longest since their
last assignment (CHAT-6), and an agent who frees capacity pulls the oldest waiting conversation. The routing engine
(skills, rules, thresholds) replaces the choice later; what stays is that every offer is one conditional
transaction, a lost race moves on to the next candidate, and an offer not accepted in time is withdrawn by a timer.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.model import Agent, Conversation, ConversationStatus, Offer, Principal, PrincipalKind
from chalicelib.ports import AssignmentLost, Deps, Timer
from chalicelib.services import contacts, fanout, frames, queue_position, tenants

CANDIDATES_PER_DECISION = 5
OFFER_EXPIRED = "offer.expired"


def route_conversation(deps: Deps, conversation: Conversation) -> Conversation | None:
    """Offer a waiting conversation to the longest-idle Available agent; None if nobody can take it now."""
    candidate_ids = deps.agents.longest_idle_available(conversation.tenant, conversation.queue, CANDIDATES_PER_DECISION)
    for agent_id in candidate_ids:
        agent = deps.agents.get(conversation.tenant, agent_id)
        if agent is None or not agent.can_take_chat:
            continue  # the index lags behind the agent's item
        try:
            return _offer(deps, conversation, agent)
        except AssignmentLost as lost:
            if lost.reason == "conversation_taken":
                return None
    return None


def pull_waiting(deps: Deps, agent: Agent) -> list[Conversation]:
    """An agent with free capacity is offered the oldest waiting conversations of their queues (invariant 7)."""
    offered: list[Conversation] = []
    for queue in agent.active_queues:
        for _ in range(agent.capacity * 2):  # bounded: each turn offers one or loses one race
            if not agent.can_take_chat:
                break
            conversation = _oldest_waiting(deps, agent.tenant, queue)
            if conversation is None:
                break
            try:
                offered.append(_offer(deps, conversation, agent))
            except AssignmentLost as lost:
                if lost.reason != "conversation_taken":
                    break  # the agent changed under us (status, load): stop pulling for them
            refreshed = deps.agents.get(agent.tenant, agent.id)
            if refreshed is None:
                break
            agent = refreshed
    for queue in {c.queue for c in offered}:
        queue_position.announce(deps, agent.tenant, queue)  # everyone behind moved up
    return offered


def _oldest_waiting(deps: Deps, tenant: str, queue: str) -> Conversation | None:
    for conversation_id in deps.conversations.oldest_waiting(tenant, queue, CANDIDATES_PER_DECISION):
        conversation = deps.conversations.get(tenant, conversation_id)
        if conversation is not None and conversation.status is ConversationStatus.WAITING:
            return conversation
    return None


def _offer(deps: Deps, conversation: Conversation, agent: Agent) -> Conversation:
    settings = tenants.settings_of(deps, conversation.tenant)
    now = deps.clock.now()
    expires_at = now + timedelta(seconds=settings.acceptance_seconds)
    offer = Offer(id=deps.ids.new_id(), agent_id=agent.id, expires_at=expires_at)
    deps.assignments.offer(conversation, agent, offer, now)
    offered = conversation.offered_to(agent, offer)
    # Withdrawn server-side even if the desk is closed (CHAT-7); the timer names the offer, so a late or
    # duplicate delivery after an accept or a reject finds nothing to do.
    deps.timers.arm(Timer(kind=OFFER_EXPIRED, tenant=conversation.tenant,
                          payload={"conversation_id": conversation.id, "offer_id": offer.id}), offer.expires_at, now)
    view = deps.conversations.view_for_send(conversation.tenant, conversation.id, None)
    newest = sorted(view.recent, key=lambda m: m.seq) if view else []
    principal = Principal(tenant=agent.tenant, id=agent.id, kind=PrincipalKind.AGENT)
    fanout.to_connections(deps, deps.connections.of(principal), {
        "type": "offer",
        "offer": frames.offer(offered, settings.reject_allowed),
        "conversation": frames.conversation(offered, newest[-1].seq if newest else 0),
        "messages": [frames.message(m) for m in newest],
        "contact": contacts.card_for(deps, offered),  # the customer's record pops up (CHAT-8); None if new
    })
    return offered
