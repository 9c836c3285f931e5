"""Giving waiting conversations to Available agents.

This first rule serves the longest-idle Available agent of the conversation's queue, and when an agent frees up it
pulls the oldest waiting conversation. The routing engine (skills, rules, thresholds) replaces it later; what stays
is that every assignment is one conditional transaction and a lost race moves on to the next candidate.
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.model import Agent, Conversation, ConversationStatus, Principal, PrincipalKind
from chalicelib.ports import AssignmentLost, Deps
from chalicelib.services import fanout, frames

CANDIDATES_PER_DECISION = 5


def route_conversation(deps: Deps, conversation: Conversation) -> Conversation | None:
    """Assign a waiting conversation to the longest-idle Available agent; None if nobody can take it now."""
    candidate_ids = deps.agents.longest_idle_available(conversation.tenant, conversation.queue, CANDIDATES_PER_DECISION)
    for agent_id in candidate_ids:
        agent = deps.agents.get(conversation.tenant, agent_id)
        if agent is None or not agent.can_take_chat:
            continue  # the index lags behind the agent's item
        try:
            return _assign(deps, conversation, agent)
        except AssignmentLost as lost:
            if lost.reason == "conversation_taken":
                return None
    return None


def pull_waiting(deps: Deps, agent: Agent) -> list[Conversation]:
    """An agent with free capacity takes the oldest waiting conversations of their queues (invariant 7)."""
    taken: list[Conversation] = []
    for queue in agent.queues:
        for _ in range(agent.capacity * 2):  # bounded: each turn assigns one or loses one race
            if not agent.can_take_chat:
                break
            conversation = _oldest_waiting(deps, agent.tenant, queue)
            if conversation is None:
                break
            try:
                taken.append(_assign(deps, conversation, agent))
            except AssignmentLost as lost:
                if lost.reason != "conversation_taken":
                    return taken  # the agent changed under us (status, capacity): stop pulling for them
            refreshed = deps.agents.get(agent.tenant, agent.id)
            if refreshed is None:
                return taken
            agent = refreshed
    return taken


def _oldest_waiting(deps: Deps, tenant: str, queue: str) -> Conversation | None:
    for conversation_id in deps.conversations.oldest_waiting(tenant, queue, CANDIDATES_PER_DECISION):
        conversation = deps.conversations.get(tenant, conversation_id)
        if conversation is not None and conversation.status is ConversationStatus.WAITING:
            return conversation
    return None


def _assign(deps: Deps, conversation: Conversation, agent: Agent) -> Conversation:
    principal = Principal(tenant=agent.tenant, id=agent.id, kind=PrincipalKind.AGENT, name=agent.name)
    agent_connections = deps.connections.of(principal)
    deps.assignments.assign(conversation, agent, agent_connections, deps.clock.now())
    assigned = replace(
        conversation.assigned_to(agent), connections=conversation.connections | frozenset(agent_connections)
    )
    # The newest messages only, so the frame stays far below API Gateway's 128 KB; the desk pages back via REST.
    view = deps.conversations.view_for_send(agent.tenant, conversation.id, None)
    newest = sorted(view.recent, key=lambda m: m.seq) if view else []
    fanout.to_connections(
        deps,
        sorted(agent_connections),
        {
            "type": "conversation.assigned",
            "conversation": frames.conversation(assigned, newest[-1].seq if newest else 0),
            "messages": [frames.message(m) for m in newest],
        },
    )
    fanout.to_connections(
        deps,
        sorted(conversation.connections),
        {"type": "conversation.updated", "conversation": frames.conversation(assigned)},
    )
    return assigned
