"""Asynchronous conversations against moto's server (issue 5: ASYNC-2, ASYNC-3, ASYNC-10 to ASYNC-15): snooze and
its end, the visitor waking a snooze, the 24 h reservation, transfer, a supervisor's release, blocking, and the
debounced email to an away visitor, with a controllable clock and every timer delivered by the test itself, twice.

The mailer is the real SES adapter (`SesMailer`, SES v2 raw message); moto's server runs in this process
(local/moto_server.EmbeddedMoto is a thread), so the tests read what it stored straight from moto's SES backend,
as local/outbox.py does.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import AgentItem, ConversationItem, CounterItem, LinkItem, QueueItem
from chalicelib.adapters.mail import SesMailer
from chalicelib.adapters.timers import timer_body
from chalicelib.domain import links
from chalicelib.domain import sales as sale_rules
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.model import (
    Agent,
    Conversation,
    ConversationStatus,
    Principal,
    PrincipalKind,
    Role,
)
from chalicelib.domain.routing import Group
from chalicelib.ports import AssignmentLost, Deps, Timer
from chalicelib.services import agents as agent_service
from chalicelib.services import (
    conversations,
    follow_up,
    holding,
    notifications,
    offers,
    routing,
    routing_admin,
    sales,
    tenants,
    timers,
)
from chalicelib.services.conversations import Blocked, ChatRequest
from tests.integration.conftest import ConnectionsApi
from tests.integration.mailbox import part, sent_to

# ---------------------------------------------------------------------------------------------------------------
# Shared helpers (kept in this file on purpose)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.current

    def advance(self, **kwargs: float) -> None:
        with self._lock:
            self.current += timedelta(**kwargs)


@dataclass
class Armed:
    timer: Timer
    fire_at: datetime
    delivered: int = 0


class TimerRecorder:
    """A Timers port that keeps what was armed; the test delivers each timer itself."""

    def __init__(self) -> None:
        self.armed: list[Armed] = []
        self._lock = threading.Lock()

    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        with self._lock:
            self.armed.append(Armed(timer, fire_at))

    def of(self, kind: str, conversation_id: str | None = None) -> list[Armed]:
        with self._lock:
            return [a for a in self.armed if a.timer.kind == kind
                    and (conversation_id is None or a.timer.payload.get("conversation_id") == conversation_id)]


@dataclass
class World:
    tenant: str
    deps: Deps
    clock: Clock
    timers: TimerRecorder
    api: ConnectionsApi
    desks: dict[str, str] = field(default_factory=dict)  # agent id -> connection id

    # -- people --------------------------------------------------------------------------------------------------

    def agent(self, agent_id: str, *roles: Role) -> Principal:
        return Principal(self.tenant, agent_id, PrincipalKind.AGENT, name=f"Agent {agent_id.upper()}",
                         roles=frozenset({Role.AGENT, *roles}))

    def visitor(self, visitor_id: str) -> Principal:
        return Principal(self.tenant, visitor_id, PrincipalKind.VISITOR)

    def hire(self, agent_id: str, *, groups: tuple[str, ...] = ("g1",), capacity: int = 3,
             available: bool = True, desk: bool = True) -> Principal:
        who = self.agent(agent_id)
        self.deps.agents.put(Agent(tenant=self.tenant, id=agent_id, name=who.name, queues=groups, capacity=capacity,
                                   idle_since=self.clock.now() - timedelta(hours=1)))
        if desk:
            self.connect(agent_id)
        if available:
            self.status(agent_id, "available")
        return who

    def connect(self, agent_id: str) -> str:
        connection_id = f"desk-{agent_id}-{uuid.uuid4().hex[:8]}"
        self.deps.connections.add(self.agent(agent_id), connection_id, self.clock.now())
        self.desks[agent_id] = connection_id
        return connection_id

    def disconnect(self, agent_id: str) -> None:
        self.deps.connections.remove(self.agent(agent_id), self.desks.pop(agent_id))

    def status(self, agent_id: str, wanted: str) -> Agent:
        return agent_service.set_status(self.deps, self.agent(agent_id), wanted)

    def load(self, agent_id: str) -> Agent:
        found = self.deps.agents.get(self.tenant, agent_id)
        assert found is not None
        return found

    # -- conversations -------------------------------------------------------------------------------------------

    def start(self, visitor_id: str, text: str = "Hello, anyone there?", **request: Any) -> Conversation:
        request.setdefault("page", {"url": "https://shop.example/products?id=7", "title": "Products"})
        request.setdefault("consent", True)  # the visitor agreed (ASYNC-6)
        return conversations.start_conversation(
            self.deps, self.visitor(visitor_id), None,
            ChatRequest(message={"client_message_id": f"m-{uuid.uuid4().hex[:8]}", "text": text}, **request))

    def get(self, conversation_id: str) -> Conversation:
        found = self.deps.conversations.get(self.tenant, conversation_id)
        assert found is not None
        return found

    def accept(self, agent_id: str, conversation_id: str) -> Conversation:
        offered = self.get(conversation_id)
        assert offered.status is ConversationStatus.OFFERED and offered.offer is not None, offered
        assert offered.offer.agent_id == agent_id, (offered.offer.agent_id, agent_id)
        return offers.accept(self.deps, self.agent(agent_id), conversation_id, offered.offer.id)

    def on_desk(self, agent_id: str, visitor_id: str, text: str = "Hello, anyone there?") -> Conversation:
        """A new asynchronous conversation offered to (and accepted by) `agent_id`, who must be the ready one."""
        started = self.start(visitor_id, text)
        assert started.asynchronous
        return self.accept(agent_id, started.id)

    def offers_seen(self, agent_id: str, conversation_id: str) -> list[dict[str, Any]]:
        connection = self.desks.get(agent_id)
        if connection is None:
            return []
        return [f for f in self.api.of(connection, "offer") if f["conversation"]["id"] == conversation_id]

    def waiting_ids(self, group: str) -> list[str]:
        return [c.id for c in self.deps.conversations.waiting_in(self.tenant, group, 50)]

    def queued(self, group: str) -> int:
        return self.deps.routing.counts(self.tenant, [Group(group)])[group].waiting

    def links(self, agent_id: str, prefix: str) -> list[str]:
        return [link.conversation_id or "" for link in LinkItem.query(f"T#{self.tenant}#AGENT#{agent_id}",
                                                                      LinkItem.sk.startswith(prefix),
                                                                      consistent_read=True)]

    # -- timers --------------------------------------------------------------------------------------------------

    def deliver(self, kind: str, conversation_id: str | None = None, *, watch: tuple[str, ...] = ()) -> list[bool]:
        """Deliver every due timer of `kind` not delivered yet, TWICE each: the second delivery must answer False and
        change nothing (the conversation and the agents in `watch` read the same before and after)."""
        results = []
        for armed in self.timers.of(kind, conversation_id):
            if armed.delivered or armed.fire_at > self.clock.now():
                continue
            body = timer_body(armed.timer)
            results.append(timers.fire(self.deps, body))
            armed.delivered += 1
            target = str(armed.timer.payload.get("conversation_id"))
            before = (self.deps.conversations.get(self.tenant, target), [self.load(a) for a in watch])
            again = timers.fire(self.deps, body)
            armed.delivered += 1
            after = (self.deps.conversations.get(self.tenant, target), [self.load(a) for a in watch])
            assert again is False, f"second delivery of {body} acted again"
            assert after == before, f"second delivery of {body} changed the state"
        return results


def admin(tenant: str) -> Principal:
    return Principal(tenant, "boss", PrincipalKind.AGENT, name="Boss", roles=frozenset({Role.ADMIN}))


def supervisor(tenant: str) -> Principal:
    return Principal(tenant, "sup", PrincipalKind.AGENT, name="Sup", roles=frozenset({Role.AGENT, Role.SUPERVISOR}))


def make_world(tenant: str, api: ConnectionsApi, groups: tuple[str, ...] = ("g1", "g2")) -> World:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    recorder = TimerRecorder()
    deps = replace(bootstrap.container().deps, clock=clock, timers=recorder)
    routing_admin.replace_routing_config(deps, admin(tenant), {
        "groups": [{"id": g, "threshold": 10} for g in groups],
        "rules": [{"id": "all", "groups": [groups[0]]}]})
    # Offers are answered by the test; none runs out meanwhile (offer timers are never delivered here).
    tenants.change_settings(deps, admin(tenant), {"acceptance_seconds": 600})
    return World(tenant, deps, clock, recorder, api)


@pytest.fixture
def world(tenant: str, connections_api: ConnectionsApi) -> World:
    return make_world(tenant, connections_api)


# ---------------------------------------------------------------------------------------------------------------
# 1-3. Snooze


@pytest.mark.parametrize("available_at_end", [True, False], ids=["available", "away"])
def test_a_kept_snooze_frees_the_slot_and_comes_back_reserved_then_offered(world: World,
                                                                           available_at_end: bool) -> None:
    a1 = world.hire("a1")
    chat = world.on_desk("a1", "v1")
    assert world.load("a1").active == 1

    snoozed = holding.snooze(world.deps, a1, chat.id, duration="3h", keep=True)
    assert snoozed.status is ConversationStatus.SNOOZED
    stored = world.get(chat.id)
    assert stored.status is ConversationStatus.SNOOZED and stored.agent_id == "a1"
    assert stored.snooze is not None and stored.snooze.kept is True
    assert stored.snooze.until == world.clock.now() + timedelta(hours=3)
    assert world.load("a1").active == 0  # the slot frees at once
    assert world.links("a1", "CONV#") == [] and world.links("a1", "SNZ#") == [chat.id]
    held = holding.agent_held(world.deps, a1)
    assert [c["id"] for c in held["snoozed"]] == [chat.id] and held["reserved"] == []
    assert held["snoozed"][0]["snooze"]["kept"] is True
    [armed] = world.timers.of(holding.SNOOZE_ENDED, chat.id)
    assert armed.fire_at == stored.snooze.until

    world.clock.advance(hours=2, minutes=59)
    assert world.deliver(holding.SNOOZE_ENDED, chat.id) == []  # not due yet: nothing delivered
    assert world.get(chat.id).status is ConversationStatus.SNOOZED
    if not available_at_end:
        world.status("a1", "away")
    world.clock.advance(minutes=1)
    assert world.deliver(holding.SNOOZE_ENDED, chat.id, watch=("a1",)) == [True]

    back = world.get(chat.id)
    if available_at_end:
        assert back.status is ConversationStatus.OFFERED and back.offer is not None and back.offer.agent_id == "a1"
        assert len(world.offers_seen("a1", chat.id)) == 2  # the first offer, and this one
        assert (world.load("a1").active, world.load("a1").reserved) == (1, 0)
        assert world.links("a1", "RSV#") == [] and world.links("a1", "CONV#") == [chat.id]
    else:
        assert back.status is ConversationStatus.RESERVED and back.agent_id == "a1"
        assert back.reservation is not None
        assert back.reservation.until == world.clock.now() + timedelta(hours=24)
        assert (world.load("a1").active, world.load("a1").reserved) == (0, 1)
        assert world.links("a1", "RSV#") == [chat.id] and world.links("a1", "SNZ#") == []
        held = holding.agent_held(world.deps, a1)
        assert held["snoozed"] == [] and [c["id"] for c in held["reserved"]] == [chat.id]
        assert len(world.offers_seen("a1", chat.id)) == 1
        world.status("a1", "available")  # back: the reservation is served before anything else
        back = world.get(chat.id)
        assert back.status is ConversationStatus.OFFERED and back.offer is not None and back.offer.agent_id == "a1"
        assert len(world.offers_seen("a1", chat.id)) == 2
        assert (world.load("a1").active, world.load("a1").reserved) == (1, 0)
    assert chat.id not in world.waiting_ids("g1") and world.queued("g1") == 0
    assert world.accept("a1", chat.id).status is ConversationStatus.ASSIGNED


@pytest.mark.parametrize("ready", [True, False], ids=["agent-ready", "nobody-ready"])
def test_a_snooze_not_kept_ends_in_its_groups_queue(world: World, ready: bool) -> None:
    a1 = world.hire("a1")
    world.hire("a2", available=False)
    chat = world.on_desk("a1", "v1")
    holding.snooze(world.deps, a1, chat.id, duration="24h", keep=False)
    stored = world.get(chat.id)
    assert stored.status is ConversationStatus.SNOOZED and stored.agent_id is None
    assert world.links("a1", "SNZ#") == [] and world.load("a1").active == 0
    assert holding.agent_held(world.deps, a1)["snoozed"] == []
    world.status("a1", "offline")
    if ready:
        world.status("a2", "available")

    world.clock.advance(hours=24)
    assert world.deliver(holding.SNOOZE_ENDED, chat.id, watch=("a1", "a2")) == [True]
    back = world.get(chat.id)
    if ready:
        assert back.status is ConversationStatus.OFFERED and back.offer is not None and back.offer.agent_id == "a2"
        assert len(world.offers_seen("a2", chat.id)) == 1 and world.load("a2").active == 1
        assert world.queued("g1") == 0
    else:
        assert back.status is ConversationStatus.WAITING and back.queue == "g1" and back.agent_id is None
        assert world.waiting_ids("g1") == [chat.id] and world.queued("g1") == 1
        world.status("a2", "available")
        assert world.get(chat.id).offer is not None and world.get(chat.id).offer.agent_id == "a2"  # type: ignore
        assert world.queued("g1") == 0


def test_the_visitor_writing_wakes_a_snooze_at_once_and_the_snooze_end_does_nothing(world: World) -> None:
    a1 = world.hire("a1")
    chat = world.on_desk("a1", "v1")
    holding.snooze(world.deps, a1, chat.id, duration="3h", keep=True)
    world.status("a1", "away")  # so the wake-up shows as a reservation rather than an offer

    world.clock.advance(minutes=20)
    conversations.send_message(world.deps, world.visitor("v1"), None, chat.id, "m-again", "Still there?")
    woken = world.get(chat.id)
    assert woken.status is ConversationStatus.RESERVED and woken.agent_id == "a1" and woken.snooze is None
    assert world.load("a1").reserved == 1 and world.links("a1", "SNZ#") == []
    [reservation_timer] = world.timers.of(holding.RESERVATION_EXPIRED, chat.id)
    assert reservation_timer.fire_at == world.clock.now() + timedelta(hours=24)

    world.clock.advance(hours=3)
    assert world.deliver(holding.SNOOZE_ENDED, chat.id, watch=("a1",)) == [False]
    assert world.get(chat.id) == woken

    world.status("a1", "available")
    assert world.accept("a1", chat.id).status is ConversationStatus.ASSIGNED


def test_a_visitor_writing_into_a_snooze_not_kept_puts_it_in_the_queue(world: World) -> None:
    a1 = world.hire("a1")
    chat = world.on_desk("a1", "v1")
    holding.snooze(world.deps, a1, chat.id, until=(world.clock.now() + timedelta(days=2)).isoformat(), keep=False)
    world.status("a1", "offline")
    conversations.send_message(world.deps, world.visitor("v1"), None, chat.id, "m-again", "Hello?")
    assert world.get(chat.id).status is ConversationStatus.WAITING and world.waiting_ids("g1") == [chat.id]
    world.clock.advance(days=2)
    assert world.deliver(holding.SNOOZE_ENDED, chat.id) == [False]
    assert world.queued("g1") == 1


# ---------------------------------------------------------------------------------------------------------------
# 4. The 24 h reservation


def test_a_reservation_not_taken_goes_to_the_queue_after_reservation_hours(world: World) -> None:
    world.hire("a1", available=False)
    a2 = world.hire("a2")
    chat = world.on_desk("a2", "v1")
    reserved = holding.transfer(world.deps, a2, chat.id, to_agent="a1")
    assert reserved.status is ConversationStatus.RESERVED and world.get(chat.id).agent_id == "a1"
    assert world.load("a1").reserved == 1 and world.load("a2").active == 0
    world.status("a2", "offline")  # nobody ready: the expiry leaves it waiting in the queue
    [armed] = world.timers.of(holding.RESERVATION_EXPIRED, chat.id)
    assert armed.fire_at == world.clock.now() + timedelta(hours=24)

    world.clock.advance(hours=23, minutes=59)
    assert world.deliver(holding.RESERVATION_EXPIRED, chat.id) == []
    assert world.get(chat.id).status is ConversationStatus.RESERVED
    world.clock.advance(minutes=1)
    assert world.deliver(holding.RESERVATION_EXPIRED, chat.id, watch=("a1", "a2")) == [True]

    expired = world.get(chat.id)
    assert expired.status is ConversationStatus.WAITING and expired.agent_id is None and expired.reservation is None
    assert world.waiting_ids("g1") == [chat.id] and world.queued("g1") == 1
    assert world.load("a1").reserved == 0 and world.links("a1", "RSV#") == []
    assert holding.agent_held(world.deps, world.agent("a1"))["reserved"] == []


def test_a_reservation_taken_makes_the_expiry_timer_a_no_op(world: World) -> None:
    world.hire("a1", available=False)
    a2 = world.hire("a2")
    chat = world.on_desk("a2", "v1")
    holding.transfer(world.deps, a2, chat.id, to_agent="a1")
    world.clock.advance(hours=5)
    world.status("a1", "available")
    assert world.accept("a1", chat.id).status is ConversationStatus.ASSIGNED
    taken = world.get(chat.id)

    world.clock.advance(hours=24)
    assert world.deliver(holding.RESERVATION_EXPIRED, chat.id, watch=("a1", "a2")) == [False]
    assert world.get(chat.id) == taken
    assert (world.load("a1").active, world.load("a1").reserved) == (1, 0)


# ---------------------------------------------------------------------------------------------------------------
# 5. Transfer


def test_transfer_to_an_available_agent_an_offline_one_and_a_queue(world: World) -> None:
    a1 = world.hire("a1")
    world.hire("a2", available=False, capacity=1)
    world.hire("a3", available=False)
    chats = [world.on_desk("a1", f"v{n}") for n in range(3)]
    world.status("a1", "away")  # nothing comes back to a1 while it transfers
    world.status("a2", "available")
    assert world.load("a1").active == 3

    # To an Available agent: an offer they may refuse; refused, it waits in its group.
    world.deps.connections.add(world.visitor("v0"), "visitor-v0", world.clock.now())
    holding.transfer(world.deps, a1, chats[0].id, to_agent="a2")
    assert world.load("a1").active == 2
    offered = world.get(chats[0].id)
    assert offered.status is ConversationStatus.OFFERED and offered.offer is not None
    assert offered.offer.agent_id == "a2" and len(world.offers_seen("a2", chats[0].id)) == 1
    assert world.api.of("visitor-v0", "conversation.updated")  # the visitor hears of the transfer
    offers.reject(world.deps, world.agent("a2"), chats[0].id, offered.offer.id)
    refused = world.get(chats[0].id)
    assert refused.status is ConversationStatus.WAITING and refused.queue == "g1"
    assert world.waiting_ids("g1") == [chats[0].id]
    assert (world.load("a2").active, world.load("a2").reserved) == (0, 0)

    # To an Offline agent: reserved for them, offered when they become Available.
    holding.transfer(world.deps, a1, chats[1].id, to_agent="a3")
    assert world.load("a1").active == 1
    reserved = world.get(chats[1].id)
    assert reserved.status is ConversationStatus.RESERVED and reserved.agent_id == "a3"
    assert reserved.reservation is not None and reserved.reservation.transfer_from == "a1"
    assert world.load("a3").reserved == 1 and world.offers_seen("a3", chats[1].id) == []
    assert world.api.of(world.desks["a3"], "conversation.reserved")
    world.status("a3", "available")
    now_offered = world.get(chats[1].id)
    assert now_offered.status is ConversationStatus.OFFERED and now_offered.offer is not None
    assert now_offered.offer.agent_id == "a3" and len(world.offers_seen("a3", chats[1].id)) == 1
    # It pulled its reservation first, then what waits in its group (the refused chat).
    assert [f["conversation"]["id"] for f in world.api.of(world.desks["a3"], "offer")] == [chats[1].id, chats[0].id]
    assert (world.load("a3").active, world.load("a3").reserved) == (2, 0)

    # To another group's queue.
    holding.transfer(world.deps, a1, chats[2].id, to_queue="g2")
    assert world.load("a1").active == 0
    moved = world.get(chats[2].id)
    assert moved.status is ConversationStatus.WAITING and moved.queue == "g2" and moved.agent_id is None
    assert world.waiting_ids("g2") == [chats[2].id] and world.queued("g2") == 1
    assert world.links("a1", "CONV#") == []


def test_an_agent_who_lets_a_conversation_go_does_not_get_it_back_at_once(world: World) -> None:
    """Transferred to its own queue while Available, a conversation goes to another agent of the group, or waits;
    the agent's own pull passes over it (it comes back to them only on a later pull, if still waiting)."""
    a1 = world.hire("a1")
    world.hire("a2", available=False)
    chats = [world.on_desk("a1", f"v{n}") for n in range(2)]
    holding.transfer(world.deps, a1, chats[0].id, to_queue="g1")
    alone = world.get(chats[0].id)
    assert alone.status is ConversationStatus.WAITING and world.load("a1").active == 1
    assert len(world.offers_seen("a1", chats[0].id)) == 1  # only the first offer, before the transfer
    world.status("a2", "available")  # another agent of the group takes it
    taken = world.get(chats[0].id)
    assert taken.status is ConversationStatus.OFFERED and taken.offer is not None and taken.offer.agent_id == "a2"

    # Released by a supervisor while a1, no longer connected, is still Available: a2 gets it, not a1.
    for connection_id in world.deps.connections.of(world.agent("a1")):
        world.deps.connections.remove(world.agent("a1"), connection_id)
    holding.release(world.deps, supervisor(world.tenant), chats[1].id)
    released = world.get(chats[1].id)
    assert released.status is ConversationStatus.OFFERED and released.offer is not None
    assert released.offer.agent_id == "a2" and len(world.offers_seen("a1", chats[1].id)) == 1


