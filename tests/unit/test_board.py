"""The live Production board on in-memory ports: its figures from state, the coalescing of pushes (one per tenant
and second), watching, and a supervisor forcing an agent Away or Offline."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib import ws
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    Principal,
    PrincipalKind,
    Role,
)
from chalicelib.domain.routing import Channel, Group, RoutingConfig
from chalicelib.ports import Deps
from chalicelib.services import agents, board, connections, timers
from tests.unit.fakes import FakeClock, FakePush, FakeTimers, make_deps
from tests.unit.fakes_board import FakeBoardGate

SAM = Principal("demo", "sam", PrincipalKind.AGENT, name="Sam", roles=frozenset({Role.AGENT, Role.SUPERVISOR}))
ALICE = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice", roles=frozenset({Role.AGENT}))
ROUTING = RoutingConfig(groups={"sales": Group("sales", "Sales"), "help": Group("help", "Help")})


@pytest.fixture
def deps() -> Deps:
    d = replace(make_deps("demo"), board=FakeBoardGate())
    tenant = d.tenants.get("demo")
    assert tenant is not None
    d.tenants.put(replace(tenant, routing=ROUTING))
    return d


def clock(deps: Deps) -> FakeClock:
    assert isinstance(deps.clock, FakeClock)
    return deps.clock


def armed(deps: Deps) -> list[str]:
    assert isinstance(deps.timers, FakeTimers)
    return [t.kind for t, _ in deps.timers.armed if t.kind == board.PUSH]


def put_conversation(deps: Deps, cid: str, queue: str, status: ConversationStatus, minutes_ago: int,
                     agent: str | None = None) -> None:
    created = clock(deps).now() - timedelta(minutes=minutes_ago)
    deps.conversations.items[("demo", cid)] = Conversation(  # type: ignore[attr-defined]
        "demo", cid, f"v-{cid}", created, status=status, queue=queue, agent_id=agent,
        queue_shard=0 if status is ConversationStatus.WAITING else None)


def test_the_board_is_computed_from_state_per_queue_per_agent_and_in_total(deps: Deps) -> None:
    now = clock(deps).now()
    deps.agents.put(Agent("demo", "alice", "Alice", status=AgentStatus.AVAILABLE, capacity=2, active=1,
                          queues=("sales",), status_since=now - timedelta(seconds=90)))
    deps.agents.put(Agent("demo", "bob", "Bob", status=AgentStatus.AWAY, capacity=1, queues=("sales", "help"),
                          takes_calls=True, call_capacity=1, call_active=0, status_since=now - timedelta(minutes=5)))
    deps.agents.put(Agent("demo", "carl", "carl", status=AgentStatus.OFFLINE, queues=("help",)))
    put_conversation(deps, "w1", "sales", ConversationStatus.WAITING, 7)
    put_conversation(deps, "w2", "sales", ConversationStatus.WAITING, 2)
    put_conversation(deps, "a1", "sales", ConversationStatus.ASSIGNED, 30, agent="alice")
    put_conversation(deps, "s1", "help", ConversationStatus.SNOOZED, 60, agent="bob")
    put_conversation(deps, "r1", "help", ConversationStatus.RESERVED, 60, agent="bob")
    put_conversation(deps, "c1", "help", ConversationStatus.CLOSED, 60, agent="bob")

    got = board.compute(deps, "demo")

    assert got["queues"] == [
        {"id": "sales", "name": "Sales", "waiting": 2, "oldest_since": "2026-11-21T08:53:00Z",
         "oldest_wait_seconds": 420, "in_progress": 1, "snoozed": 0, "reserved": 0, "overdue": 0,
         "stuck": None},  # Alice has room: the oldest is about to be offered
        {"id": "help", "name": "Help", "waiting": 0, "oldest_since": None, "oldest_wait_seconds": None,
         "in_progress": 0, "snoozed": 1, "reserved": 1, "overdue": 0, "stuck": None},
    ]
    assert got["totals"] == {"waiting": 2, "in_progress": 1, "snoozed": 1, "reserved": 1, "live_calls": 0,
                             "agents_online": 2, "agents_available": 1, "agents_on_contact": 1, "agents_away": 1}
    assert [a["id"] for a in got["agents"]] == ["alice", "bob", "carl"]  # by name
    alice, bob, carl = got["agents"]
    assert alice == {
        "id": "alice", "name": "Alice", "status": "available", "status_since": "2026-11-21T08:58:30Z",
        "seconds_in_state": 90,
        "load": {"chat": {"active": 1, "capacity": 2}, "call": {"active": 0, "capacity": 0},
                 "email": {"active": 0, "capacity": 0}},
        "in_progress": 1, "snoozed": 0, "available": True, "on_contact": True}
    assert (bob["seconds_in_state"], bob["snoozed"], bob["load"]["call"]) == (300, 1, {"active": 0, "capacity": 1})
    assert (carl["status"], carl["status_since"], carl["seconds_in_state"]) == ("offline", None, None)
    assert got["at"] == "2026-11-21T09:00:00Z" and got["truncated"] is False


def test_the_board_says_why_a_queue_is_stuck_and_what_is_overdue(deps: Deps) -> None:
    """The stuck list on the board: the oldest waiting conversation's reason (as the Waiting view says it), and the
    held conversations past their end, from what the board reads anyway."""
    from dataclasses import replace

    from chalicelib.domain.model import Reservation

    now = clock(deps).now()
    deps.agents.put(Agent("demo", "bob", "Bob", status=AgentStatus.AWAY, queues=("sales", "help")))
    put_conversation(deps, "w1", "sales", ConversationStatus.WAITING, 7)
    put_conversation(deps, "r1", "help", ConversationStatus.RESERVED, 60, agent="bob")
    key = ("demo", "w1")
    deps.conversations.items[key] = replace(deps.conversations.items[key], declines=3)  # type: ignore[attr-defined]
    late = replace(deps.conversations.items[("demo", "r1")],  # type: ignore[attr-defined]
                   reservation=Reservation("res", now - timedelta(minutes=6)))
    deps.conversations.items[("demo", "r1")] = late  # type: ignore[attr-defined]

    sales, help_queue = board.compute(deps, "demo")["queues"]

    assert sales["stuck"] == {"reason": "no_eligible_agent_online",
                              "text": "No eligible agent online (offered and declined 3 times)"}
    assert (help_queue["stuck"], help_queue["overdue"]) == (None, 1)


@pytest.mark.parametrize(("status", "load", "in_progress", "online", "available", "on_contact"), [
    (AgentStatus.AVAILABLE, {"active": 0}, 0, True, True, False),
    (AgentStatus.AVAILABLE, {"active": 1}, 1, True, True, True),  # a free chat slot left: still available
    (AgentStatus.AVAILABLE, {"active": 2}, 2, True, False, True),  # every slot taken: not available
    (AgentStatus.AVAILABLE, {"active": 2, "email_capacity": 1}, 2, True, True, True),  # an email slot is free
    (AgentStatus.AWAY, {"active": 0}, 0, True, False, False),
    (AgentStatus.AWAY, {"active": 1}, 1, True, False, True),  # away with a chat still on the desk
    (AgentStatus.OFFLINE, {"active": 0}, 0, False, False, False),
])
def test_connect_meanings_of_online_available_and_on_contact(
        status: AgentStatus, load: dict[str, int], in_progress: int, online: bool, available: bool,
        on_contact: bool) -> None:
    agent = Agent("demo", "a", "A", status=status, capacity=2, **load)
    row = board.agent_row(agent, {"in_progress": in_progress}, FakeClock().now())
    assert (row["status"] != "offline", row["available"], row["on_contact"]) == (online, available, on_contact)


def test_changes_arm_one_push_per_tenant_and_second_and_none_while_nobody_watches(deps: Deps) -> None:
    for _ in range(5):
        board.changed(deps, "demo")
    assert armed(deps) == []  # nobody watches: nothing armed
    board.watch(deps, SAM, "sam-1")
    for _ in range(50):
        board.changed(deps, "demo")
    assert armed(deps) == [board.PUSH]  # a burst in one second: one push
    clock(deps).advance(seconds=0.999)
    board.changed(deps, "demo")
    assert len(armed(deps)) == 1
    clock(deps).advance(seconds=0.001)
    board.changed(deps, "demo")
    board.changed(deps, "other")  # another tenant has its own gate (and nobody watches it)
    assert len(armed(deps)) == 2
    assert isinstance(deps.timers, FakeTimers)
    timer, fire_at = deps.timers.armed[-1]
    assert (timer.tenant, fire_at) == ("demo", clock(deps).now() + timedelta(seconds=1))


def fire_pushes(deps: Deps) -> list[bool]:
    assert isinstance(deps.timers, FakeTimers)
    pending = [t for t, _ in deps.timers.armed if t.kind == board.PUSH]
    deps.timers.armed = [(t, at) for t, at in deps.timers.armed if t.kind != board.PUSH]
    return [timers.fire(deps, json.dumps({"kind": t.kind, "tenant": t.tenant, **t.payload})) for t in pending]


def board_frames(deps: Deps, connection_id: str) -> list[dict[str, object]]:
    assert isinstance(deps.push, FakePush)
    return [f for f in deps.push.to(connection_id) if f["type"] == "board"]


def test_the_push_sends_the_board_to_every_watcher_and_forgets_gone_ones(deps: Deps) -> None:
    deps.agents.put(Agent("demo", "alice", "Alice", queues=("sales",)))
    board.watch(deps, SAM, "sam-1")
    board.watch(deps, SAM, "sam-2")
    put_conversation(deps, "w1", "sales", ConversationStatus.WAITING, 1)
    board.changed(deps, "demo")
    assert isinstance(deps.push, FakePush)
    deps.push.gone.add("sam-2")
    assert fire_pushes(deps) == [True]
    frame = board_frames(deps, "sam-1")[-1]
    assert frame["board"]["totals"]["waiting"] == 1  # type: ignore[index]
    assert isinstance(deps.board, FakeBoardGate)
    assert deps.board.watching["demo"] == {"sam-1"}  # the gone one is forgotten
    board.unwatch(deps, SAM, "sam-1")
    clock(deps).advance(seconds=1)
    board.changed(deps, "demo")
    assert fire_pushes(deps) == [False]  # nobody left: no frame, and the board is marked unwatched
    clock(deps).advance(seconds=1)
    board.changed(deps, "demo")
    assert armed(deps) == [] and len(board_frames(deps, "sam-1")) == 1


def test_agents_and_visitors_may_not_watch_the_board(deps: Deps) -> None:
    with pytest.raises(Forbidden):
        board.watch(deps, ALICE, "alice-1")
    answer = ws.handle(deps, ALICE, "alice-1", json.dumps({"action": "watch_board", "id": 1}))
    assert (answer["type"], answer["code"]) == ("error", "forbidden")
    answer = ws.handle(deps, SAM, "sam-1", json.dumps({"action": "watch_board", "id": 2}))
    assert (answer["type"], answer["action"], set(answer["board"])) == (
        "ack", "watch_board", {"at", "totals", "queues", "agents", "truncated"})
    assert ws.handle(deps, SAM, "sam-1", json.dumps({"action": "unwatch_board", "id": 3}))["type"] == "ack"
    assert isinstance(deps.board, FakeBoardGate)
    assert deps.board.watching["demo"] == set()


def test_a_supervisor_disconnecting_stops_watching(deps: Deps) -> None:
    connections.connect(deps, SAM, "sam-1")
    board.watch(deps, SAM, "sam-1")
    connections.disconnect(deps, SAM, "sam-1")
    assert isinstance(deps.board, FakeBoardGate)
    assert deps.board.watching["demo"] == set()


@pytest.mark.parametrize("status", ["away", "offline"])
def test_a_supervisor_forces_an_agent_away_or_offline(deps: Deps, status: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    deps.agents.put(Agent("demo", "alice", "Alice", queues=("sales",)))
    connections.connect(deps, ALICE, "alice-1")
    agents.set_status(deps, ALICE, "available")
    assert deps.routing.ready("demo", Group("sales"), Channel.CHAT, None, 5) == ["alice"]
    board.watch(deps, SAM, "sam-1")
    clock(deps).advance(seconds=3)
    with caplog.at_level(logging.INFO, logger="guichet.board"):
        forced = board.force_status(deps, SAM, "alice", status)
    assert forced.status is AgentStatus(status)
    assert forced.status_since == clock(deps).now()
    assert deps.routing.ready("demo", Group("sales"), Channel.CHAT, None, 5) == []  # no more offers
    assert isinstance(deps.push, FakePush)
    told = [f for f in deps.push.to("alice-1") if f["type"] == "agent.status"][-1]
    assert told["agent"]["status"] == status and told["set_by"] == {"id": "sam", "name": "Sam"}  # type: ignore
    record = next(r for r in caplog.records if r.name == "guichet.board")
    assert (record.by, record.agent_id, record.status, record.was) == (  # type: ignore[attr-defined]
        "sam", "alice", status, "available")
    assert armed(deps)[-1] == board.PUSH  # the board moves


def test_forcing_a_status_is_refused_to_agents_and_checked(deps: Deps) -> None:
    deps.agents.put(Agent("demo", "alice", "Alice", status=AgentStatus.AVAILABLE))
    with pytest.raises(Forbidden):
        board.force_status(deps, ALICE, "alice", "away")
    with pytest.raises(InvalidInput) as bad:
        board.force_status(deps, SAM, "alice", "available")
    assert bad.value.field == "status"
    with pytest.raises(NotFound):
        board.force_status(deps, SAM, "nobody", "away")
    answer = ws.handle(deps, ALICE, "alice-1", json.dumps(
        {"action": "set_agent_status", "id": 1, "agent_id": "alice", "status": "offline"}))
    assert (answer["type"], answer["code"]) == ("error", "forbidden")
    answer = ws.handle(deps, SAM, "sam-1", json.dumps(
        {"action": "set_agent_status", "id": 2, "agent_id": "alice", "status": "offline"}))
    assert (answer["type"], answer["agent"]["status"]) == ("ack", "offline")
    agent = deps.agents.get("demo", "alice")
    assert agent is not None and agent.status is AgentStatus.OFFLINE


def test_state_changes_move_the_board(deps: Deps) -> None:
    """The hooks: an agent's own status change arms the push (one call in agents.set_status)."""
    deps.agents.put(Agent("demo", "alice", "Alice", queues=("sales",)))
    board.watch(deps, SAM, "sam-1")
    agents.set_status(deps, ALICE, "away")
    assert armed(deps) == [board.PUSH]
    fire_pushes(deps)
    assert board_frames(deps, "sam-1")[-1]["board"]["totals"]["agents_away"] == 1  # type: ignore[index]


