"""The routing engine (ROUTE-1 to ROUTE-7, CHAT-12): where a new conversation goes, and what an agent who frees
capacity gets next.

The policy is pure (domain/routing/). This module reads what one decision needs from the routing index (group
counters, the heads of a few sorted ready lists and queues), so a decision costs the same whatever the number of
agents, and makes each assignment one conditional transaction; a lost race moves on to the next candidate.

Both directions follow one rule, so that no conversation waits while an agent who could take it is idle: publish,
then look. A conversation enters its group's queue, then looks for ready agents; an agent enters the ready lists in
the transaction that frees them, then pulls from their groups' queues. Whichever comes second sees the other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import opening_hours
from chalicelib.domain.errors import InvalidInput, NotFound, Unavailable
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    Offer,
    Principal,
    PrincipalKind,
)
from chalicelib.domain.routing import (
    Channel,
    Group,
    GroupState,
    Medium,
    Route,
    RoutingConfig,
    RoutingContext,
    can_take,
    conversation_list,
    conversation_need,
    eligible,
    next_for,
    parse_queue_list,
    place,
    route_for,
    routing_view,
    skill_need_from_json,
)
from chalicelib.ports import AssignmentLost, ConversationView, Deps, GroupCount, Timer
from chalicelib.services import board, contacts, fanout, frames, queue_position, tenants

CANDIDATES = 3  # agents tried per decision; each lost race moves to the next
SERVE_ROUNDS = 5  # rounds of ready agents pulling for a newly queued conversation (each round offers something)
OFFER_EXPIRED = "offer.expired"
_AGENT_LOST = ("agent_unavailable", "agent_changed", "already_linked", "transaction_conflict")


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str | None = None  # "closed", "no_rule" or "full" when not available
    #: The rule lets conversations wait in a group: the visitor may leave a message and be answered later.
    asynchronous: bool = False
    #: Outside the tenant's opening hours (issue 16), and when they open next (None: not within a year). An
    #: asynchronous rule still takes messages then, so `closed` may come with `available`.
    closed: bool = False
    next_opening: datetime | None = None


def route_of(config: RoutingConfig, context: RoutingContext) -> Route:
    """The rule a new conversation follows; Unavailable when no rule takes it."""
    route = route_for(config, context)
    if route is None or not route.groups:
        raise Unavailable("no agent can take this conversation", field="queue")
    return route


def availability_context(deps: Deps, tenant_id: str, *, url: str, queue: str, custom: dict[str, str],
                         skill: str | None, level: int) -> RoutingContext:
    """What the availability check weighs (the boundary checked each value's type and size): NotFound for an unknown
    tenant, InvalidInput (`skill`) for a skill the tenant does not have."""
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    need = None
    if skill:
        try:
            need = skill_need_from_json({"skill": skill, "min_level": level}, "skill", tenant.routing.skills)
        except InvalidInput as bad:
            raise InvalidInput(bad.message, field="skill") from bad
    return RoutingContext(queue=queue or "default", channel=Channel.CHAT, url=url, custom=custom, skill=need)


def availability(deps: Deps, tenant_id: str, context: RoutingContext) -> Availability:
    """Whether a new visitor would be engaged now (the widget asks before showing chat): one counter read and the
    head of each group's ready list."""
    route = route_for(tenants.routing_of(deps, tenant_id), context)
    hours = tenants.settings_of(deps, tenant_id).hours
    now = deps.clock.now()
    closed = not opening_hours.is_open(hours, now)
    opens = opening_hours.next_opening(hours, now) if closed else None
    waits = route is not None and any(group.threshold >= 1 for group in route.groups)
    if closed and not waits:
        return Availability(False, "closed", False, closed, opens)
    if route is None or not route.groups:
        return Availability(False, "no_rule")
    states, _, _ = _states(deps, tenant_id, route, _medium_of(context))
    if place(route, states) is None:
        return Availability(False, "full", waits, closed, opens)
    return Availability(True, None, waits, closed, opens)


def check_open(hours: opening_hours.OpeningHours, route: Route, now: datetime) -> None:
    """A live chat is refused outside the tenant's opening hours (Unavailable, field `hours`), before anything is
    stored; a rule whose conversations may wait (asynchronous) still takes messages then, answered when agents are
    back."""
    if any(group.threshold >= 1 for group in route.groups):
        return
    if not opening_hours.is_open(hours, now):
        raise Unavailable("we are closed now; see the opening hours", field="hours")


def admit(deps: Deps, conversation: Conversation, route: Route) -> Conversation:
    """Offer a new conversation now, or queue it in the first group with room (cascade) or the least busy
    (equal distribution); Unavailable when every group of its rule is full (ROUTE-4)."""
    config = tenants.routing_of(deps, conversation.tenant)
    tried: set[str] = set()
    for _ in route.groups:
        open_route = replace(route, groups=tuple(g for g in route.groups if g.id not in tried))
        states, ready, counts = _states(deps, conversation.tenant, open_route, conversation.medium)
        placement = place(open_route, states)
        if placement is None:
            break
        group = config.groups.get(placement.group) or Group(placement.group)
        placed = replace(conversation, queue=group.id)
        if placement.offer_now and not counts[group.id].queues.get(conversation_list(placed)):
            # Nobody of its kind waits in the group: an agent can answer now, the queue is skipped.
            offered = _offer_to_ready(deps, placed, group, ready[group.id])
            if offered is not None:
                return offered
        queued = deps.routing.enqueue(placed, group)
        if queued is not None:
            board.changed(deps, conversation.tenant)
            return serve_group(deps, queued) or queued
        tried.add(group.id)
    raise Unavailable("every group that could take this conversation is full", field="queue")


def serve_group(deps: Deps, conversation: Conversation, exclude: str | None = None) -> Conversation | None:
    """A conversation just entered (or re-entered) its group's queue: the ready agents who could take it pull from
    their queues, oldest first, until it is offered or nobody ready takes anything more. Returns the conversation if
    it was offered. `exclude`: an agent who just let it go (a transfer, a release) and does not pull now."""
    config = tenants.routing_of(deps, conversation.tenant)
    group = config.groups.get(conversation.queue) or Group(conversation.queue)
    channel = Medium(conversation.medium).channel
    need = conversation_need(conversation)
    for _ in range(SERVE_ROUNDS):
        progress = False
        for agent_id in deps.routing.ready(conversation.tenant, group, channel, need, CANDIDATES + 1):
            if agent_id == exclude:
                continue
            agent = deps.agents.get(conversation.tenant, agent_id)
            if agent is None:
                continue
            offered = pull(deps, agent)
            progress = progress or bool(offered)
            for taken in offered:
                if taken.id == conversation.id:
                    return taken
        if not progress:
            return None  # nobody ready could take anything: it waits for the next agent who frees up
    return None


def pull(deps: Deps, agent: Agent, skip: frozenset[str] = frozenset()) -> list[Conversation]:
    """An agent with free capacity takes the next waiting conversations of their groups: an inbound call, then an
    outbound call, then a chat, then an email (CHAT-12); within a medium, priority then arrival (ROUTE-5).
    `skip`: conversations the agent just let go; a queue whose head is one of them gives them nothing now."""
    if agent.status is not AgentStatus.AVAILABLE:
        return []
    offered = _take_reserved(deps, agent) if agent.reserved > 0 else []
    current: Agent | None = deps.agents.get(agent.tenant, agent.id) if offered else agent
    config = tenants.routing_of(deps, agent.tenant)
    groups = [config.groups[g] for g in agent.active_queues if g in config.groups]
    if not groups or current is None:
        return offered
    counts = deps.routing.counts(agent.tenant, groups)
    for _ in range(2 * (agent.capacity + agent.call_capacity + agent.email_capacity) + 2):
        if current is None:
            break
        view = routing_view(current)
        heads = []
        for group in groups:
            for queue, shards in counts[group.id].queues.items():
                medium, need = parse_queue_list(queue)
                if eligible(view, group.id, medium.channel, need):
                    heads.extend(deps.routing.heads(agent.tenant, group.id, queue, shards))
        choice = next_for(view, [head for head in heads if head.conversation_id not in skip])
        if choice is None:
            break
        found = deps.conversations.view_for_send(agent.tenant, choice.conversation_id, None)
        if found is None or found.conversation.status is not ConversationStatus.WAITING:
            continue  # taken meanwhile: the head has moved on
        try:
            offered.append(_offer(deps, found.conversation, current, found))
        except AssignmentLost as lost:
            if lost.reason not in _AGENT_LOST:
                continue  # the conversation was taken by someone else: next head
        current = deps.agents.get(agent.tenant, agent.id)
    for group_id in {c.queue for c in offered}:
        queue_position.announce(deps, agent.tenant, group_id)  # everyone behind moved up
    return offered


def _take_reserved(deps: Deps, agent: Agent) -> list[Conversation]:
    """The conversations waiting for this agent alone (kept after a snooze, transferred to them: ASYNC-13) come
    before their groups' queues, oldest reservation first, as far as their capacity goes."""
    offered: list[Conversation] = []
    current: Agent | None = agent
    waiting = deps.conversations.linked_to_agent(agent.tenant, agent.id, "reserved", agent.capacity + 1)
    for conversation in sorted(waiting, key=lambda c: c.reservation.until if c.reservation else c.created_at):
        if current is None or not can_take(routing_view(current), Medium(conversation.medium).channel):
            break
        if conversation.status is not ConversationStatus.RESERVED or conversation.agent_id != agent.id:
            continue
        try:
            offered.append(_offer(deps, conversation, current))
        except AssignmentLost as lost:
            if lost.reason in _AGENT_LOST:
                break
            continue
        current = deps.agents.get(agent.tenant, agent.id)
    return offered


def _states(deps: Deps, tenant: str, route: Route, medium: str) -> tuple[
        dict[str, GroupState], dict[str, list[str]], dict[str, GroupCount]]:
    """Each group's counters (one read for all) and its best ready agents for this medium and skill level."""
    counts = deps.routing.counts(tenant, route.groups)
    channel = Medium(medium).channel
    ready = {g.id: deps.routing.ready(tenant, g, channel, route.skill, CANDIDATES) for g in route.groups}
    states = {g.id: GroupState(waiting=counts[g.id].waiting, agent_free_now=bool(ready[g.id])) for g in route.groups}
    return states, ready, counts


def _medium_of(context: RoutingContext) -> str:
    """The medium a new conversation of this channel has: a call that comes in is an inbound call."""
    return {Channel.CHAT: Medium.CHAT, Channel.CALL: Medium.INBOUND_CALL, Channel.EMAIL: Medium.EMAIL}[
        context.channel].value


def _offer_to_ready(deps: Deps, conversation: Conversation, group: Group, candidates: list[str]) -> Conversation | None:
    channel = Medium(conversation.medium).channel
    need = conversation_need(conversation)
    for agent_id in candidates:
        agent = deps.agents.get(conversation.tenant, agent_id)
        if agent is None or not eligible(routing_view(agent), group.id, channel, need):
            continue  # the index lags behind the agent's item
        try:
            return _offer(deps, conversation, agent)
        except AssignmentLost as lost:
            if lost.reason not in _AGENT_LOST:
                return None  # the conversation itself changed
    return None


def _offer(deps: Deps, conversation: Conversation, agent: Agent, view: ConversationView | None = None) -> Conversation:
    settings = tenants.settings_of(deps, conversation.tenant)
    now = deps.clock.now()
    expires_at = now + timedelta(seconds=settings.acceptance_seconds)
    offer = Offer(id=deps.ids.new_id(), agent_id=agent.id, expires_at=expires_at)
    deps.assignments.offer(conversation, agent, offer, now)
    deps.metrics.count("Offers")
    board.changed(deps, conversation.tenant)
    offered = conversation.offered_to(agent, offer)
    # Withdrawn server-side even if the desk is closed (CHAT-7); the timer names the offer, so a late or
    # duplicate delivery after an accept or a reject finds nothing to do.
    deps.timers.arm(Timer(kind=OFFER_EXPIRED, tenant=conversation.tenant,
                          payload={"conversation_id": conversation.id, "offer_id": offer.id}), offer.expires_at, now)
    view = view or deps.conversations.view_for_send(conversation.tenant, conversation.id, None)
    newest = sorted(view.recent, key=lambda m: m.seq) if view else []
    principal = Principal(tenant=agent.tenant, id=agent.id, kind=PrincipalKind.AGENT)
    desks = deps.connections.of(principal)
    frame: dict[str, Any] = {
        "type": "offer",
        "offer": frames.offer(offered, settings.reject_allowed),
        "conversation": frames.conversation(offered, newest[-1].seq if newest else 0),
        "contact": contacts.card_for(deps, offered),  # the customer's record pops up (CHAT-8); None if new
    }
    if Medium(conversation.medium).channel is Channel.CALL:
        # A callback's attempt: the agent's phone rings (answering accepts), and the desk shows the call card with
        # the whole case, the chat it came from included (CB-12). Imported here: the call flow routes through us.
        from chalicelib.services import call_cards

        frame.update(call_cards.offer_part(deps, offered, agent, offer))
    frame["messages"] = frames.messages_that_fit(frame, [frames.message(m) for m in newest], newest=True)
    fanout.to_connections(deps, desks, frame)
    # Every open desk of the agent shows the slot the offer holds (the transaction moved exactly this one).
    fanout.to_connections(deps, desks, {"type": "agent.status", "agent": frames.agent(_holding(agent, offered))})
    return offered


def _holding(agent: Agent, conversation: Conversation) -> Agent:
    """The agent as the offer transaction left them: one more slot in use on the conversation's channel."""
    channel = Medium(conversation.medium).channel
    if channel is Channel.CALL:
        return replace(agent, call_active=agent.call_active + 1)
    if channel is Channel.EMAIL:
        return replace(agent, email_active=agent.email_active + 1)
    return replace(agent, active=agent.active + 1)