def test_the_agent_directory_lists_the_members_of_the_tenants_groups(world: World) -> None:
    world.hire("a1", groups=("g1",))
    world.hire("a2", groups=("g2",), available=False)
    found = agent_service.directory(world.deps, world.agent("a1"))
    assert [(a.id, a.status.value) for a in found] == [("a1", "available"), ("a2", "offline")]
    with pytest.raises(Forbidden):
        agent_service.directory(world.deps, world.visitor("v1"))


def test_transfer_is_refused_for_a_conversation_not_on_the_callers_desk(world: World) -> None:
    world.hire("a1")
    a2 = world.hire("a2", available=False)
    chat = world.on_desk("a1", "v1")
    with pytest.raises((NotFound, Conflict)):
        holding.transfer(world.deps, a2, chat.id, to_agent="a2")
    with pytest.raises(InvalidInput):
        holding.transfer(world.deps, world.agent("a1"), chat.id, to_queue="nowhere")
    assert world.get(chat.id).status is ConversationStatus.ASSIGNED and world.load("a1").active == 1


# ---------------------------------------------------------------------------------------------------------------
# 6. Release by a supervisor


def test_release_is_refused_while_the_agent_is_connected_with_it_on_their_desk(world: World) -> None:
    a1 = world.hire("a1")
    world.hire("a3", available=False)
    on_desk = world.on_desk("a1", "v1")
    other = world.on_desk("a1", "v2")
    holding.transfer(world.deps, a1, other.id, to_agent="a3")  # reserved for a3, Offline
    world.status("a1", "away")  # connected, but takes nothing released below
    boss = supervisor(world.tenant)

    report = {row["id"]: row for row in holding.held_report(world.deps, boss)["conversations"]}
    assert report[on_desk.id]["agent_connected"] is True and report[on_desk.id]["releasable"] is False
    assert report[other.id]["status"] == "reserved" and report[other.id]["releasable"] is True
    with pytest.raises(Conflict) as refused:
        holding.release(world.deps, boss, on_desk.id)
    assert refused.value.field == "conversation_id"
    assert world.get(on_desk.id).status is ConversationStatus.ASSIGNED and world.load("a1").active == 1

    with pytest.raises(Forbidden):
        holding.release(world.deps, world.agent("a1"), other.id)  # an agent without the role
    assert world.get(other.id).status is ConversationStatus.RESERVED

    released = holding.release(world.deps, boss, other.id)  # a reservation: always releasable
    assert released.status is ConversationStatus.WAITING and world.waiting_ids("g1") == [other.id]
    assert world.load("a3").reserved == 0 and world.links("a3", "RSV#") == []

    world.disconnect("a1")
    report = {row["id"]: row for row in holding.held_report(world.deps, boss)["conversations"]}
    assert report[on_desk.id]["agent_connected"] is False and report[on_desk.id]["releasable"] is True
    released = holding.release(world.deps, boss, on_desk.id)
    assert released.status is ConversationStatus.WAITING
    assert sorted(world.waiting_ids("g1")) == sorted([on_desk.id, other.id])
    assert world.load("a1").active == 0 and world.links("a1", "CONV#") == []
    assert {row["id"] for row in holding.held_report(world.deps, boss)["conversations"]} == set()


