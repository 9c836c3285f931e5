"""A seeded history of conversations driven through the real services, and the log of what happened (issue 15's
report oracle).

`History` plays a contact centre on a controllable clock: visitors start chats in several queues, agents accept the
offers, write, snooze, transfer and close, visitors write back, rate and answer the NPS question, sometimes after
local midnight. Every step goes through `chalicelib/services` (the same calls the routes make) against moto's server.
While driving, it writes down in `log` what happened, when and by whom, in plain `Event`s: the raw material of the
naive figures (tests/integration/report_naive.py), which never read the product's items or facts.

Conversations run one after another (the next starts once the previous one is closed), so that routing's choices
stay simple to follow; ratings and NPS answers come later, while the next conversations run. Every random choice
comes from one `random.Random(seed)`: the same seed gives the same history.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.callbacks.settings import callback_settings_from_json
from chalicelib.domain.model import Agent, Conversation, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.ports import Deps, Timer
from chalicelib.services import agents as agent_service
from chalicelib.services import callbacks, conversations, holding, offers, routing_admin, surveys, tenants
from chalicelib.services.callbacks import CallbackRequest
from chalicelib.services.conversations import ChatRequest

#: Queues (one distribution group each) and who works in them. `quick` is synchronous (threshold 0: a chat waits
#: only while an agent has it on offer, and is sent away after the tenant's maximum wait); the others are
#: asynchronous (a chat may wait, be snoozed...).
QUEUES: tuple[str, ...] = ("sales", "billing", "support", "quick")
SYNCHRONOUS = "quick"
TEAM: dict[str, tuple[str, ...]] = {"ann": ("sales", "support"), "bob": ("sales",), "cy": ("billing",),
                                    "dan": ("billing", "support"), "eve": ("support",), "fay": (SYNCHRONOUS,)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SLOT_RANGES = ("09:00-10:00", "14:00-15:00")
MAX_WAIT = 300  # the tenant's maximum wait (the default), after which a synchronous chat's visitor is sent away


class Clock:
    """A clock the test moves by hand (as in test_report_stream.py)."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.current

    def advance(self, **kwargs: float) -> None:
        with self._lock:
            self.current += timedelta(**kwargs)


class Timers:
    """The timers port: armed timers are dropped. No timer is due in this history: offers are accepted within the
    acceptance interval, snoozes are woken by the visitor before they end, reservations taken at once."""

    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        pass


@dataclass(frozen=True)
class Event:
    """One thing that happened, as the driver saw it.

    kinds: `visitor` (a visitor message), `agent` (an agent's message, by `agent`), `enqueued` (waits for an agent
    in `queue`: in the queue itself, or reserved for one agent after a transfer or a kept snooze), `left` (the
    visitor gave up waiting),
    `accepted` (an offer accepted by `agent`, from `queue`: a contact starts), `ended` (the contact ended, `value`
    its reason: transfer, snooze, close), `closed` (closed by `agent`, in `queue`), `survey_sent` (the end screen's
    survey, `value` True when it asks the NPS question too), `rated` (`value` 1-5), `nps` (`value` 0-10);
    for a callback (`conversation` is then its id): `cb_requested` (booked in a slot of the time range `value`),
    `cb_cancelled`."""

    conversation: str
    kind: str
    at: datetime
    agent: str = ""
    queue: str = ""
    value: Any = None