def test_a_failing_gate_never_fails_the_change(deps: Deps) -> None:
    class Broken(FakeBoardGate):
        def claim(self, *args: object) -> bool:
            raise RuntimeError("table throttled")

    broken = replace(deps, board=Broken())
    broken.agents.put(Agent("demo", "alice", "Alice"))
    assert agents.set_status(broken, ALICE, "away").status is AgentStatus.AWAY


def test_a_chat_s_life_moves_the_board_at_each_step_once() -> None:
    """The hooks: queued (routing.admit), offered (routing._offer, with the status change in the same second),
    accepted (offers.accept), closed (conversations.close_conversation): each step arms one push, whose board
    shows the step."""
    from chalicelib.services import conversations, offers
    from chalicelib.services.conversations import ChatRequest

    deps = replace(make_deps("demo"), board=FakeBoardGate())
    deps.agents.put(Agent("demo", "alice", "Alice", status=AgentStatus.AWAY))
    connections.connect(deps, ALICE, "alice-1")
    board.watch(deps, SAM, "sam-1")
    visitor = Principal("demo", "v1", PrincipalKind.VISITOR)
    chat: list[Conversation] = []

    def offered_id() -> str:
        assert isinstance(deps.push, FakePush)
        return str([f for f in deps.push.to("alice-1") if f["type"] == "offer"][-1]["offer"]["id"])  # type: ignore

    steps = [
        (lambda: chat.append(conversations.start_conversation(deps, visitor, None, ChatRequest(consent=True))),
         {"waiting": 1, "in_progress": 0, "agents_available": 0, "agents_on_contact": 0}),
        (lambda: agents.set_status(deps, ALICE, "available"),
         {"waiting": 0, "in_progress": 0, "agents_available": 1, "agents_on_contact": 0}),
        (lambda: offers.accept(deps, ALICE, chat[0].id, offered_id()),
         {"waiting": 0, "in_progress": 1, "agents_available": 1, "agents_on_contact": 1}),
        (lambda: conversations.close_conversation(deps, ALICE, chat[0].id),
         {"waiting": 0, "in_progress": 0, "agents_available": 1, "agents_on_contact": 0}),
    ]
    for n, (step, expected) in enumerate(steps, 1):
        clock(deps).advance(seconds=1)
        step()
        assert len(armed(deps)) == 1, n  # one push per step (an offer and a status change in one second: one)
        assert fire_pushes(deps) == [True]
        totals = board_frames(deps, "sam-1")[-1]["board"]["totals"]  # type: ignore[index]
        assert {k: totals[k] for k in expected} == expected, n
