"""What one routing decision costs in DynamoDB requests, with 10 to 10,000 agents in the tenant.

Per size, one tenant with the default routing (one group "default", threshold 100) and that many agents, every one
Available in the group with free capacity, seeded straight into the table by batch writes (``seed_agents``: the
same items ``DynamoAgents.put`` writes, index included). Measured, each in a window of its own:

- ``admit``: a new visitor's chat, already stored, is admitted by ``routing.admit``; it is offered at once to the
  longest idle agent.
- ``pull``: an agent with free capacity pulls the one conversation waiting in the group's queue (``routing.pull``).
- ``naive``: the same decision as ``admit`` made by reading every agent of the group (its roster, then the agents
  100 per BatchGetItem), ranking them in Python with ``domain.routing.rank``, then the same offer transaction
  (``DynamoAssignments.offer``).

bench/README.md defines the figures.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench import capacity
from bench.message_bench import Result, stack
from bench.meter import Call, Meter

if TYPE_CHECKING:
    from chalicelib.domain.model import Agent, Conversation
    from chalicelib.domain.routing import Route, RoutingConfig
    from chalicelib.ports import Deps

SIZES = (10, 100, 1_000, 10_000)
DECISIONS = 5  # admit and pull decisions per size, each with a fresh visitor
NAIVE_DECISIONS = 2  # the reference reads every agent: at 10,000 agents, ~15 s per decision on moto
SEED_IDLE_FROM = datetime(2024, 1, 1, tzinfo=UTC)  # agent i has been idle since this + i seconds


# --- seeding --------------------------------------------------------------------------------------------------------


def agent_id_of(index: int) -> str:
    return f"agent-{index:05d}"


def seeded_agent(tenant: str, index: int, queues: Sequence[str] = ("default",)) -> Agent:
    """Agent ``index`` of a seeded tenant: Available in ``queues``, nothing assigned, idle since a distinct moment
    (the lower the index, the longer idle: agent 0 is the best candidate)."""
    from chalicelib.domain.model import Agent, AgentStatus

    return Agent(tenant=tenant, id=agent_id_of(index), name=f"Agent {index}", status=AgentStatus.AVAILABLE,
                 queues=tuple(queues), idle_since=SEED_IDLE_FROM + timedelta(seconds=index))


def agent_items(agent: Agent, config: RoutingConfig) -> list[Any]:
    """The items ``DynamoAgents.put`` writes for a new agent: the profile (version 0, with its index keys), one
    ready-list line per entry of ``ready_entries`` and one roster line per group."""
    from chalicelib.adapters.dynamodb import ReadyItem, RosterItem, _ready_pk, _roster_pk, agent_item
    from chalicelib.domain.routing import ready_entries, routing_view

    entries = sorted(ready_entries(routing_view(agent), config))
    keys = {entry.encode() for entry in entries}
    items: list[Any] = [agent_item(replace(agent, version=0, index_keys=frozenset(keys)))]
    items += [ReadyItem(_ready_pk(agent.tenant, entry.list_key), entry.sort_key, agent_id=agent.id)
              for entry in entries]
    items += [RosterItem(_roster_pk(agent.tenant, group), agent.id) for group in sorted(set(agent.queues))]
    return items


@dataclass
class Seeded:
    ids: list[str]  # best candidate first
    items: int


def seed_agents(tenant: str, count: int, config: RoutingConfig) -> Seeded:
    """Write ``count`` seeded agents with PynamoDB batch writes (25 items per BatchWriteItem, every model in one
    batch since they share the table)."""
    from chalicelib.adapters.dynamodb import _Item

    seeded = Seeded([], 0)
    with _Item.batch_write() as batch:
        for index in range(count):
            agent = seeded_agent(tenant, index)
            for item in agent_items(agent, config):
                batch.save(item)
                seeded.items += 1
            seeded.ids.append(agent.id)
    return seeded


# --- measuring ------------------------------------------------------------------------------------------------------


@dataclass
class Decision:
    """The AWS requests of one decision, by service and operation."""

    calls: list[Call]

    @property
    def dynamodb(self) -> list[Call]:
        return [call for call in self.calls if call.service == "dynamodb"]

    def operations(self) -> Counter[str]:
        return Counter(f"{call.service}.{call.operation}" for call in self.calls)


@dataclass
class Kind:
    """Every decision of one kind (admit, pull, naive) at one size."""

    name: str
    size: int
    decisions: list[Decision] = field(default_factory=list)

    def counts(self) -> list[int]:
        return [len(d.dynamodb) for d in self.decisions]

    def describe(self, meter: Meter) -> str:
        counts = self.counts()
        ops: Counter[str] = Counter()
        for decision in self.decisions:
            ops.update(decision.operations())
        n = len(self.decisions)
        per = ", ".join(f"{op} x{count / n:g}" for op, count in sorted(ops.items()))
        units = capacity.total(call.units(meter.tables) for d in self.decisions for call in d.dynamodb)
        return (f"routing {self.name} agents_{self.size}: DynamoDB requests per decision {counts} "
                f"(min {min(counts)}, max {max(counts)}); per decision: {per}; "
                f"{units.rcu / n:g} RCU, {units.wcu / n:g} WCU (computed)")


def run(sizes: Sequence[int] = SIZES, decisions: int = DECISIONS, naive_decisions: int = NAIVE_DECISIONS) -> Result:
    meter = Meter()
    meter.install()
    try:
        with stack(meter):
            return measure(meter, sizes, decisions, naive_decisions)
    finally:
        meter.uninstall()


def measure(meter: Meter, sizes: Sequence[int], decisions: int = DECISIONS,
            naive_decisions: int = NAIVE_DECISIONS, tenant_prefix: str = "route") -> Result:
    """Seed one tenant per size and measure its decisions; the app's environment must point at a provisioned
    table, and the meter must have been installed before the app's clients were made."""
    from chalicelib.services import tenants

    deps = _deps()
    kinds: list[Kind] = []
    seeding: list[str] = []
    for size in sizes:
        assert size >= 2 * decisions, "admit and pull each take agents of their own"
        tenant = f"{tenant_prefix}{size}"
        tenants.create_tenant(deps, tenant, f"Routing bench, {size} agents")
        config = tenants.routing_of(deps, tenant)
        started = time.perf_counter()
        seeded = seed_agents(tenant, size, config)  # outside any window: the meter would read every item twice
        ids = seeded.ids
        seeding.append(f"{size}: {seeded.items} items, {time.perf_counter() - started:.1f} s")
        kinds.append(_admit(meter, deps, tenant, ids, decisions))
        kinds.append(_pull(meter, deps, tenant, ids, decisions))
        if naive_decisions:
            kinds.append(_naive(meter, deps, tenant, size, naive_decisions))
    result = _result(meter, kinds)
    result.notes.append("routing seeding (agents: items written): " + "; ".join(seeding))
    return result


