"""The live Production board for supervisors (issue 15, M6): figures read from state, never from aggregates, pushed
on the WebSocket at most once a second per tenant to the desks that watch it.

The figures (`compute`), with Amazon Connect's meanings (research M1): per group the waiting count and the oldest
wait, and the conversations held by agents (in progress on a desk, snoozed, reserved); agents online (not
Offline), available (status Available and at least one free slot), on contact (at least one conversation on their
desk) and away; each agent's status, time in state and load against capacity per channel; the live calls.

What one computation costs, for G groups, A agents (members of the groups) and S routing shards:
- 1 GetItem of the tenant (its groups);
- ceil(G*S/100) BatchGetItem of the routing counters (the waiting counts);
- per group with someone waiting, 1 Query (limit 1) of its queue, oldest first: the oldest wait;
- per group, 1 Query of its held conversations (GSI, up to HELD_LIMIT each);
- per group, 1 Query of its members, then ceil(A/100) BatchGetItem of the agents;
- 1 Query and 1 BatchGetItem of the live calls (when callbacks are set up).
So 3G + 2 + ceil(A/100) + ceil(G*S/100) requests per push, whatever the number of watchers or of changes: a
second's burst of changes costs one computation. Each change costs one eventually consistent GetItem of the gate
(and one conditional UpdateItem at most once a second while someone watches): see adapters/board_gate.py.

The push (`changed`, then the `board.push` timer): a change that moves a figure calls `changed`; the first one in a
second wins the gate's conditional write and arms a 1-second SQS-delay timer; the timer computes the board once and
sends a `board` frame to every watcher. A change during that second is included, as the board is computed when the
timer fires; a change after it wins the next second's write.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import InvalidInput, MissingField, NotFound
from chalicelib.domain.held import overdue
from chalicelib.domain.model import Agent, AgentStatus, Conversation, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.domain.routing import Group, Medium, conversation_need, routing_view, why_stuck
from chalicelib.ports import Deps, Timer
from chalicelib.services import fanout, frames, tenants
from chalicelib.services.auth import require_role
from chalicelib.services.supervision import stuck_of

log = logging.getLogger("guichet.board")

PUSH = "board.push"
PERIOD = timedelta(seconds=1)
HELD_LIMIT = 1000  # held conversations read per group (in progress, snoozed, reserved)
AGENT_LIMIT = 500  # agents read per board
FORCED = (AgentStatus.AWAY, AgentStatus.OFFLINE)


def compute(deps: Deps, tenant: str) -> dict[str, Any]:
    """The board of `tenant` now, from state only (the costs: the module's docstring)."""
    now = deps.clock.now()
    config = tenants.routing_of(deps, tenant)
    groups = list(config.groups.values())
    counts = deps.routing.counts(tenant, groups)
    queues: list[dict[str, Any]] = []
    by_agent: dict[str, dict[str, int]] = {}
    oldest_of: dict[str, Conversation] = {}
    for group in groups:
        waiting = counts[group.id].waiting
        oldest = deps.conversations.waiting_in(tenant, group.id, 1) if waiting else []
        if oldest:
            oldest_of[group.id] = oldest[0]
        held = deps.conversations.held_in(tenant, group.id, HELD_LIMIT)
        states = {s: sum(1 for c in held if c.status is s) for s in
                  (ConversationStatus.ASSIGNED, ConversationStatus.SNOOZED, ConversationStatus.RESERVED)}
        for c in held:
            if c.agent_id and c.status in (ConversationStatus.ASSIGNED, ConversationStatus.SNOOZED):
                mine = by_agent.setdefault(c.agent_id, {"in_progress": 0, "snoozed": 0})
                mine["in_progress" if c.status is ConversationStatus.ASSIGNED else "snoozed"] += 1
        queues.append({
            "id": group.id, "name": group.name or group.id, "waiting": waiting,
            "oldest_since": frames.iso(oldest[0].created_at) if oldest else None,
            "oldest_wait_seconds": _seconds(now, oldest[0].created_at) if oldest else None,
            "in_progress": states[ConversationStatus.ASSIGNED], "snoozed": states[ConversationStatus.SNOOZED],
            "reserved": states[ConversationStatus.RESERVED],
            "overdue": sum(1 for c in held if overdue(c, now)),
        })
    ids = dict.fromkeys(a for group in groups for a in deps.agents.members(tenant, group.id))
    found = sorted(deps.agents.get_many(tenant, list(ids)[:AGENT_LIMIT]), key=lambda a: (a.name.lower(), a.id))
    for queue, group in zip(queues, groups, strict=True):
        queue["stuck"] = _stuck(group, oldest_of.get(group.id), found)
    rows = [agent_row(a, by_agent.get(a.id, {}), now) for a in found]
    live_calls = len(deps.callbacks.live(tenant)) if deps.callbacks is not None else 0
    agents_rows, truncated = frames.rows_that_fit(rows, frames.PUSH_BYTES // 2)
    return {
        "at": frames.iso(now),
        "totals": {
            "waiting": sum(q["waiting"] for q in queues),
            "in_progress": sum(q["in_progress"] for q in queues),
            "snoozed": sum(q["snoozed"] for q in queues),
            "reserved": sum(q["reserved"] for q in queues),
            "live_calls": live_calls,
            "agents_online": sum(1 for r in rows if r["status"] != AgentStatus.OFFLINE.value),
            "agents_available": sum(1 for r in rows if r["available"]),
            "agents_on_contact": sum(1 for r in rows if r["on_contact"]),
            "agents_away": sum(1 for r in rows if r["status"] == AgentStatus.AWAY.value),
        },
        "queues": queues,
        "agents": agents_rows,
        "truncated": truncated or len(ids) > AGENT_LIMIT,
    }


def _stuck(group: Group, oldest: Conversation | None, agents: list[Agent]) -> dict[str, str] | None:
    """Why the group's oldest waiting conversation is not distributed (the stuck list, as the Waiting view says
    it), from the agents the board read already: no extra request."""
    if oldest is None:
        return None
    members = [routing_view(a) for a in agents if group.id in a.queues]
    reason = why_stuck(members, group.id, Medium(oldest.medium).channel, conversation_need(oldest))
    return stuck_of(reason, oldest.declines)


def agent_row(agent: Agent, held: dict[str, int], now: datetime) -> dict[str, Any]:
    """One agent of the grid: status and time in it, load against capacity per channel, and Connect's flags."""
    load = {"chat": {"active": agent.active, "capacity": agent.capacity},
            "call": {"active": agent.call_active, "capacity": agent.call_capacity if agent.takes_calls else 0},
            "email": {"active": agent.email_active, "capacity": agent.email_capacity}}
    free = any(c["active"] < c["capacity"] for c in load.values())
    in_progress = held.get("in_progress", 0)
    return {
        "id": agent.id, "name": agent.name, "status": agent.status.value,
        "status_since": frames.iso(agent.status_since) if agent.status_since else None,
        "seconds_in_state": _seconds(now, agent.status_since) if agent.status_since else None,
        "load": load,
        "in_progress": in_progress, "snoozed": held.get("snoozed", 0),
        "available": agent.status is AgentStatus.AVAILABLE and free,
        "on_contact": in_progress > 0,
    }


def _seconds(now: datetime, since: datetime) -> int:
    return max(0, int((now - since).total_seconds()))


def live_board(deps: Deps, supervisor: Principal) -> dict[str, Any]:
    """Supervisors and admins: the board now (GET, and the answer of `watch_board`)."""
    require_role(supervisor, Role.SUPERVISOR, Role.ADMIN)
    return compute(deps, supervisor.tenant)


def watch(deps: Deps, supervisor: Principal, connection_id: str) -> dict[str, Any]:
    """The connection receives `board` frames while it watches; the answer carries the board now."""
    require_role(supervisor, Role.SUPERVISOR, Role.ADMIN)
    if deps.board is not None:
        deps.board.watch(supervisor.tenant, connection_id, deps.clock.now())
    return compute(deps, supervisor.tenant)


def unwatch(deps: Deps, principal: Principal, connection_id: str) -> None:
    """Stop the connection's `board` frames (anyone may stop; idempotent)."""
    if deps.board is not None and principal.is_agent:
        deps.board.unwatch(principal.tenant, connection_id)


def changed(deps: Deps, tenant: str) -> None:
    """A figure of the tenant's board may have moved: the first change of a second arms the next push. Costs one
    cheap read when nobody watches or a push is armed; never fails the change that called it."""
    if deps.board is None:
        return
    try:
        now = deps.clock.now()
        if deps.board.claim(tenant, now, now + PERIOD):
            deps.timers.arm(Timer(PUSH, tenant, {"at": frames.iso(now)}), now + PERIOD, now)
    except Exception:  # the board is a view: the change itself is done and must stand
        log.warning("the board's push could not be armed", exc_info=True)


def push(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer: compute the board once and send it to every watcher; gone watchers are forgotten, and a board
    nobody watches any more is marked unwatched (its changes then cost one read)."""
    if deps.board is None:
        return False
    watchers, revision = deps.board.watchers(tenant)
    if not watchers:
        deps.board.forget_if_unwatched(tenant, revision)
        return False
    frame = {"type": "board", "board": compute(deps, tenant)}
    for gone in fanout.to_connections(deps, watchers, frame):
        deps.board.unwatch(tenant, gone)
    return True


def force_status(deps: Deps, supervisor: Principal, agent_id: object, status: object) -> Agent:
    """A supervisor or admin sets an agent Away or Offline: routing stops offering them (their ready entries go
    with the status), their desks are told (`agent.status`), and the log keeps who did it (ids only)."""
    require_role(supervisor, Role.SUPERVISOR, Role.ADMIN)
    if agent_id in (None, ""):
        raise MissingField("agent_id")
    if not isinstance(agent_id, str) or len(agent_id) > 128:
        raise InvalidInput("'agent_id' must be an agent id", field="agent_id")
    if status in (None, ""):
        raise MissingField("status")
    if status not in [s.value for s in FORCED]:
        raise InvalidInput("'status' must be away or offline", field="status")
    wanted = AgentStatus(str(status))
    before = deps.agents.get(supervisor.tenant, agent_id)
    if before is None:
        raise NotFound("no such agent", field="agent_id")
    agent = deps.agents.set_status(supervisor.tenant, agent_id, wanted, deps.clock.now())
    log.info("a supervisor set an agent's status", extra={
        "by": supervisor.id, "agent_id": agent_id, "status": wanted.value, "was": before.status.value})
    desks = deps.connections.of(Principal(supervisor.tenant, agent_id, PrincipalKind.AGENT))
    fanout.to_connections(deps, desks, {"type": "agent.status", "agent": frames.agent(agent),
                                        "set_by": {"id": supervisor.id, "name": supervisor.name}})
    changed(deps, supervisor.tenant)
    return agent


HANDLERS = {PUSH: push}
