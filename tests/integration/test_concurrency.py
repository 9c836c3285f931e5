"""Invariants 1, 2 and 4 under concurrency: threads race against moto's DynamoDB server and the test counts
violations (expected: zero)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import LinkItem
from chalicelib.domain.model import Agent, ConversationStatus, Principal, PrincipalKind
from chalicelib.services import agents, conversations

THREADS = 16
AGENTS = 6
CAPACITY = 3
VISITORS = 48


def test_racing_visitors_and_agents_never_over_assign(tenant: str) -> None:
    deps = bootstrap.container().deps
    staff = [Principal(tenant, f"a{n}", PrincipalKind.AGENT, name=f"A{n}") for n in range(AGENTS)]
    for who in staff:
        deps.agents.put(Agent(tenant=tenant, id=who.id, name=who.name, capacity=CAPACITY))
    visitors = [Principal(tenant, f"v{n}", PrincipalKind.VISITOR) for n in range(VISITORS)]
    rng = random.Random(7)
    jobs: list[tuple[str, Principal, str | None]] = [("start", v, None) for v in visitors]
    for _ in range(3):  # agents flip between Available and Away while visitors arrive
        jobs += [("status", a, s) for a in staff for s in ("available", "away")]
    jobs += [("status", a, "available") for a in staff]
    rng.shuffle(jobs)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: tuple[str, Principal, str | None]) -> None:
        kind, who, status = job
        try:
            if kind == "start":
                conversations.start_conversation(deps, who, None, None)
            else:
                agents.set_status(deps, who, status)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            with lock:
                errors.append(exc)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, jobs))
    # The last jobs left every agent Available; whoever still has room pulls what waits.
    for who in staff:
        agents.set_status(deps, who, "available")
    assert errors == []

    holders: Counter[str] = Counter()
    over_capacity = 0
    for who in staff:
        held = [link.conversation_id for link in LinkItem.query(f"T#{tenant}#AGENT#{who.id}",
                                                                LinkItem.sk.startswith("CONV#"))]
        holders.update(held)
        agent = deps.agents.get(tenant, who.id)
        assert agent is not None
        over_capacity += len(held) > CAPACITY or agent.active != len(held)
        for conversation_id in held:
            stored = deps.conversations.get(tenant, conversation_id or "")
            assert stored is not None and stored.agent_id == who.id
    assigned_twice = sum(1 for n in holders.values() if n > 1)
    assert (over_capacity, assigned_twice) == (0, 0)
    assert sum(holders.values()) == AGENTS * CAPACITY  # every slot filled, since more visitors than slots
    waiting = [v for v in visitors
               if deps.conversations.open_for_visitor(tenant, v.id)[0].status is ConversationStatus.WAITING]
    assert len(waiting) == VISITORS - AGENTS * CAPACITY


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
