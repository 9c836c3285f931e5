"""Invariant 4 under concurrency: racing senders of one conversation get unique, gapless sequence numbers.

Capacity and ownership (invariants 1 and 2) race in tests/integration/test_routing_race.py: 16 threads, 2,000
conversations offered, accepted, rejected and closed among 50 agents of capacity 6, which covers (and replaced)
the 500-chat race of live chat."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from chalicelib import bootstrap
from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.services import conversations
from chalicelib.services.conversations import ChatRequest

AGREED = ChatRequest(consent=True)  # what the widget sends once the visitor agreed (ASYNC-6)

THREADS = 16


def test_racing_senders_get_unique_gapless_sequence_numbers(own_aws: str) -> None:
    tenant = own_aws
    deps = bootstrap.container().deps
    found = deps.tenants.get(tenant)
    assert found is not None  # 64 messages in a minute: more than a visitor may send by default
    deps.tenants.put(replace(found, settings=replace(found.settings, visitor_messages_per_minute=600)))
    visitor = Principal(tenant, "v-race", PrincipalKind.VISITOR)
    conversation = conversations.start_conversation(deps, visitor, None, AGREED)
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