def test_release_of_a_kept_snooze(world: World) -> None:
    a1 = world.hire("a1")
    chat = world.on_desk("a1", "v1")
    holding.snooze(world.deps, a1, chat.id, duration="24h", keep=True)
    world.status("a1", "offline")
    released = holding.release(world.deps, supervisor(world.tenant), chat.id)
    assert released.status is ConversationStatus.WAITING and world.links("a1", "SNZ#") == []
    world.clock.advance(hours=24)
    assert world.deliver(holding.SNOOZE_ENDED, chat.id, watch=("a1",)) == [False]
    assert world.get(chat.id).status is ConversationStatus.WAITING


# ---------------------------------------------------------------------------------------------------------------
# 7. Block


def test_a_blocked_visitor_can_neither_write_nor_start_again(world: World) -> None:
    a1 = world.hire("a1")
    chat = world.on_desk("a1", "v1")
    holding.block(world.deps, a1, chat.id)
    assert world.get(chat.id).visitor_blocked is True
    with pytest.raises(Blocked) as refused:
        conversations.send_message(world.deps, world.visitor("v1"), None, chat.id, "m-2", "let me in")
    assert refused.value.code == "blocked"
    assert [m.seq for m in conversations.history(world.deps, a1, chat.id, 0)] == [1]  # nothing stored

    conversations.close_conversation(world.deps, a1, chat.id, disposition="Resolved")
    assert world.get(chat.id).status is ConversationStatus.CLOSED
    with pytest.raises(Blocked) as again:
        world.start("v1", "it's me again")
    assert again.value.code == "blocked"
    assert world.deps.conversations.open_for_visitor(world.tenant, "v1") == []
    assert world.start("v2").status is not ConversationStatus.CLOSED  # another visitor is not blocked


