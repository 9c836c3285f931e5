"""Invariants 1, 2 and 4 under concurrency: threads race against moto's DynamoDB server and the test counts
violations (expected: zero)."""

from __future__ import annotations

import os
import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import AgentItem, LinkItem
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.model import Agent, AgentStatus, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.services import agents, conversations, offers, routing_admin

# The size: 16 threads, 500 chats, 20 agents of capacity 6, on a moto server of the test's own (see the
# `own_aws` fixture). GUICHET_RACE_CHATS / _AGENTS / _CAPACITY change it for a quicker look while developing.
THREADS = 16
AGENTS = int(os.environ.get("GUICHET_RACE_AGENTS", "20"))
CAPACITY = int(os.environ.get("GUICHET_RACE_CAPACITY", "6"))
CHATS = int(os.environ.get("GUICHET_RACE_CHATS", "500"))
DRAIN_ROUNDS = 40


def test_racing_chats_offered_accepted_rejected_and_closed_never_over_assign(own_aws: str) -> None:
    """16 threads race chats through offers, accepts (85 %), rejects and closes among agents of limited capacity.

    Counted: an agent holding more than 6 slots at any sampled moment or at the end, an agent whose load disagrees
    with what it holds, and a chat accepted by two agents. All must be zero, and every chat must end closed."""
    tenant = own_aws
    deps = bootstrap.container().deps
    # Every chat may wait (the routing engine's thresholds have a race of their own: test_routing_race.py).
    routing_admin.replace_routing_config(deps, Principal(tenant, "boss", PrincipalKind.AGENT, roles=frozenset(
        {Role.ADMIN})), {"groups": [{"id": "default", "threshold": CHATS}], "rules": [{"id": "all", "groups": [
            "default"]}]})
    staff = [Principal(tenant, f"a{n}", PrincipalKind.AGENT, name=f"A{n}") for n in range(AGENTS)]
    for who in staff:
        deps.agents.put(Agent(tenant=tenant, id=who.id, name=who.name, capacity=CAPACITY))
        agents.set_status(deps, who, "available")
    visitors = [Principal(tenant, f"v{n}", PrincipalKind.VISITOR) for n in range(CHATS)]
    rng = random.Random(7)
    jobs: list[tuple[str, Principal]] = [("start", v) for v in visitors]
    jobs += [("work", a) for a in staff for _ in range(CHATS // AGENTS)]
    rng.shuffle(jobs)
    errors: list[BaseException] = []
    accepted: dict[str, set[str]] = defaultdict(set)
    lock = threading.Lock()
    stop = threading.Event()
    violations: list[str] = []
    sampled: list[str] = []

    def work(agent: Principal) -> int:
        """An agent's desk: answer offers (mostly accepting), close the chats in progress, come back Available."""
        touched = 0
        for held in deps.conversations.open_for_agent(tenant, agent.id):
            touched += 1
            try:
                if held.status is ConversationStatus.OFFERED and held.offer is not None:
                    if rng.random() < 0.85:
                        offers.accept(deps, agent, held.id, held.offer.id)
                        with lock:
                            accepted[held.id].add(agent.id)
                    else:
                        offers.reject(deps, agent, held.id, held.offer.id)
                elif held.status is ConversationStatus.ASSIGNED:
                    conversations.close_conversation(deps, agent, held.id, "Resolved")
            except (Conflict, NotFound):
                pass  # lost a race (the same agent's other tab answered first): a normal outcome
        found = deps.agents.get(tenant, agent.id)
        if found is not None and found.status is not AgentStatus.AVAILABLE:
            agents.set_status(deps, agent, "available")  # pulls what waits
        return touched

    def run(job: tuple[str, Principal]) -> None:
        kind, who = job
        try:
            if kind == "start":
                conversations.start_conversation(deps, who, None, None)
            else:
                work(who)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            with lock:
                errors.append(exc)

    def watch() -> None:
        """Samples every agent while the race runs: a load above capacity at any moment is a violation."""
        keys = [(f"T#{tenant}#AGENT#{who.id}", "PROFILE") for who in staff]
        while not stop.is_set():
            for agent in AgentItem.batch_get(keys, consistent_read=True):
                sampled.append(agent.pk)
                if not 0 <= agent.active <= CAPACITY:
                    violations.append(f"{agent.pk} holds {agent.active}")
            stop.wait(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, jobs))
        for _ in range(DRAIN_ROUNDS):  # the desks keep working until every chat has ended
            if sum(pool.map(lambda a: work(a), staff)) == 0 and not deps.conversations.waiting_in(
                    tenant, "default", 1):
                break
    stop.set()
    watcher.join()
    assert errors == []
    assert len(set(sampled)) == AGENTS and len(sampled) >= 2 * AGENTS  # the watcher saw every agent, repeatedly

    assigned_twice = [c for c, by in accepted.items() if len(by) > 1]
    over_capacity = list(violations)
    for who in staff:
        held = [link.conversation_id for link in LinkItem.query(f"T#{tenant}#AGENT#{who.id}",
                                                                LinkItem.sk.startswith("CONV#"))]
        agent = deps.agents.get(tenant, who.id)
        assert agent is not None
        if len(held) > CAPACITY or agent.active != len(held):
            over_capacity.append(f"{who.id}: {len(held)} links, active {agent.active}")
    for conversation_id, by in accepted.items():
        stored = deps.conversations.get(tenant, conversation_id)
        assert stored is not None and stored.agent_id in by
    assert (over_capacity, assigned_twice) == ([], [])
    ended = [deps.conversations.open_for_visitor(tenant, v.id) for v in visitors]
    assert sum(1 for still_open in ended if still_open) == 0  # every chat was taken and closed
    assert len(accepted) == CHATS


def test_racing_senders_get_unique_gapless_sequence_numbers(own_aws: str) -> None:
    tenant = own_aws
    deps = bootstrap.container().deps
    visitor = Principal(tenant, "v-race", PrincipalKind.VISITOR)
    conversation = conversations.start_conversation(deps, visitor, None, None)
    per_thread = 4

    def send(thread: int) -> list[int]:
        return [conversations.send_message(deps, visitor, None, conversation.id, f"t{thread}-{n}", f"{thread}/{n}").seq
                for n in range(per_thread)]

    with ThreadPoolExecutor(THREADS) as pool:
        acked = [seq for seqs in pool.map(send, range(THREADS)) for seq in seqs]
    stored = deps.conversations.messages(tenant, conversation.id, 0, 1000)
    assert sorted(acked) == list(range(1, THREADS * per_thread + 1))  # every ack a distinct number, no gap
    assert [m.seq for m in stored] == sorted(acked)  # every acknowledged message is stored
    assert len({m.client_message_id for m in stored}) == len(stored)
