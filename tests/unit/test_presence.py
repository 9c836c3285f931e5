import json

from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind
from chalicelib.services import agents, connections, presence, timers
from tests.unit.fakes import FakeTimers, make_deps

ALICE = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice")


def test_an_agent_who_loses_every_connection_goes_offline_after_the_grace_period_once() -> None:
    deps = make_deps("demo")
    deps.agents.put(Agent(tenant="demo", id="alice", name="Alice"))
    connections.connect(deps, ALICE, "c1")
    agents.set_status(deps, ALICE, "available")
    connections.disconnect(deps, ALICE, "c1")
    assert isinstance(deps.timers, FakeTimers)
    (timer, fire_at), = deps.timers.armed
    assert fire_at == deps.clock.now() + presence.GRACE
    body = json.dumps({"kind": timer.kind, "tenant": timer.tenant, **timer.payload})
    assert timers.fire(deps, body) is True
    assert timers.fire(deps, body) is False  # delivered twice: nothing more happens
    agent = deps.agents.get("demo", "alice")
    assert agent is not None and agent.status is AgentStatus.OFFLINE


def test_an_agent_who_came_back_stays_available() -> None:
    deps = make_deps("demo")
    deps.agents.put(Agent(tenant="demo", id="alice", name="Alice"))
    connections.connect(deps, ALICE, "c1")
    agents.set_status(deps, ALICE, "available")
    connections.disconnect(deps, ALICE, "c1")
    connections.connect(deps, ALICE, "c2")
    assert isinstance(deps.timers, FakeTimers)
    (timer, _), = deps.timers.armed
    assert presence.check(deps, "demo", dict(timer.payload)) is False
    agent = deps.agents.get("demo", "alice")
    assert agent is not None and agent.status is AgentStatus.AVAILABLE
