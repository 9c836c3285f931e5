"""The live Production board against moto's server: many threads changing state at once arm at most one push a
second per tenant (the gate's conditional write, adapters/board_gate.py), a watcher gets the `board` frames through
the timer queue, and the last frame's figures equal the state."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind, Role
from chalicelib.ports import Deps, Timer
from chalicelib.services import agents, board
from local.timer_pump import TimerPump

THREADS = 8
AGENTS = 8
BURST_SECONDS = 3.5


def supervisor(tenant: str) -> Principal:
    return Principal(tenant, "sam", PrincipalKind.AGENT, name="Sam", roles=frozenset({Role.AGENT, Role.SUPERVISOR}))


def agent(tenant: str, n: int) -> Principal:
    return Principal(tenant, f"a{n}", PrincipalKind.AGENT, name=f"Agent {n}", roles=frozenset({Role.AGENT}))


@dataclass
class RecordingTimers:
    """Records the board's pushes armed (when, by the real clock) instead of sending them."""

    armed: list[tuple[float, datetime]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        if timer.kind == board.PUSH:
            with self.lock:
                self.armed.append((time.time(), fire_at))


def burst(deps: Deps, tenant: str, seconds: float, at_least: int = 0) -> int:
    """THREADS threads toggle their agents' status (each toggle moves the board) for `seconds`, and each at least
    `at_least` times however loaded the machine is; the changes made."""
    made = [0] * THREADS
    stop = time.monotonic() + seconds

    def toggle(n: int) -> None:
        who = agent(tenant, n)
        while time.monotonic() < stop or made[n] < at_least:
            agents.set_status(deps, who, "away" if made[n] % 2 == 0 else "available")
            made[n] += 1

    threads = [threading.Thread(target=toggle, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(made)


def agents_of(deps: Deps, tenant: str) -> None:
    for n in range(AGENTS):
        deps.agents.put(Agent(tenant, f"a{n}", f"Agent {n}", status=AgentStatus.AVAILABLE))


def test_many_threads_changing_state_arm_at_most_one_push_per_second(stack: Any, tenant: str) -> None:
    recording = RecordingTimers()
    deps = replace(bootstrap.container().deps, timers=recording)
    agents_of(deps, tenant)
    made = burst(deps, tenant, 1.0, at_least=2)
    assert made >= 2 * THREADS and recording.armed == []  # nobody watches: changes arm nothing
    board.watch(deps, supervisor(tenant), "sam-burst")
    started = time.monotonic()
    made = burst(deps, tenant, BURST_SECONDS, at_least=4)  # a loaded machine makes the burst longer, not thinner
    lasted = time.monotonic() - started
    pushes = sorted(recording.armed)
    assert made >= 4 * THREADS
    assert 3 <= len(pushes) <= lasted + 1  # a push each second of the burst, never more
    due = [fire_at for _, fire_at in pushes]
    assert all((later - earlier).total_seconds() >= 1 for earlier, later in pairwise(due))
    # Counted on the gate's clock (the second each winning claim was made in: its due time less the period), not on
    # when the arming thread got to run, which a loaded machine delays and bunches.
    per_second: dict[int, int] = {}
    for _, fire_at in pushes:
        claimed = int((fire_at - board.PERIOD).timestamp())
        per_second[claimed] = per_second.get(claimed, 0) + 1
    assert max(per_second.values()) == 1


def test_a_watcher_gets_at_most_a_frame_a_second_and_the_last_equals_the_state(stack: Any, tenant: str) -> None:
    deps = bootstrap.container().deps
    agents_of(deps, tenant)
    first = board.watch(deps, supervisor(tenant), "sam-live")
    assert first["totals"]["agents_available"] == AGENTS
    pump = TimerPump(lambda_app.on_timer, queue_url=stack.env["TIMER_QUEUE_URL"],
                     schedule_group=stack.env["SCHEDULE_GROUP"], endpoint_url=stack.env["AWS_ENDPOINT_URL"])
    pumping = threading.Event()

    def pump_loop() -> None:
        while not pumping.is_set():
            pump.pump_once()
            time.sleep(0.1)

    pumper = threading.Thread(target=pump_loop)
    pumper.start()
    started = time.monotonic()
    try:
        burst(deps, tenant, BURST_SECONDS)
        agents.set_status(deps, agent(tenant, 0), "offline")  # a last change, after the burst
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frames = stack.connections.of("sam-live", "board")
            if frames and frames[-1]["board"]["agents"][0]["status"] == "offline":
                break
            time.sleep(0.2)
    finally:
        pumping.set()
        pumper.join()
    elapsed = time.monotonic() - started
    frames = stack.connections.of("sam-live", "board")
    assert 2 <= len(frames) <= elapsed + 1
    stamps = [datetime.fromisoformat(f["board"]["at"].replace("Z", "+00:00")) for f in frames]
    assert stamps == sorted(stamps)
    last, now = frames[-1]["board"], board.compute(deps, tenant)
    assert last["totals"] == now["totals"]
    assert [(a["id"], a["status"]) for a in last["agents"]] == [(a["id"], a["status"]) for a in now["agents"]]
    statuses = {a.id: a.status for a in deps.agents.get_many(tenant, [f"a{n}" for n in range(AGENTS)])}
    assert now["totals"]["agents_online"] == sum(1 for s in statuses.values() if s is not AgentStatus.OFFLINE)
    assert now["totals"]["agents_away"] == sum(1 for s in statuses.values() if s is AgentStatus.AWAY)
    assert statuses["a0"] is AgentStatus.OFFLINE


def test_the_gate_forgets_a_board_nobody_watches_unless_someone_watched_meanwhile(stack: Any, tenant: str) -> None:
    gate = bootstrap.container().deps.board
    assert gate is not None
    now = datetime.now(UTC)
    assert gate.claim(tenant, now, now + board.PERIOD) is False  # never watched
    gate.watch(tenant, "w1", now)
    gate.unwatch(tenant, "w1")
    watchers, revision = gate.watchers(tenant)
    assert watchers == []
    gate.watch(tenant, "w2", now)  # someone watches after the push read the watchers
    gate.forget_if_unwatched(tenant, revision)  # refused: the revision moved
    assert gate.claim(tenant, now, now + board.PERIOD) is True
    assert gate.claim(tenant, now + timedelta(milliseconds=999), now + board.PERIOD) is False  # armed already
    gate.unwatch(tenant, "w2")
    watchers, revision = gate.watchers(tenant)
    assert watchers == []
    gate.forget_if_unwatched(tenant, revision)
    later = now + timedelta(seconds=2)
    assert gate.claim(tenant, later, later + board.PERIOD) is False  # unwatched: changes cost one read
