"""Invariants 1, 2 and 4 under concurrency: threads race against moto's DynamoDB server and the test counts
violations (expected: zero)."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import LinkItem
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.model import Agent, AgentStatus, ConversationStatus, Principal, PrincipalKind
from chalicelib.services import agents, conversations, offers

THREADS = 16
AGENTS = 6
CAPACITY = 3
VISITORS = 60
ROUNDS = 12


def test_racing_offers_accepts_rejects_and_closes_never_over_assign(tenant: str) -> None:
    deps = bootstrap.container().deps
    staff = [Principal(tenant, f"a{n}", PrincipalKind.AGENT, name=f"A{n}") for n in range(AGENTS)]
    for who in staff:
        deps.agents.put(Agent(tenant=tenant, id=who.id, name=who.name, capacity=CAPACITY))
        agents.set_status(deps, who, "available")
    visitors = [Principal(tenant, f"v{n}", PrincipalKind.VISITOR) for n in range(VISITORS)]
    rng = random.Random(7)
    jobs: list[tuple[str, Principal]] = [("start", v) for v in visitors]
    jobs += [("work", a) for a in staff for _ in range(ROUNDS)]
    rng.shuffle(jobs)
    errors: list[BaseException] = []
    accepted: dict[str, set[str]] = defaultdict(set)
    lock = threading.Lock()
    stop = threading.Event()
    violations: list[str] = []

    def work(agent: Principal) -> None:
        """An agent answers its offers (mostly accepting), closes a chat now and then, and comes back."""
        for held in deps.conversations.open_for_agent(tenant, agent.id):
            try:
                if held.status is ConversationStatus.OFFERED and held.offer is not None:
                    if rng.random() < 0.85:
                        offers.accept(deps, agent, held.id, held.offer.id)
                        with lock:
                            accepted[held.id].add(agent.id)
                    else:
                        offers.reject(deps, agent, held.id, held.offer.id)
                elif held.status is ConversationStatus.ASSIGNED and rng.random() < 0.5:
                    conversations.close_conversation(deps, agent, held.id, "Resolved")
            except (Conflict, NotFound):
                pass  # lost a race (the same agent's other tab answered first): a normal outcome
        if status_of(agent) is not AgentStatus.AVAILABLE:
            agents.set_status(deps, agent, "available")

    def status_of(agent: Principal) -> AgentStatus:
        found = deps.agents.get(tenant, agent.id)
        assert found is not None
        return found.status

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
        """Samples every agent while the race runs: a slot count above capacity at any moment is a violation."""
        while not stop.is_set():
            for who in staff:
                agent = deps.agents.get(tenant, who.id)
                if agent is not None and not 0 <= agent.active <= CAPACITY:
                    violations.append(f"{who.id} holds {agent.active}")
            stop.wait(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, jobs))
    stop.set()
    watcher.join()
    assert errors == []

    assigned_twice = [c for c, by in accepted.items() if len(by) > 1]
    over_capacity = list(violations)
    for who in staff:
        held = [link.conversation_id for link in LinkItem.query(f"T#{tenant}#AGENT#{who.id}",
                                                                LinkItem.sk.startswith("CONV#"))]
        agent = deps.agents.get(tenant, who.id)
        assert agent is not None
        if len(held) > CAPACITY or agent.active != len(held):
            over_capacity.append(f"{who.id}: {len(held)} links, active {agent.active}")
        for conversation_id in held:
            stored = deps.conversations.get(tenant, conversation_id or "")
            assert stored is not None
            holder = stored.agent_id or (stored.offer.agent_id if stored.offer else None)
            assert holder == who.id, (conversation_id, holder, who.id)
    for conversation_id, by in accepted.items():
        stored = deps.conversations.get(tenant, conversation_id)
        assert stored is not None and stored.agent_id in by
    assert (over_capacity, assigned_twice) == ([], [])
    assert len(accepted) >= AGENTS * CAPACITY  # the race did happen: chats were taken, closed and taken again


def test_racing_senders_get_unique_gapless_sequence_numbers(tenant: str) -> None:
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
