"""Presence: `$disconnect` is best-effort and a tab may come back, so an agent who lost every connection is set
Offline only after a grace period, by a timer that re-checks (a twice-delivered timer finds nothing to do)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain.model import AgentStatus, Principal, PrincipalKind
from chalicelib.ports import Deps, Timer
from chalicelib.services import board

GRACE = timedelta(seconds=60)
CHECK = "presence.check"


def agent_left(deps: Deps, agent: Principal) -> None:
    if agent.kind is not PrincipalKind.AGENT or deps.connections.of(agent):
        return
    profile = deps.agents.get(agent.tenant, agent.id)
    if profile is None or profile.status is AgentStatus.OFFLINE:
        return
    now = deps.clock.now()
    timer = Timer(kind=CHECK, tenant=agent.tenant, payload={"agent_id": agent.id, "status": profile.status.value})
    deps.timers.arm(timer, now + GRACE, now)


def check(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Set the agent Offline if they still have no connection and the status the timer was armed for; True when
    it did. Anything else (a new connection, a status set since) means the timer is stale."""
    agent_id = str(payload.get("agent_id", ""))
    principal = Principal(tenant=tenant, id=agent_id, kind=PrincipalKind.AGENT)
    agent = deps.agents.get(tenant, agent_id)
    if agent is None or agent.status.value != payload.get("status") or deps.connections.of(principal):
        return False
    deps.agents.set_status(tenant, agent_id, AgentStatus.OFFLINE, deps.clock.now())
    board.changed(deps, tenant)
    return True


HANDLERS = {CHECK: check}