# ---------------------------------------------------------------------------------------------------------------
# 8. The debounced email


def answered_three_times(world: World, visitor_text: str = "Where is my order?", *, enabled: bool = True,
                         read: bool = False) -> tuple[Conversation, str]:
    assert isinstance(world.deps.mailer, SesMailer)  # the real adapter, on moto
    a1 = world.hire("a1")
    address = f"v-{uuid.uuid4().hex[:8]}@example.com"
    chat = world.on_desk("a1", "v1", visitor_text)
    follow_up.set_notification(world.deps, world.visitor("v1"), chat.id, email=address, enabled=enabled)
    last = 0
    for n, text in enumerate(["Let me check.", "It left our warehouse today.", "Tracking: XY-123."]):
        world.clock.advance(seconds=20)
        last = conversations.send_message(world.deps, a1, None, chat.id, f"r-{n}", text).seq
    if read:
        assert follow_up.mark_read(world.deps, world.visitor("v1"), chat.id, last) == last
    return chat, address


def test_three_answers_to_an_away_visitor_send_one_email(world: World) -> None:
    # The page the visitor wrote from is on the brand's site, so the link opens it (tests/integration/test_origins.py).
    tenants.change_settings(world.deps, admin(world.tenant), {"site_origins": ["https://shop.example"]})
    chat, address = answered_three_times(world)
    armed = world.timers.of(notifications.NOTIFY, chat.id)
    assert len(armed) == 3
    delay = tenants.settings_of(world.deps, world.tenant).notify_delay_seconds
    assert armed[-1].fire_at == world.clock.now() + timedelta(seconds=delay)
    assert world.deliver(notifications.NOTIFY, chat.id) == []  # the debounce delay has not run yet
    world.clock.advance(seconds=delay)
    assert sorted(world.deliver(notifications.NOTIFY, chat.id)) == [False, False, True]
    assert all(a.delivered == 2 for a in armed)

    [mail] = sent_to(address)
    assert "Test Brand" in str(mail["From"])
    text, body = part(mail, "plain"), part(mail, "html")
    assert "Agent A1" in text and "Agent A1" in body and "Agent A1" in str(mail["Subject"])
    for line in ("Where is my order?", "Let me check.", "It left our warehouse today.", "Tracking: XY-123."):
        assert line in text and line in body
    match = re.search(r"guichet_resume=([A-Za-z0-9_.\-]+)", text)
    assert match is not None and "https://shop.example/products?id=7#guichet_resume=" in text
    assert world.deps.secrets is not None
    resumed = links.verify_resume(world.deps.secrets.visitor_token_key(), match.group(1), world.clock.now())
    assert resumed == links.Resume(world.tenant, "v1", chat.id)
    assert world.get(chat.id).notified_seq == 4

    # Another burst later: one more email, for that burst only.
    world.clock.advance(hours=1)
    conversations.send_message(world.deps, world.agent("a1"), None, chat.id, "r-9", "Delivered tomorrow.")
    world.clock.advance(seconds=delay)
    assert world.deliver(notifications.NOTIFY, chat.id) == [True]
    assert len(sent_to(address)) == 2


