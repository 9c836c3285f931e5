"""Who holds an asynchronous conversation between the visitor's messages (ASYNC-10 to ASYNC-15): snooze and its
end, transfer to an agent or a queue, the 24-hour reservation, a supervisor's release, blocking a visitor.

States (domain/model.ConversationStatus): ASSIGNED (on a desk, using a slot) -> SNOOZED (off every desk, kept for
its agent or not) -> back when the visitor writes or the snooze ends: RESERVED for its agent when kept, else
WAITING in its group's queue. A transfer to an agent makes it RESERVED for them (offered at once if they can take
it, as any offer they may accept or refuse); a reservation not taken within `reservation_hours` (24 by default)
ends in the group's queue. Each change is one conditional transaction; each timer names the snooze or reservation
it was armed for, so a late or repeated delivery finds nothing to do (invariant 5).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.held import overdue
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    Principal,
    PrincipalKind,
    Reservation,
    Role,
    Snooze,
)
from chalicelib.domain.moments import parse_moment
from chalicelib.domain.routing import Group
from chalicelib.ports import AssignmentLost, Deps, Timer
from chalicelib.services import agents, board, fanout, frames, queue_position, routing, routing_admin, tenants
from chalicelib.services.auth import require_role

SNOOZE_ENDED = "snooze.ended"
RESERVATION_EXPIRED = "reservation.expired"
SNOOZE_PRESETS = {"3h": timedelta(hours=3), "24h": timedelta(hours=24)}
MAX_SNOOZE = timedelta(days=30)
HELD_PAGE = 200


def snooze(deps: Deps, agent: Principal, conversation_id: object, duration: object = None, until: object = None,
           keep: object = True) -> Conversation:
    """The assigned agent takes an asynchronous conversation off their desk for 3 h, 24 h or until a chosen time
    (ASYNC-10), keeping it or returning it to its group. Their slot frees at once."""
    profile = agents.profile(deps, agent)
    conversation = _on_desk_of(deps, agent, conversation_id)
    if not conversation.asynchronous:
        raise Conflict("only an asynchronous conversation can be snoozed", field="conversation_id")
    if not isinstance(keep, bool):
        raise InvalidInput("'keep' must be true or false", field="keep")
    now = deps.clock.now()
    ends = _snooze_end(now, duration, until)
    held = Snooze(id=deps.ids.new_id(), until=ends, kept=keep)
    try:
        deps.assignments.snooze(conversation, profile, held, now=now)
    except AssignmentLost as lost:
        raise Conflict("the conversation changed; reload it", field="conversation_id") from lost
    board.changed(deps, agent.tenant)
    deps.timers.arm(Timer(SNOOZE_ENDED, agent.tenant, {"conversation_id": conversation.id, "snooze_id": held.id}),
                    ends, now)
    snoozed = replace(conversation, status=ConversationStatus.SNOOZED, snooze=held,
                      agent_id=conversation.agent_id if keep else None,
                      agent_name=conversation.agent_name if keep else None)
    _tell_desks(deps, agent, {"type": "conversation.snoozed", "conversation": frames.conversation(snoozed)})
    _leaves_desks(deps, conversation)
    _tell_visitor(deps, snoozed)
    _freed(deps, agent)
    return snoozed


def snooze_ended(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer: the snooze it was armed for ends, unless the visitor woke the conversation first."""
    conversation = deps.conversations.get(tenant, str(payload.get("conversation_id", "")))
    if conversation is None or conversation.snooze is None or conversation.snooze.id != payload.get("snooze_id"):
        return False
    return wake(deps, conversation) is not None


def wake(deps: Deps, conversation: Conversation) -> Conversation | None:
    """A snoozed conversation comes back (the visitor wrote, or the snooze ended): reserved for its agent if they
    kept it, else in its group's queue. None if it was not snoozed any more."""
    if conversation.status is not ConversationStatus.SNOOZED or conversation.snooze is None:
        return None
    if conversation.snooze.kept and conversation.agent_id:
        holder = deps.agents.get(conversation.tenant, conversation.agent_id)
        if holder is not None:
            return _reserve(deps, conversation, holder, None)
    return _to_queue(deps, conversation, conversation.queue)