def _deps() -> Deps:
    """The container's ports, with the tenant's configuration cached for the whole run.

    The adapters cache it for 5 s per container (``DynamoTenants``); a decision that straddles the end of that
    window reads it again (one GetItem), which says nothing about the decision. In a Lambda, ``start_conversation``
    and ``close_conversation`` read the tenant before they call ``admit`` or ``pull``, so the decision itself finds
    it cached."""
    from chalicelib import bootstrap
    from chalicelib.adapters.dynamodb import DynamoAgents, DynamoAssignments, DynamoRoutingIndex, DynamoTenants

    cached = DynamoTenants(max_age_seconds=24 * 3600.0)
    return replace(bootstrap.container().deps, tenants=cached, agents=DynamoAgents(cached),
                   assignments=DynamoAssignments(cached), routing=DynamoRoutingIndex(cached))


def _result(meter: Meter, kinds: list[Kind]) -> Result:
    figures: dict[str, float] = {}
    prefix = {"admit": "routing.requests_per_decision", "pull": "routing.pull.requests_per_decision",
              "naive": "routing.naive.requests_per_decision"}
    for kind in kinds:
        figures[f"{prefix[kind.name]}.agents_{kind.size}"] = float(max(kind.counts()))
    engine = [count for kind in kinds if kind.name == "admit" for count in kind.counts()]
    figures["routing.requests_per_decision.spread"] = float(max(engine) - min(engine))
    notes = [kind.describe(meter) for kind in kinds]
    return Result(figures, notes)