def test_no_email_when_the_visitor_read_the_answers(world: World) -> None:
    chat, address = answered_three_times(world, read=True)
    world.clock.advance(minutes=10)
    assert world.deliver(notifications.NOTIFY, chat.id) == [False, False, False]
    assert sent_to(address) == []


def test_no_email_when_notifications_are_off(world: World) -> None:
    chat, address = answered_three_times(world, enabled=False)
    world.clock.advance(minutes=10)
    assert world.deliver(notifications.NOTIFY, chat.id) == [False] * len(world.timers.of(notifications.NOTIFY))
    assert sent_to(address) == []


def test_no_timer_when_the_visitor_is_connected(world: World) -> None:
    world.deps.connections.add(world.visitor("v1"), "visitor-v1", world.clock.now())
    chat, _ = answered_three_times(world)
    assert world.timers.of(notifications.NOTIFY, chat.id) == []


def test_visitor_text_is_escaped_in_the_html_part(world: World) -> None:
    chat, address = answered_three_times(world, '<script>alert("x")</script> & <b>bold</b>')
    world.clock.advance(minutes=10)
    assert True in world.deliver(notifications.NOTIFY, chat.id)
    [mail] = sent_to(address)
    body = part(mail, "html")
    assert "<script>" not in body and "<b>bold</b>" not in body
    assert "&lt;script&gt;" in body and "&lt;b&gt;bold&lt;/b&gt;" in body