@dataclass
class History:
    tenant: str
    deps: Deps
    clock: Clock
    rng: random.Random
    log: list[Event] = field(default_factory=list)
    nps_on: bool = False
    _later: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    # -- set-up --------------------------------------------------------------------------------------------------

    @staticmethod
    def configure(deps: Deps, tenant: str, zone: str) -> None:
        """The tenant's queues (one group each, asynchronous), offers that wait 10 minutes, and its time zone."""
        boss = admin(tenant)
        routing_admin.replace_routing_config(deps, boss, {
            "groups": [{"id": q, "threshold": 0 if q == SYNCHRONOUS else 50} for q in QUEUES],
            "rules": [{"id": q, "groups": [q], "match": {"queue": q}} for q in QUEUES]})
        tenants.change_settings(deps, boss, {"acceptance_seconds": 600, "reject_allowed": True,
                                             "max_wait_seconds": MAX_WAIT})
        found = deps.tenants.get(tenant)
        assert found is not None
        # Callbacks at a time, every day 09:00-10:00 and 14:00-15:00 on the tenant's clock (its zone is the slots').
        callback = callback_settings_from_json({
            "slots": [{"weekday": day, "start": start, "end": end, "capacity": 40} for day in WEEKDAYS
                      for start, end in (("09:00", "10:00"), ("14:00", "15:00"))],
            "holidays": [], "time_zone": zone, "horizon_days": 8, "country": "FR", "immediate": "off",
            "scheduled": "always", "per_visitor_daily": 3, "per_number_daily": 3}, found.settings.callback)
        deps.tenants.put(replace(found, settings=replace(found.settings, callback=callback)))

    def hire_team(self) -> None:
        """The agents of TEAM, available. No desk is connected: routing offers to an available agent all the same,
        and nothing is pushed (a push costs a request to moto's server, which the history has no use for)."""
        for agent_id, groups in TEAM.items():
            self.deps.agents.put(Agent(tenant=self.tenant, id=agent_id, name=agent_id.upper(), queues=groups,
                                       capacity=5, idle_since=self.clock.now() - timedelta(hours=1)))
            agent_service.set_status(self.deps, self.agent(agent_id), "available")

    def agent(self, agent_id: str) -> Principal:
        return Principal(self.tenant, agent_id, PrincipalKind.AGENT, name=agent_id.upper(),
                         roles=frozenset({Role.AGENT}))

    def set_nps(self, enabled: bool) -> None:
        tenants.change_settings(self.deps, admin(self.tenant), {"nps_enabled": enabled})
        self.nps_on = enabled

    # -- time ----------------------------------------------------------------------------------------------------

    def wait(self, seconds: float) -> None:
        """Let `seconds` pass (whole seconds: messages are stamped to the millisecond), doing on the way what
        visitors do later (their ratings and NPS answers), each at its own time."""
        target = self.clock.now() + timedelta(seconds=round(seconds))
        self.run_later_until(target)
        self.clock.current = target

    def later(self, at: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self._later, (at, next(self._order), action))

    def run_later_until(self, target: datetime) -> None:
        while self._later and self._later[0][0] <= target:
            at, _, action = heapq.heappop(self._later)
            self.clock.current = max(self.clock.current, at)
            action()

    def finish(self) -> None:
        """Everything still to come (the last ratings) happens."""
        if self._later:
            self.run_later_until(max(at for at, _, _ in self._later))

    # -- one conversation ----------------------------------------------------------------------------------------

    def conversation(self) -> str:
        """One conversation from the visitor's first message to its close (and its survey, later); its id."""
        rng = self.rng
        queue = rng.choices(QUEUES, weights=(5, 3, 4, 2))[0]
        visitor = Principal(self.tenant, f"v-{uuid.uuid4().hex[:10]}", PrincipalKind.VISITOR)
        # Every agent of an asynchronous queue is away: the visitor waits in the queue.
        held = queue != SYNCHRONOUS and rng.random() < 0.1
        if held:
            for agent_id in members(queue):
                agent_service.set_status(self.deps, self.agent(agent_id), "away")
        started = conversations.start_conversation(self.deps, visitor, None, ChatRequest(
            message={"client_message_id": uuid.uuid4().hex[:8], "text": "Hello"}, consent=True, queue=queue))
        cid = started.id
        self.note(cid, "visitor")
        self.note(cid, "enqueued", queue=queue)
        if held:
            assert started.status is ConversationStatus.WAITING, started.status
            self.wait(rng.randint(30, 1500))
            back = rng.choice(members(queue))
            agent_service.set_status(self.deps, self.agent(back), "available")
            for agent_id in members(queue):
                if agent_id != back:
                    agent_service.set_status(self.deps, self.agent(agent_id), "available")
        if queue == SYNCHRONOUS and rng.random() < 0.35:
            self.sent_away(cid)
            return cid
        agent_id = self.take(cid, queue)
        if rng.random() < 0.08:  # handed on before any answer: the first response is the next agent's
            self.wait(rng.randint(5, 120))
            agent_id, queue = self.transfer(cid, agent_id, queue)
        for _ in range(rng.choices((0, 1, 2), weights=(6, 3, 1))[0]):
            agent_id, queue = self.turn(cid, visitor, agent_id, queue, snooze=started.asynchronous)
        if rng.random() < 0.85:
            self.wait(self.reply_seconds())
            self.say(cid, agent_id)
        self.wait(rng.randint(20, 900))
        closed = conversations.close_conversation(self.deps, self.agent(agent_id), cid)
        assert closed.status is ConversationStatus.CLOSED
        self.note(cid, "ended", agent_id, queue, "close")
        self.note(cid, "closed", agent_id, queue)
        self.note(cid, "survey_sent", agent_id, queue, self.nps_on)
        self.survey_later(cid, visitor, agent_id, queue, self.nps_on)
        return cid

    def take(self, cid: str, queue: str) -> str:
        """The agent it is offered to accepts after a while; who."""
        self.wait(self.rng.choice((2, 5, 10, 20, 30, 45, 60, 90, 150, 400)))
        offered = self.get(cid)
        assert offered.status is ConversationStatus.OFFERED and offered.offer is not None, offered.status
        assert offered.queue == queue, (offered.queue, queue)
        agent_id = offered.offer.agent_id
        offers.accept(self.deps, self.agent(agent_id), cid, offered.offer.id)
        self.note(cid, "accepted", agent_id, queue)
        return agent_id

    def sent_away(self, cid: str) -> None:
        """The agent offered a synchronous chat refuses it (and goes Away, as refusing does); nobody else can take
        it, and the maximum wait sends the visitor away: an abandoned wait. The agent comes back afterwards."""
        created = self.clock.now()
        self.wait(self.rng.randint(3, 40))
        offered = self.get(cid)
        assert offered.status is ConversationStatus.OFFERED and offered.offer is not None, offered.status
        offers.reject(self.deps, self.agent(offered.offer.agent_id), cid, offered.offer.id)
        # The timer is armed at the creation plus the maximum wait, and delivered a few seconds late.
        self.wait((created - self.clock.now()).total_seconds() + MAX_WAIT + self.rng.randint(0, 5))
        assert conversations.wait_expired(self.deps, self.tenant, {"conversation_id": cid})
        self.note(cid, "left")
        agent_service.set_status(self.deps, self.agent(offered.offer.agent_id), "available")

    def turn(self, cid: str, visitor: Principal, agent_id: str, queue: str, snooze: bool) -> tuple[str, str]:
        """One exchange, and sometimes a snooze (`snooze`: an asynchronous chat) or a transfer after it: who holds
        it then, and in which queue."""
        rng = self.rng
        self.wait(self.reply_seconds())
        self.say(cid, agent_id)
        roll = rng.random()
        if roll < 0.15 and snooze:  # snoozed; the visitor's answer wakes it, for the same agent or back in the queue
            keep = rng.random() < 0.6
            self.wait(rng.randint(5, 120))
            holding.snooze(self.deps, self.agent(agent_id), cid, duration="24h", keep=keep)
            self.note(cid, "ended", agent_id, queue, "snooze")
            self.wait(rng.randint(300, 5400))
            self.say(cid, None, visitor)
            self.note(cid, "enqueued", queue=queue)  # back in its queue, or reserved for its agent: a wait again
            return self.take(cid, queue), queue
        if roll < 0.27:  # transferred to another queue, or to a colleague
            self.wait(rng.randint(5, 300))
            return self.transfer(cid, agent_id, queue)
        self.wait(rng.randint(10, 600))
        self.say(cid, None, visitor)
        return agent_id, queue

    def transfer(self, cid: str, agent_id: str, queue: str) -> tuple[str, str]:
        """The agent hands the chat to another queue, or to a colleague of the queue, who takes it."""
        if self.rng.random() < 0.5 or queue == SYNCHRONOUS:  # one agent only in the synchronous queue
            target = self.rng.choice([q for q in QUEUES if q != queue])
            holding.transfer(self.deps, self.agent(agent_id), cid, to_queue=target)
            self.note(cid, "ended", agent_id, queue, "transfer")
            self.note(cid, "enqueued", queue=target)
            return self.take(cid, target), target
        colleague = self.rng.choice([a for a in members(queue) if a != agent_id])
        holding.transfer(self.deps, self.agent(agent_id), cid, to_agent=colleague)
        self.note(cid, "ended", agent_id, queue, "transfer")
        self.note(cid, "enqueued", queue=queue)  # reserved for the colleague, until they take it
        return self.take(cid, queue), queue

    def survey_later(self, cid: str, visitor: Principal, agent_id: str, queue: str, nps_asked: bool) -> None:
        """The visitor rates the chat (6 in 10), and answers the NPS question when it is asked (half of them),
        minutes or hours after the close."""
        rng = self.rng
        at = self.clock.now()
        if rng.random() < 0.6:
            at += timedelta(seconds=rng.randint(10, 4 * 3600))
            rating = rng.choices((1, 2, 3, 4, 5), weights=(2, 1, 2, 4, 6))[0]
            self.later(at, lambda: self.rate(cid, visitor, agent_id, queue, rating))
        if nps_asked and rng.random() < 0.5:
            at += timedelta(seconds=rng.randint(5, 1800))
            nps = rng.randint(0, 10)
            self.later(at, lambda: self.answer_nps(cid, visitor, agent_id, queue, nps))

    def rate(self, cid: str, visitor: Principal, agent_id: str, queue: str, score: int) -> None:
        conversations.rate(self.deps, visitor, cid, score)
        self.note(cid, "rated", agent_id, queue, score)

    def answer_nps(self, cid: str, visitor: Principal, agent_id: str, queue: str, score: int) -> None:
        surveys.answer_nps(self.deps, visitor, cid, score)
        self.note(cid, "nps", agent_id, queue, score)

    # -- callbacks -------------------------------------------------------------------------------------------------

    def book_callback(self, zone: str) -> None:
        """A visitor books a callback in a slot of one of the next days; a third of them cancel it hours later.
        No call is ever placed (the timers are dropped): requested, booked per slot and cancelled are what count."""
        rng = self.rng
        visitor = Principal(self.tenant, f"v-{uuid.uuid4().hex[:10]}", PrincipalKind.VISITOR)
        day = self.clock.now().astimezone(ZoneInfo(zone)).date() + timedelta(days=rng.randint(1, 3))
        time_range = rng.choice(SLOT_RANGES)
        phone = f"06 12 34 {rng.randint(10, 99)} {rng.randint(10, 99)}"
        booked = callbacks.request_callback(self.deps, visitor, CallbackRequest(
            phone=phone, name="Visitor", when=f"{day.isoformat()}T{time_range}"))
        self.note(booked.id, "cb_requested", value=time_range)
        if rng.random() < 0.33:
            self.later(self.clock.now() + timedelta(seconds=rng.randint(600, 8 * 3600)),
                       lambda: self.cancel_callback(visitor, booked.id))

    def cancel_callback(self, visitor: Principal, callback_id: str) -> None:
        callbacks.cancel_callback(self.deps, visitor, callback_id)
        self.note(callback_id, "cb_cancelled")

    # -- small steps ---------------------------------------------------------------------------------------------

    def say(self, cid: str, agent_id: str | None, visitor: Principal | None = None) -> None:
        """A message from the agent, or from the visitor."""
        sender = visitor if visitor is not None else self.agent(agent_id or "")
        conversations.send_message(self.deps, sender, None, cid, uuid.uuid4().hex[:8], "words")
        if visitor is not None:
            self.note(cid, "visitor")
        else:
            self.note(cid, "agent", agent_id or "")

    def reply_seconds(self) -> int:
        """How long an agent takes to answer: seconds mostly, minutes often, an hour sometimes."""
        return min(7200, max(1, round(self.rng.lognormvariate(4.0, 1.2))))

    def note(self, cid: str, kind: str, agent: str = "", queue: str = "", value: Any = None) -> None:
        self.log.append(Event(cid, kind, self.clock.now(), agent, queue, value))

    def get(self, cid: str) -> Conversation:
        found = self.deps.conversations.get(self.tenant, cid)
        assert found is not None
        return found


def members(queue: str) -> list[str]:
    return [agent_id for agent_id, groups in TEAM.items() if queue in groups]


def admin(tenant: str) -> Principal:
    return Principal(tenant, "boss", PrincipalKind.AGENT, name="Boss", roles=frozenset({Role.ADMIN}))


def drive(history: History, conversations_count: int, nps_switches: dict[int, bool], zone: str) -> list[str]:
    """`conversations_count` conversations, one after another with a pause between them (in which a visitor
    sometimes books a callback); the NPS question turned on or off before the conversations numbered in
    `nps_switches`. The conversations' ids, in order."""
    ids = []
    for index in range(conversations_count):
        if index in nps_switches:
            history.set_nps(nps_switches[index])
        ids.append(history.conversation())
        history.wait(history.rng.randint(60, 1200))
        if history.rng.random() < 0.15:
            history.book_callback(zone)
        history.wait(history.rng.randint(0, 1200))
    history.finish()
    return ids