def transfer(deps: Deps, by: Principal, conversation_id: object, to_agent: object = None,
             to_queue: object = None) -> Conversation:
    """Hand a conversation to another agent (an offer they accept or refuse; reserved for them up to 24 h while
    they cannot take it) or to a group's queue. The assigned agent transfers from their desk; a supervisor or an
    admin transfers any held conversation."""
    if (to_agent in (None, "")) == (to_queue in (None, "")):
        raise InvalidInput("give either 'to_agent' or 'to_queue'", field="to_agent")
    conversation = _held(deps, by, conversation_id)
    if conversation.agent_id != by.id:
        _not_from_a_connected_desk(deps, conversation)
    if to_queue not in (None, ""):
        if not isinstance(to_queue, str) or to_queue not in tenants.routing_of(deps, by.tenant).groups:
            raise InvalidInput("'to_queue' must be one of the tenant's groups", field="to_queue")
        return _to_queue(deps, conversation, to_queue, by=by)
    if not isinstance(to_agent, str) or len(to_agent) > 128:
        raise InvalidInput("'to_agent' must be an agent id", field="to_agent")
    target = deps.agents.get(by.tenant, to_agent)
    if target is None:
        raise NotFound("no such agent", field="to_agent")
    if target.id == conversation.agent_id and conversation.status is ConversationStatus.ASSIGNED:
        raise InvalidInput("the conversation is already on this agent's desk", field="to_agent")
    holder = None
    if conversation.status is ConversationStatus.ASSIGNED and conversation.agent_id:
        holder = deps.agents.get(by.tenant, conversation.agent_id)
        if holder is None:
            raise Conflict("the agent holding it is gone; release it instead", field="conversation_id")
    reserved = _reserve(deps, conversation, target, holder, transfer_from=conversation.agent_id or by.id)
    if reserved is None:
        raise Conflict("the conversation changed; reload it", field="conversation_id")
    return deps.conversations.get(by.tenant, conversation.id) or reserved  # offered to them at once, maybe


def release(deps: Deps, supervisor: Principal, conversation_id: object) -> Conversation:
    """A supervisor or admin puts a held conversation back in its group's queue (ASYNC-14): from an agent's desk
    (ending that contact), from a reservation or from a snooze they keep; refused while the holding agent is
    connected with it on their desk."""
    require_role(supervisor, Role.SUPERVISOR, Role.ADMIN)
    conversation = _existing(deps, supervisor.tenant, conversation_id)
    if conversation.status not in (ConversationStatus.ASSIGNED, ConversationStatus.RESERVED,
                                   ConversationStatus.SNOOZED):
        raise Conflict(f"a {conversation.status.value} conversation is not held by an agent", field="conversation_id")
    _not_from_a_connected_desk(deps, conversation)
    return _to_queue(deps, conversation, conversation.queue, by=supervisor)


def _not_from_a_connected_desk(deps: Deps, conversation: Conversation) -> None:
    """ASYNC-14: nobody takes a conversation from the desk of an agent who is connected with it."""
    if conversation.status is ConversationStatus.ASSIGNED and conversation.agent_id:
        holder = Principal(conversation.tenant, conversation.agent_id, PrincipalKind.AGENT)
        if deps.connections.of(holder):
            raise Conflict("the agent is connected with this conversation on their desk", field="conversation_id")