# ---------------------------------------------------------------------------------------------------------------
# Consent (ASYNC-6)


def test_nothing_is_stored_before_consent(world: World) -> None:
    assert tenants.settings_of(world.deps, world.tenant).consent_required  # by default
    world.hire("a1")
    with pytest.raises(InvalidInput) as refused:
        world.start("v1", consent=None)
    assert refused.value.field == "consent"
    assert world.deps.conversations.open_for_visitor(world.tenant, "v1") == []
    assert world.deps.conversations.of_visitor(world.tenant, "v1", 10) == []
    started = world.start("v1", consent=True)
    assert world.get(started.id).consent_at == world.clock.now()


# ---------------------------------------------------------------------------------------------------------------
# 9. Ownership raced: snooze ends, releases, reservation expiries and pulls over the same conversations

RACE_AGENTS = 5
RACE_CAPACITY = 6
RACE_THREADS = 16


class OfferLog:
    """Wraps the assignments port to count the offers that committed, per conversation."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.lock = threading.Lock()
        self.offers: dict[str, list[str]] = defaultdict(list)

    def offer(self, conversation: Conversation, agent: Agent, offer: Any, now: datetime) -> None:
        self.real.offer(conversation, agent, offer, now)
        with self.lock:
            self.offers[conversation.id].append(agent.id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_wake_release_expiry_and_pull_race_without_an_ownership_violation(own_aws: str,
                                                                        connections_api: ConnectionsApi) -> None:
    w = make_world(own_aws, connections_api, groups=("g1",))
    staff = [w.hire(f"a{n}", capacity=RACE_CAPACITY, desk=False) for n in range(RACE_AGENTS)]
    held: list[str] = []
    for n in range(RACE_AGENTS * RACE_CAPACITY):
        started = w.start(f"v{n}")
        assert started.offer is not None
        held.append(w.accept(started.offer.agent_id, started.id).id)
    for who in staff:
        w.status(who.id, "away")
    reserved = held[len(held) // 2:]  # the other half stays snoozed
    for n, cid in enumerate(held):
        owner = w.get(cid).agent_id
        assert owner is not None
        holding.snooze(w.deps, w.agent(owner), cid, duration="3h", keep=n % 5 != 0)
    for cid in reserved:  # the visitor wrote: reserved for the agent who kept it (or queued if not kept)
        conversations.send_message(w.deps, w.visitor(f"v{held.index(cid)}"), None, cid, "m-w", "back")
    assert sum(w.load(a.id).reserved for a in staff) > 0
    w.clock.advance(hours=24)

    log = OfferLog(w.deps.assignments)
    deps = replace(w.deps, assignments=log)
    boss = supervisor(w.tenant)
    errors: list[BaseException] = []
    rng = random.Random(5)

    def fire_all(kind: str, cid: str) -> None:
        for armed in w.timers.of(kind, cid):
            timers.fire(deps, timer_body(armed.timer))

    def run(job: tuple[str, str]) -> None:
        kind, target = job
        try:
            if kind == "wake":
                fire_all(holding.SNOOZE_ENDED, target)
            elif kind == "expire":
                fire_all(holding.RESERVATION_EXPIRED, target)
            elif kind == "release":
                with contextlib.suppress(Conflict):  # not held any more (offered or queued meanwhile)
                    holding.release(deps, boss, target)
            else:
                agent_service.set_status(deps, w.agent(target), "available")
                found = deps.agents.get(w.tenant, target)
                assert found is not None
                routing.pull(deps, found)
        except (Conflict, AssignmentLost) as lost:  # a timer losing its race: SQS would deliver it again
            errors.append(lost)
        except BaseException as exc:
            errors.append(exc)

    jobs = [("wake", c) for c in held] * 2 + [("expire", c) for c in held] * 2
    jobs += [("release", c) for c in rng.sample(held, len(held) // 2)]
    jobs += [("pull", a.id) for a in staff] * 3
    rng.shuffle(jobs)
    with ThreadPoolExecutor(RACE_THREADS) as pool:
        list(pool.map(run, jobs))
    for job in [("wake", c) for c in held] + [("expire", c) for c in held]:  # late redeliveries settle everything
        run(job)

    unexpected = [e for e in errors if not isinstance(e, Conflict | AssignmentLost)]
    assert unexpected == []
    print(f"timers that raised on a lost race (redelivered by SQS): {len(errors)}")
    violations: list[str] = []
    queued = {q.conversation_id for q in QueueItem.scan(QueueItem.pk.startswith(f"T#{w.tenant}#WAIT#"))}
    counted = sum(int(c.n or 0) for c in CounterItem.scan(CounterItem.pk.startswith(f"T#{w.tenant}#GROUP#")))
    if counted != len(queued):
        violations.append(f"group counters say {counted} waiting, {len(queued)} queue entries")
    holders: dict[str, list[str]] = defaultdict(list)
    for who in staff:
        agent = AgentItem.get(f"T#{w.tenant}#AGENT#{who.id}", "PROFILE", consistent_read=True)
        conv, rsv, snz = w.links(who.id, "CONV#"), w.links(who.id, "RSV#"), w.links(who.id, "SNZ#")
        if int(agent.active) != len(conv):
            violations.append(f"{who.id}: load {agent.active}, {len(conv)} CONV# links")
        if int(agent.reserved or 0) != len(rsv):
            violations.append(f"{who.id}: reserved {agent.reserved}, {len(rsv)} RSV# links")
        if int(agent.active) > RACE_CAPACITY:
            violations.append(f"{who.id}: over capacity ({agent.active})")
        for cid in conv + rsv + snz:
            holders[cid].append(who.id)
    for cid in held:
        item = ConversationItem.get(f"T#{w.tenant}#CONV#{cid}", "STATE", consistent_read=True)
        status = ConversationStatus(item.status)
        if cid in queued and holders[cid]:
            violations.append(f"{cid} is in a queue and held by {holders[cid]}")
        if len(holders[cid]) > 1:
            violations.append(f"{cid} is held by {holders[cid]}")
        if status is ConversationStatus.WAITING and (cid not in queued or holders[cid]):
            violations.append(f"{cid} waiting, queued={cid in queued}, held by {holders[cid]}")
        if status is not ConversationStatus.WAITING and cid in queued:
            violations.append(f"{cid} is {status.value} and in a queue")
        if status in (ConversationStatus.OFFERED, ConversationStatus.RESERVED) and \
                holders[cid] != [item.offer_agent_id or item.agent_id]:
            violations.append(f"{cid} is {status.value} for {item.offer_agent_id or item.agent_id}, "
                              f"linked to {holders[cid]}")
        if len(log.offers[cid]) > 1:
            violations.append(f"{cid} offered {len(log.offers[cid])} times: {log.offers[cid]}")
        if status in (ConversationStatus.SNOOZED, ConversationStatus.RESERVED):
            violations.append(f"{cid} still {status.value} after every timer was delivered")
    assert violations == []
    assert sum(len(v) for v in log.offers.values()) > 0  # the pulls did take conversations during the race


# ---------------------------------------------------------------------------------------------------------------
# Sales (ASYNC-12), with the controllable clock


def _report(world: World, visitor_id: str, order_id: str) -> Any:
    """The brand's signed report of a sale made now (the world's clock) by this visitor."""
    secret = world.deps.tenants.get(world.tenant)
    assert secret is not None
    fields = {"order_id": order_id, "visitor_id": visitor_id}
    body = json.dumps(fields).encode()
    return sales.report_sale(world.deps, world.tenant, body, sale_rules.signature(secret.identity_secret, body),
                             fields)


def _writes(world: World, agent_id: str, conversation_id: str, text: str) -> None:
    conversations.send_message(world.deps, replace(world.agent(agent_id), name=agent_id.upper()), None,
                               conversation_id, f"{agent_id}-{uuid.uuid4().hex[:8]}", text)


def test_the_reference_example_a_then_b_then_sale_then_c_credits_b(world: World) -> None:
    """Operator A <> visitor, A snoozes; operator B <> visitor, B snoozes; sale; operator C <> visitor; close."""
    a = world.hire("a")
    chat = world.on_desk("a", "v1")
    _writes(world, "a", chat.id, "Hello, I am A")
    world.clock.advance(minutes=10)
    holding.snooze(world.deps, a, chat.id, duration="3h", keep=False)
    world.status("a", "away")
    b = world.hire("b")
    world.clock.advance(minutes=30)
    conversations.send_message(world.deps, world.visitor("v1"), None, chat.id, "v-2", "Still there?")  # wakes it
    world.accept("b", chat.id)
    _writes(world, "b", chat.id, "B here, let me check")
    world.clock.advance(minutes=5)
    holding.snooze(world.deps, b, chat.id, duration="24h", keep=True)
    world.clock.advance(hours=20)
    sale = _report(world, "v1", "order-1")
    assert sale.credit is not None and sale.credit.agent_id == "b"
    world.status("b", "away")
    world.hire("c")
    world.clock.advance(hours=4)  # B's snooze ends while B is away: reserved for B, who does not come back
    assert world.deliver(holding.SNOOZE_ENDED, chat.id) == [False, True]  # A's was woken by the visitor
    world.clock.advance(hours=24)
    assert world.deliver(holding.RESERVATION_EXPIRED, chat.id) == [True]  # to the queue: C gets it
    world.accept("c", chat.id)
    _writes(world, "c", chat.id, "C here")
    again = _report(world, "v1", "order-1")  # the same order reported again keeps its credit
    assert again.credit is not None and again.credit.agent_id == "b"


def test_no_credit_when_the_last_agent_message_is_older_than_the_window(world: World) -> None:
    """The expert writes on Monday, snoozes a week without a word; the sale comes on Thursday: nobody is credited;
    at 47 h, the expert would have been."""
    expert = world.hire("a")
    chat = world.on_desk("a", "v1")
    _writes(world, "a", chat.id, "Here is my advice")
    holding.snooze(world.deps, expert, chat.id, until=(world.clock.now() + timedelta(days=7)).isoformat())
    world.clock.advance(hours=47)
    early = _report(world, "v1", "order-47h")
    assert early.credit is not None and early.credit.agent_id == "a"
    world.clock.advance(hours=25)  # Thursday
    assert _report(world, "v1", "order-thursday").credit is None
