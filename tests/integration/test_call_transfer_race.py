"""A transfer offer's endings race (issue 14, CB-10): the target answers twice (a double accept: two deliveries of
their CALL_ANSWERED that missed the SMA invocation store, or the softphone and the line at once), the offer's timer
fires, and the target's desk refuses, all at the same moment, on moto's server in a process of its own. Exactly one
wins, and the conversation and both agents' loads agree with the winner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from chalicelib import bootstrap
from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState, CallPhase, TransferState
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Agent, AgentStatus, Conversation, Offer, Principal, PrincipalKind, VisitorInfo
from chalicelib.domain.routing import Medium
from chalicelib.ports import Deps
from chalicelib.services import call_transfers, callbacks, tenants
from tests.unit.fakes_calls import FakeTelephony

ROUNDS = 12


def offered(deps: Deps, tenant: str, n: int) -> Callback:
    """Round n: alice<n> holds a connected call (its conversation on her desk) whose transfer to bob<n> is
    offered, as transfer_to_agent leaves it."""
    assert deps.callbacks is not None
    now = deps.clock.now()
    for who in (f"alice{n}", f"bob{n}"):
        deps.agents.put(Agent(tenant, who, who.title(), status=AgentStatus.AVAILABLE, takes_calls=True,
                              own_line=f"+3370000{n:04d}", idle_since=now - timedelta(minutes=5)))
    conversation = Conversation(tenant=tenant, id=f"cb{n}-1", visitor_id=f"v{n}", created_at=now,
                                visitor=VisitorInfo(name="Ada"), medium=Medium.INBOUND_CALL.value, queue="default")
    deps.conversations.create(conversation)
    alice = deps.agents.get(tenant, f"alice{n}")
    assert alice is not None
    offer = Offer(id=f"o{n}", agent_id=alice.id, expires_at=now + timedelta(seconds=30))
    deps.assignments.offer(conversation, alice, offer, now)
    deps.assignments.accept(conversation, alice, offer.id, [], now)
    opened = Callback(tenant=tenant, id=f"cb{n}", visitor_id=f"v{n}", phone=f"+336123{n:05d}", name="Ada",
                      mode=CallbackMode.IMMEDIATE, created_at=now)
    deps.callbacks.open(opened, callbacks.daily_limits(tenants.settings_of(deps, tenant).callback, now))
    callback = deps.callbacks.change(tenant, opened.id, {
        "state": CallbackState.CONNECTED, "phase": CallPhase.CONNECTED, "attempt": 1, "agent_id": alice.id,
        "agent_name": alice.name, "agent_call": f"alice-call-{n}", "visitor_call": f"visitor-call-{n}",
        "room": f"room-{n}", "held_since": now, "transfer_id": f"transfer-{n}", "transfer_to": f"bob{n}",
        "transfer_name": f"Bob{n}", "transfer_from": alice.id, "transfer_state": TransferState.OFFERED.value,
        "transfer_call": f"bob-call-{n}"}, expect={"state": CallbackState.BOOKED})
    assert callback is not None
    return callback


def race(deps: Deps, callback: Callback) -> list[bool]:
    """Two accepts, the timer and the refusal at once; whether each won."""
    start = threading.Barrier(4)
    tid, n = callback.transfer_id, callback.id.removeprefix("cb")
    bob = Principal(callback.tenant, callback.transfer_to, PrincipalKind.AGENT)

    def answer() -> bool:
        start.wait()
        return call_transfers.accept(deps, callback, tid, f"bob-call-{n}") is not None

    def time_out() -> bool:
        start.wait()
        return call_transfers.expired(deps, callback.tenant, {"callback_id": callback.id, "transfer_id": tid})

    def refuse() -> bool:
        start.wait()
        try:
            return call_transfers.refuse(deps, bob, callback.call_conversation_id, tid) is not None
        except Conflict:
            return False

    with ThreadPoolExecutor(4) as pool:
        return [f.result() for f in [pool.submit(answer), pool.submit(answer), pool.submit(time_out),
                                     pool.submit(refuse)]]


def test_of_a_double_accept_a_timeout_and_a_refusal_exactly_one_wins(own_aws: str) -> None:
    tenant = own_aws
    deps = replace(bootstrap.container().deps, telephony=FakeTelephony())
    assert deps.callbacks is not None
    violations: list[str] = []
    for n in range(ROUNDS):
        results = race(deps, offered(deps, tenant, n))
        if sum(results) != 1:
            violations.append(f"round {n}: {sum(results)} winners {results}")
        final = deps.callbacks.get(tenant, f"cb{n}")
        held = deps.conversations.get(tenant, f"cb{n}-1")
        loads = tuple(getattr(deps.agents.get(tenant, who), "call_active", -1) for who in (f"alice{n}", f"bob{n}"))
        assert final is not None and held is not None
        if results[0] or results[1]:
            expected = (TransferState.ACCEPTED, f"bob{n}", f"bob{n}", (0, 1))
        else:
            state = TransferState.TIMED_OUT if results[2] else TransferState.REFUSED
            expected = (state, f"alice{n}", f"alice{n}", (1, 0))
        if (final.transfer_state, final.agent_id, held.agent_id, loads) != expected:
            violations.append(f"round {n}: {(final.transfer_state, final.agent_id, held.agent_id, loads)}")
    assert violations == []