def _new_conversation(deps: Deps, tenant: str) -> tuple[Conversation, Route]:
    """A new visitor's chat, stored as ``start_conversation`` stores it, and its route (default context)."""
    from chalicelib.domain.model import Conversation
    from chalicelib.domain.routing import RoutingContext, route_for

    config = deps.tenants.get(tenant)
    assert config is not None
    route = route_for(config.routing, RoutingContext())
    assert route is not None
    conversation = Conversation(tenant=tenant, id=deps.ids.new_id(), visitor_id=deps.ids.new_id(),
                                created_at=deps.clock.now(), queue=route.groups[0].id, rule=route.rule.id,
                                priority=route.priority,
                                skill=(route.skill.skill, route.skill.min_level) if route.skill else None)
    deps.conversations.create(conversation)
    return conversation, route


def _warm(deps: Deps, tenant: str) -> None:
    """The tenant's configuration is in the container's cache, as when ``start_conversation`` (which reads it
    first) calls ``admit``, or ``close_conversation`` calls ``pull``."""
    assert deps.tenants.get(tenant) is not None


def _admit(meter: Meter, deps: Deps, tenant: str, ids: list[str], decisions: int) -> Kind:
    from chalicelib.domain.model import ConversationStatus
    from chalicelib.services import routing

    kind = Kind("admit", len(ids))
    for n in range(decisions):
        conversation, route = _new_conversation(deps, tenant)
        _warm(deps, tenant)
        with meter.window() as calls:
            placed = routing.admit(deps, conversation, route)
        assert placed.status is ConversationStatus.OFFERED and placed.offer is not None, placed
        # Nobody has been offered anything yet but the n before: the n-th longest idle agent is the best.
        assert placed.offer.agent_id == ids[n], (placed.offer.agent_id, ids[n])
        kind.decisions.append(Decision(list(calls)))
    return kind


def _pull(meter: Meter, deps: Deps, tenant: str, ids: list[str], decisions: int) -> Kind:
    """One conversation waits in the group's queue (put there by the adapter, as ``admit`` does when no agent is
    free); an agent nobody has offered anything yet pulls it."""
    from chalicelib.domain.routing import Group
    from chalicelib.services import routing

    kind = Kind("pull", len(ids))
    for n in range(decisions):
        conversation, route = _new_conversation(deps, tenant)
        group: Group = route.groups[0]
        queued = deps.routing.enqueue(conversation, group)
        assert queued is not None
        agent = deps.agents.get(tenant, ids[-1 - n])
        assert agent is not None
        _warm(deps, tenant)
        with meter.window() as calls:
            offered = routing.pull(deps, agent)
        assert [c.id for c in offered] == [conversation.id], offered
        assert offered[0].offer is not None and offered[0].offer.agent_id == agent.id
        kind.decisions.append(Decision(list(calls)))
    return kind


def naive_offer(deps: Deps, conversation: Conversation, route: Route) -> Agent:
    """The reference a decision is compared with: read every agent of the group, rank them all in Python, then the
    same offer transaction as the engine's. Returns the agent offered."""
    from chalicelib.domain.model import Offer
    from chalicelib.domain.routing import Channel, Medium, rank, routing_view

    config = deps.tenants.get(conversation.tenant)
    assert config is not None
    group = route.groups[0]
    members = deps.agents.members(conversation.tenant, group.id)  # Query of T#<t>#ROSTER#<group>, page by page
    agents = {a.id: a for a in deps.agents.get_many(conversation.tenant, members)}  # BatchGetItem, 100 at a time
    channel: Channel = Medium(conversation.medium).channel
    best = rank([routing_view(a) for a in agents.values()], group.id, channel, route.skill,
                config.routing.fairness)[0]
    agent = agents[best.id]
    now = deps.clock.now()
    settings = config.settings
    offer = Offer(id=deps.ids.new_id(), agent_id=agent.id,
                  expires_at=now + timedelta(seconds=settings.acceptance_seconds))
    deps.assignments.offer(replace(conversation, queue=group.id), agent, offer, now)
    return agent


def _naive(meter: Meter, deps: Deps, tenant: str, size: int, decisions: int) -> Kind:
    from chalicelib.domain.routing import Channel

    kind = Kind("naive", size)
    for _ in range(decisions):
        conversation, route = _new_conversation(deps, tenant)
        expected = deps.routing.ready(tenant, route.groups[0], Channel.CHAT, route.skill, 1)
        _warm(deps, tenant)
        with meter.window() as calls:
            agent = naive_offer(deps, conversation, route)
        # Reading everything picks the agent the engine's ready list has at its head.
        assert [agent.id] == expected, (agent.id, expected)
        kind.decisions.append(Decision(list(calls)))
    return kind
