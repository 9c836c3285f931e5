"""What an agent does about themselves: read their profile, change their status, give the number to ring for their
calls at login (CB-6)."""

from __future__ import annotations

from chalicelib.domain.callbacks.numbers import agent_line
from chalicelib.domain.errors import Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import Agent, AgentStatus, Principal
from chalicelib.ports import Deps
from chalicelib.services import board, fanout, frames, routing, tenants

DIRECTORY_LIMIT = 500


def profile(deps: Deps, principal: Principal) -> Agent:
    if not principal.is_agent:
        raise Forbidden("only agents have a profile")
    agent = deps.agents.get(principal.tenant, principal.id)
    if agent is None:
        raise NotFound("this user has no agent profile in the tenant")
    return agent


def set_status(deps: Deps, principal: Principal, status: object) -> Agent:
    """Change status; an agent who becomes Available pulls waiting conversations at once. A deactivated user
    (docs/admin.md, Users) may only go Offline, whatever their token still says."""
    profile(deps, principal)
    wanted = _status(status)
    from chalicelib.services.users import is_deactivated  # deferred: users.py loads email-validator (80 ms)

    if wanted is not AgentStatus.OFFLINE and is_deactivated(deps, principal.tenant, principal.id):
        raise Forbidden("this user was deactivated by an admin", field="status")
    agent = deps.agents.set_status(principal.tenant, principal.id, wanted, deps.clock.now())
    board.changed(deps, principal.tenant)
    if routing.pull(deps, agent):
        agent = profile(deps, principal)
    fanout.to_connections(deps, deps.connections.of(principal), {"type": "agent.status", "agent": frames.agent(agent)})
    return agent


def set_line(deps: Deps, principal: Principal, line: object) -> Agent:
    """The number Guichet rings for the agent's calls during this login (CB-6: "ask for my number at each login"),
    checked as an agent's line (E.164, a person's phone; InvalidInput naming `line`); "" or null forgets it. Kept
    until the agent goes Offline. An agent Available with a free call capacity then pulls waiting calls at once."""
    profile(deps, principal)
    number = "" if line is None or (isinstance(line, str) and not line.strip()) else agent_line(line, field="line")
    agent = deps.agents.set_line(principal.tenant, principal.id, number)
    if routing.pull(deps, agent):
        agent = profile(deps, principal)
    fanout.to_connections(deps, deps.connections.of(principal), {"type": "agent.status", "agent": frames.agent(agent)})
    return agent


def _status(value: object) -> AgentStatus:
    if value is None:
        raise MissingField("status")
    try:
        return AgentStatus(str(value))
    except ValueError as exc:
        allowed = ", ".join(s.value for s in AgentStatus)
        raise InvalidInput(f"'status' must be one of {allowed}", field="status") from exc


def switch_queue(deps: Deps, principal: Principal, queue: object, on: object) -> Agent:
    """The agent switches one of their queues on or off (CHAT-4); switched on while Available, it is pulled from."""
    agent = profile(deps, principal)
    if queue is None or queue == "":
        raise MissingField("queue")
    if not isinstance(queue, str) or queue not in agent.queues:
        raise InvalidInput(f"'queue' must be one of your queues: {', '.join(agent.queues)}", field="queue")
    if not isinstance(on, bool):
        raise InvalidInput("'on' must be true or false", field="on")
    off = set(agent.queues_off) - {queue} if on else set(agent.queues_off) | {queue}
    agent = deps.agents.switch_queues(principal.tenant, principal.id, frozenset(off))
    if routing.pull(deps, agent):
        agent = profile(deps, principal)
    fanout.to_connections(deps, deps.connections.of(principal), {"type": "agent.status", "agent": frames.agent(agent)})
    return agent


def directory(deps: Deps, principal: Principal) -> list[Agent]:
    """The tenant's agents (members of its groups), by name: whom a conversation can be transferred to. Read from
    the groups' rosters; a report, never a routing decision."""
    profile(deps, principal)
    config = tenants.routing_of(deps, principal.tenant)
    ids = dict.fromkeys(agent_id for group in sorted(config.groups)
                        for agent_id in deps.agents.members(principal.tenant, group))
    found = deps.agents.get_many(principal.tenant, list(ids)[:DIRECTORY_LIMIT])
    return sorted(found, key=lambda a: (a.name.lower(), a.id))