def reservation_expired(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer: a conversation still reserved for its agent after `reservation_hours` goes to its group's queue."""
    conversation = deps.conversations.get(tenant, str(payload.get("conversation_id", "")))
    if conversation is None or conversation.status is not ConversationStatus.RESERVED \
            or conversation.reservation is None or conversation.reservation.id != payload.get("reservation_id"):
        return False
    try:
        _to_queue(deps, conversation, conversation.queue)
    except Conflict:
        return False  # taken or moved meanwhile
    return True


def block(deps: Deps, agent: Principal, conversation_id: object) -> Conversation:
    """The assigned agent blocks the visitor (ASYNC-15): their new messages and conversations are refused; the
    agent then closes the conversation as usual."""
    conversation = _on_desk_of(deps, agent, conversation_id)
    deps.conversations.block_visitor(conversation, agent.id, deps.clock.now())
    blocked = replace(conversation, visitor_blocked=True)
    _tell_desks(deps, agent, {"type": "conversation.updated", "conversation": frames.conversation(blocked)})
    return blocked


def held_report(deps: Deps, supervisor: Principal) -> dict[str, Any]:
    """Supervisors and admins: the conversations agents hold (on a desk, reserved, snoozed), per group, with
    whether the holding agent is connected (a release is refused then, for one on a desk)."""
    require_role(supervisor, Role.SUPERVISOR, Role.ADMIN)
    config = tenants.routing_of(deps, supervisor.tenant)
    held = [c for group in config.groups for c in deps.conversations.held_in(supervisor.tenant, group, HELD_PAGE)]
    now = deps.clock.now()
    holders = {c.agent_id for c in held if c.agent_id}
    connected = {a for a in holders
                 if deps.connections.of(Principal(supervisor.tenant, a, PrincipalKind.AGENT))}
    rows, truncated = frames.rows_that_fit([{
        **frames.conversation(c),
        "snooze": frames.snooze(c),
        "reservation": frames.reservation(c),
        "agent_connected": c.agent_id in connected,
        "releasable": c.status is not ConversationStatus.ASSIGNED or c.agent_id not in connected,
        "overdue": overdue(c, now),
    } for c in held])
    return {"conversations": rows, "truncated": truncated}


def agent_held(deps: Deps, agent: Principal) -> dict[str, Any]:
    """An agent's conversations off their desk: snoozed ones they keep, and those reserved for them."""
    agents.profile(deps, agent)
    snoozed = deps.conversations.linked_to_agent(agent.tenant, agent.id, "snoozed", HELD_PAGE)
    reserved = deps.conversations.linked_to_agent(agent.tenant, agent.id, "reserved", HELD_PAGE)
    return {"snoozed": [{**frames.conversation(c), "snooze": frames.snooze(c)} for c in snoozed
                        if c.status is ConversationStatus.SNOOZED],
            "reserved": [{**frames.conversation(c), "reservation": frames.reservation(c)} for c in reserved
                         if c.status is ConversationStatus.RESERVED]}


# ---------------------------------------------------------------------------------------------------------------


def _reserve(deps: Deps, conversation: Conversation, to: Agent, holder: Agent | None,
             transfer_from: str = "") -> Conversation | None:
    settings = tenants.settings_of(deps, conversation.tenant)
    now = deps.clock.now()
    reservation = Reservation(id=deps.ids.new_id(), until=now + timedelta(hours=settings.reservation_hours),
                              transfer_from=transfer_from)
    try:
        deps.assignments.reserve(conversation, reservation, to, holder, now=now)
    except AssignmentLost as lost:
        if lost.reason == "agent_gone":
            return _to_queue(deps, conversation, conversation.queue)
        return None
    board.changed(deps, conversation.tenant)
    deps.timers.arm(Timer(RESERVATION_EXPIRED, conversation.tenant,
                          {"conversation_id": conversation.id, "reservation_id": reservation.id}),
                    reservation.until, now)
    reserved = replace(conversation, status=ConversationStatus.RESERVED, agent_id=to.id, agent_name=to.name,
                       reservation=reservation, snooze=None)
    if conversation.agent_id and conversation.agent_id != to.id:
        previous = Principal(conversation.tenant, conversation.agent_id, PrincipalKind.AGENT)
        _tell_desks(deps, previous, {"type": "conversation.transferred", "conversation": frames.conversation(reserved)})
        if holder is not None:
            _leaves_desks(deps, conversation)
            _freed(deps, previous)
    _tell_visitor(deps, reserved)
    target = Principal(conversation.tenant, to.id, PrincipalKind.AGENT)
    fresh = deps.agents.get(conversation.tenant, to.id)
    offered = routing.pull(deps, fresh) if fresh is not None else []
    if not any(c.id == conversation.id for c in offered):
        _tell_desks(deps, target, {"type": "conversation.reserved", "conversation": frames.conversation(reserved),
                                   "reservation": frames.reservation(reserved)})
    return reserved


def _to_queue(deps: Deps, conversation: Conversation, group_id: str, by: Principal | None = None) -> Conversation:
    config = tenants.routing_of(deps, conversation.tenant)
    # Its group may have left the configuration while an agent held it: then it goes where it would be routed now.
    group = config.groups.get(group_id) or routing_admin.group_now_taking(config, conversation) or Group(group_id)
    holder = conversation.agent_id if conversation.status is ConversationStatus.ASSIGNED else None
    try:
        queued = deps.assignments.requeue(conversation, group, now=deps.clock.now())
    except AssignmentLost as lost:
        raise Conflict("the conversation changed; reload it", field="conversation_id") from lost
    board.changed(deps, conversation.tenant)
    owner = Principal(conversation.tenant, conversation.agent_id, PrincipalKind.AGENT) \
        if conversation.agent_id else None
    if owner is not None:
        _tell_desks(deps, owner, {"type": "conversation.released" if by is not None and by.id != owner.id
                                  else "conversation.transferred", "conversation": frames.conversation(queued)})
        if holder is not None:
            _leaves_desks(deps, conversation)
    _tell_visitor(deps, queued)
    # The agent who let it go does not get it back at once: the others of the group are asked first, and the
    # freed agent's own pull passes over it.
    if routing.serve_group(deps, queued, exclude=owner.id if owner else None) is None:
        queue_position.announce(deps, queued.tenant, queued.queue)
    if owner is not None and holder is not None:
        _freed(deps, owner, skip=frozenset({conversation.id}))
    return deps.conversations.get(conversation.tenant, conversation.id) or queued


def _freed(deps: Deps, agent: Principal, skip: frozenset[str] = frozenset()) -> None:
    """The agent has a slot more: they pull what waits (but what they just let go), and every desk of theirs
    shows the load."""
    fresh = deps.agents.get(agent.tenant, agent.id)
    if fresh is not None and fresh.status is AgentStatus.AVAILABLE and routing.pull(deps, fresh, skip):
        fresh = deps.agents.get(agent.tenant, agent.id)
    if fresh is not None:
        _tell_desks(deps, agent, {"type": "agent.status", "agent": frames.agent(fresh)})


def _leaves_desks(deps: Deps, conversation: Conversation) -> None:
    """The agent's desks no longer receive the conversation's messages and typing."""
    if conversation.agent_id:
        agent = Principal(conversation.tenant, conversation.agent_id, PrincipalKind.AGENT)
        desks = set(deps.connections.of(agent)) & set(conversation.connections)
        if desks:
            deps.conversations.remove_connections(conversation.tenant, conversation.id, desks)


def _tell_desks(deps: Deps, agent: Principal, frame: dict[str, Any]) -> None:
    fanout.to_connections(deps, deps.connections.of(agent), frame)


def _tell_visitor(deps: Deps, conversation: Conversation) -> None:
    visitor = Principal(conversation.tenant, conversation.visitor_id, PrincipalKind.VISITOR)
    fanout.to_connections(deps, deps.connections.of(visitor),
                          {"type": "conversation.updated", "conversation": frames.for_visitor(conversation)})


def _existing(deps: Deps, tenant: str, conversation_id: object) -> Conversation:
    if conversation_id in (None, ""):
        raise MissingField("conversation_id")
    if not isinstance(conversation_id, str) or len(conversation_id) > 128:
        raise InvalidInput("'conversation_id' must be a string", field="conversation_id")
    conversation = deps.conversations.get(tenant, conversation_id)
    if conversation is None:
        raise NotFound("no such conversation", field="conversation_id")
    return conversation


def _on_desk_of(deps: Deps, agent: Principal, conversation_id: object) -> Conversation:
    if not agent.is_agent:
        raise Forbidden("agents only")
    conversation = _existing(deps, agent.tenant, conversation_id)
    if conversation.agent_id != agent.id:
        raise NotFound("no such conversation", field="conversation_id")
    if conversation.status is not ConversationStatus.ASSIGNED:
        raise Conflict("the conversation is not on your desk", field="conversation_id")
    return conversation


def _held(deps: Deps, by: Principal, conversation_id: object) -> Conversation:
    """The conversation a transfer moves: on the caller's desk, or any held one for a supervisor or an admin."""
    if not by.is_agent:
        raise Forbidden("agents only")
    if by.roles & {Role.SUPERVISOR, Role.ADMIN}:
        conversation = _existing(deps, by.tenant, conversation_id)
        if conversation.status not in (ConversationStatus.ASSIGNED, ConversationStatus.RESERVED,
                                       ConversationStatus.SNOOZED):
            raise Conflict(f"a {conversation.status.value} conversation is not held by an agent",
                           field="conversation_id")
        return conversation
    return _on_desk_of(deps, by, conversation_id)


def _snooze_end(now: datetime, duration: object, until: object) -> datetime:
    if (duration in (None, "")) == (until in (None, "")):
        raise InvalidInput("give either 'duration' (3h or 24h) or 'until'", field="duration")
    if duration not in (None, ""):
        if not isinstance(duration, str) or duration not in SNOOZE_PRESETS:
            raise InvalidInput("'duration' must be 3h or 24h", field="duration")
        return now + SNOOZE_PRESETS[str(duration)]
    moment = parse_moment("until", until)
    if not now + timedelta(minutes=1) <= moment <= now + MAX_SNOOZE:
        raise InvalidInput("'until' must be between one minute and 30 days from now", field="until")
    return moment
