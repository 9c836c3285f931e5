"""The phone line that the call tests share (issues 13 and 14): the app's deps on moto's server with the phone
emulator (local/phone.py) serving the Chime SDK APIs and driving the SMA handler, every invocation delivered twice;
timers recorded and fired twice at a clock the test moves. `line` is a fixture (registered in conftest.py); `hire`
adds an agent with their own line, `ask` asks for an immediate callback and starts it, `until` waits for a state."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.chime import ChimeTelephony
from chalicelib.domain.callbacks.model import Callback
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind, Role
from chalicelib.ports import Deps, Timer
from chalicelib.services import call_audio, call_flow, callbacks, calls, tenants, timers
from chalicelib.services.callbacks import CallbackRequest
from local.phone import PhoneExchange, Script, serving
from local.phone_media import silent_wav

VISITOR = "+33612345678"
ALICE, BOB = "+33700000001", "+33700000002"
ANSWER = Script("answer", after_seconds=0.05)


class MovableClock:
    """The real time, moved forward on demand (a retry 5 minutes later is due at once)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class RecordedTimers:
    armed: list[tuple[Timer, datetime]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        with self.lock:
            self.armed.append((timer, fire_at))


@dataclass
class Line:
    deps: Deps
    exchange: PhoneExchange
    clock: MovableClock
    timers: RecordedTimers
    tenant: str

    def fire_due(self, kind: str | None = None) -> int:
        """Fires the timers now due (of `kind`), each twice, oldest first."""
        with self.timers.lock:
            now = self.clock.now()
            due = [(t, at) for t, at in self.timers.armed if at <= now and kind in (None, t.kind)]
            self.timers.armed = [item for item in self.timers.armed if item not in due]
        for timer, _ in sorted(due, key=lambda item: item[1]):
            body = json.dumps({"kind": timer.kind, "tenant": timer.tenant, **timer.payload})
            timers.fire(self.deps, body)
            timers.fire(self.deps, body)
        return len(due)

    def callback(self, callback_id: str) -> Callback:
        found = self.deps.callbacks.get(self.tenant, callback_id) if self.deps.callbacks else None
        assert found is not None
        return found

    def dials_to(self, number: str) -> int:
        return sum(1 for call in list(self.exchange.calls.values()) if call.to_number == number)

    def agent(self, agent_id: str) -> Agent:
        found = self.deps.agents.get(self.tenant, agent_id)
        assert found is not None
        return found


def until(check: Callable[[], bool], timeout: float = 10, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.02)


@pytest.fixture
def line(stack: Any, tenant: str) -> Iterator[Line]:
    real = bootstrap.container().deps
    clock, recorded = MovableClock(), RecordedTimers()
    holder: dict[str, Deps] = {}

    def sma_handler(event: dict[str, Any]) -> dict[str, Any]:  # what app.sma_handler runs, with these deps
        deps = holder["deps"]
        return calls.on_sma_event(deps, event, call_flow.flow_for(deps))

    exchange = PhoneExchange(sma_handler, ring_timeout=0.6, audio_scale=0.01, deliver_twice=True)
    with serving(exchange) as url:
        telephony = ChimeTelephony("local-sma", "+15550100000", "us-east-1", endpoint_url=url)
        deps = replace(real, telephony=telephony, clock=clock, timers=recorded)
        holder["deps"] = deps
        admin = Principal(tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))
        tenants.change_settings(deps, admin, {"callback": {"country": "FR", "allowed_countries": ["FR"]}})
        call_audio.upload(deps, admin, "hold_music", base64.b64encode(silent_wav(0.5)).decode())
        yield Line(deps, exchange, clock, recorded, tenant)
        exchange.reset()


def hire(line: Line, agent_id: str, number: str, idle_minutes: int = 0) -> None:
    line.deps.agents.put(Agent(line.tenant, agent_id, agent_id.title(), status=AgentStatus.OFFLINE, takes_calls=True,
                               own_line=number, auto_answer_seconds=20))
    line.deps.agents.set_status(line.tenant, agent_id, AgentStatus.AVAILABLE,
                                line.clock.now() - timedelta(minutes=10 - idle_minutes))


def ask(line: Line, visitor: str = "v-1") -> Callback:
    who = Principal(line.tenant, visitor, PrincipalKind.VISITOR)
    asked = callbacks.request_callback(line.deps, who, CallbackRequest(phone=VISITOR, name="Ada", when="now"))
    assert line.fire_due() == 1
    return asked
