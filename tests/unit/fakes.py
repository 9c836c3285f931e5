"""In-memory twins of the ports, faithful to the conditions the DynamoDB adapters enforce."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.contacts import Case, Contact, normalize_email
from chalicelib.domain.errors import Conflict, ConnectionGone, Unauthorized
from chalicelib.domain.key_rotation import KeyRing
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    EndSurvey,
    Message,
    Notification,
    Offer,
    PageContext,
    Principal,
    WrapUp,
)
from chalicelib.domain.rate_limits import Window
from chalicelib.domain.routing import (
    AgentSettings,
    Channel,
    Group,
    RoutingConfig,
    SkillNeed,
    Waiting,
    conversation_list,
    parse_queue_list,
    rank,
    routing_view,
    with_settings,
)
from chalicelib.ports import AssignmentLost, ConversationView, Deps, GroupCount, SeqTaken, Tenant, Timer


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class SequentialIds:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"id{next(self._counter)}"


class FakeTenants:
    def __init__(self, *tenants: str) -> None:
        self.items = {t: Tenant(id=t, name=t.title()) for t in tenants}
        self.audit: list[Any] = []

    def get(self, tenant: str) -> Tenant | None:
        return self.items.get(tenant)

    def put(self, tenant: Tenant) -> None:
        """As DynamoTenants: the identity secrets are kept from the stored tenant (only a rotation changes them)."""
        stored = self.items.get(tenant.id)
        if stored is not None and stored.identity_secret:
            tenant = replace(tenant, identity_secret=stored.identity_secret,
                             previous_identity_secret=stored.previous_identity_secret,
                             previous_identity_until=stored.previous_identity_until)
        self.items[tenant.id] = tenant

    def read(self, tenant: str) -> Tenant | None:
        return self.items.get(tenant)

    def update(self, tenant: Tenant, entry: Any) -> Tenant:
        """As DynamoTenants.update: on the revision read, with the audit entry (kept in `audit`)."""
        stored = self.items.get(tenant.id)
        if stored is None or stored.version != tenant.version:
            raise Conflict("the settings changed meanwhile", field="version")
        self.items[tenant.id] = replace(tenant, version=tenant.version + 1, identity_secret=stored.identity_secret,
                                        previous_identity_secret=stored.previous_identity_secret,
                                        previous_identity_until=stored.previous_identity_until)
        if entry is not None:
            self.audit.append(entry)
        return self.items[tenant.id]

    def rotate_identity_secret(self, tenant: str, expected: str, ring: KeyRing) -> Tenant:
        stored = self.items[tenant]
        if stored.identity_secret != expected:
            raise Conflict("the identity secret changed meanwhile", field="identity_secret")
        self.items[tenant] = replace(stored, identity_secret=ring.current, previous_identity_secret=ring.previous,
                                     previous_identity_until=ring.previous_until)
        return self.items[tenant]


class FakeConversations:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Conversation] = {}
        self.msgs: dict[tuple[str, str], dict[int, Message]] = {}
        self.paces: dict[tuple[str, str, int], int] = {}
        self.open_by_visitor: dict[tuple[str, str], str] = {}
        self.by_agent: dict[tuple[str, str], list[str]] = {}
        self.blocked: set[tuple[str, str]] = set()
        self.lock = threading.Lock()
        self.puts = 0

    def create(self, conversation: Conversation) -> None:
        with self.lock:
            key = (conversation.tenant, conversation.visitor_id)
            if key in self.open_by_visitor:
                raise Conflict("open conversation exists")
            self.items[(conversation.tenant, conversation.id)] = conversation
            self.open_by_visitor[key] = conversation.id

    def get(self, tenant: str, conversation_id: str) -> Conversation | None:
        return self.items.get((tenant, conversation_id))

    def view_for_send(self, tenant: str, conversation_id: str, after_seq: int | None) -> ConversationView | None:
        conversation = self.get(tenant, conversation_id)
        if conversation is None:
            return None
        stored = sorted(self.msgs.get((tenant, conversation_id), {}).values(), key=lambda m: -m.seq)
        recent = stored[:10] if after_seq is None else [m for m in stored if m.seq > after_seq] or stored[:1]
        pace = self.paces.get((tenant, conversation_id, stored[0].seq), 0) if stored else 0
        return ConversationView(conversation=conversation, recent=recent, visitor_pace=pace)

    def put_message(self, message: Message, visitor_pace: int = 0) -> None:
        with self.lock:
            box = self.msgs.setdefault((message.tenant, message.conversation_id), {})
            if message.seq in box:
                raise SeqTaken(box[message.seq])
            box[message.seq] = message
            self.paces[(message.tenant, message.conversation_id, message.seq)] = visitor_pace
            self.puts += 1

    def messages(self, tenant: str, conversation_id: str, after_seq: int, limit: int) -> list[Message]:
        box = self.msgs.get((tenant, conversation_id), {})
        return [box[s] for s in sorted(box) if s > after_seq][:limit]

    def open_for_visitor(self, tenant: str, visitor_id: str) -> list[Conversation]:
        found = self.open_by_visitor.get((tenant, visitor_id))
        return [self.items[(tenant, found)]] if found and self.items[(tenant, found)].status.is_open else []

    def open_for_agent(self, tenant: str, agent_id: str) -> list[Conversation]:
        return [self.items[(tenant, c)] for c in self.by_agent.get((tenant, agent_id), [])]

    def waiting_connections(self, tenant: str, queue: str, limit: int) -> list[tuple[str, frozenset[str]]]:
        return [(c, self.items[(tenant, c)].connections) for c in self.oldest_waiting(tenant, queue, limit)]

    def oldest_waiting(self, tenant: str, queue: str, limit: int) -> list[str]:
        """Conversations in a group's queue (a placed conversation not queued yet is in none)."""
        waiting = [c for (t, _), c in self.items.items() if t == tenant and c.queue == queue
                   and c.status is ConversationStatus.WAITING and c.queue_shard is not None]
        return [c.id for c in sorted(waiting, key=lambda c: (c.created_at, c.id))][:limit]

    def waiting_in(self, tenant: str, group: str, limit: int) -> list[Conversation]:
        return [self.items[(tenant, c)] for c in self.oldest_waiting(tenant, group, limit)]

    def add_connections(self, tenant: str, conversation_id: str, connection_ids: Iterable[str]) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            self.items[(tenant, conversation_id)] = replace(c, connections=c.connections | set(connection_ids))

    def remove_connections(self, tenant: str, conversation_id: str, connection_ids: Iterable[str]) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            self.items[(tenant, conversation_id)] = replace(c, connections=c.connections - set(connection_ids))

    def waiting_ahead(self, conversation: Conversation) -> int:
        return self.oldest_waiting(conversation.tenant, conversation.queue, 10**6).index(conversation.id)

    def rate(self, tenant: str, conversation_id: str, rating: int, comment: str, now: datetime) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            if c.status is not ConversationStatus.CLOSED or c.rating is not None:
                raise Conflict("not closed or rated", field="rating")
            self.items[(tenant, conversation_id)] = replace(c, rating=rating, rating_comment=comment, rated_at=now)

    def answer_nps(self, tenant: str, conversation_id: str, score: int, now: datetime) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            if c.status is not ConversationStatus.CLOSED or not (c.survey and c.survey.nps) or c.nps is not None:
                raise Conflict("not closed, not asked or answered", field="score")
            self.items[(tenant, conversation_id)] = replace(c, nps=score, nps_at=now)

    def dissuade(self, conversation: Conversation, now: datetime) -> bool:
        with self.lock:
            c = self.items[(conversation.tenant, conversation.id)]
            if c.status is not ConversationStatus.WAITING:
                return False
            self.items[(conversation.tenant, conversation.id)] = replace(c, status=ConversationStatus.DISSUADED,
                                                                         wrap_up=WrapUp(closed_at=now),
                                                                         queue_shard=None)
            self.open_by_visitor.pop((conversation.tenant, conversation.visitor_id), None)
            return True

    def visitor_state(self, tenant: str, visitor_id: str) -> tuple[Conversation | None, bool]:
        found = self.open_for_visitor(tenant, visitor_id)
        return (found[0] if found else None), (tenant, visitor_id) in self.blocked

    def block_visitor(self, conversation: Conversation, agent_id: str, now: datetime) -> None:
        with self.lock:
            c = self.items[(conversation.tenant, conversation.id)]
            if c.status is not ConversationStatus.ASSIGNED or c.agent_id != agent_id:
                raise Conflict("not on your desk", field="conversation_id")
            self.items[(c.tenant, c.id)] = replace(c, visitor_blocked=True)
            self.blocked.add((c.tenant, c.visitor_id))

    def set_notification(self, tenant: str, conversation_id: str, notification: Notification) -> None:
        self._change_open(tenant, conversation_id, notification=notification)

    def set_page(self, tenant: str, conversation_id: str, page: PageContext) -> None:
        self._change_open(tenant, conversation_id, page=page)

    def mark_first_reply(self, tenant: str, conversation_id: str, agent_id: str, at: datetime) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            if c.first_reply_at is None:
                self.items[(tenant, conversation_id)] = replace(c, first_reply_at=at, first_reply_by=agent_id)

    def mark_read(self, tenant: str, conversation_id: str, seq: int) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            self.items[(tenant, conversation_id)] = replace(c, visitor_read_seq=max(seq, c.visitor_read_seq))

    def claim_notification(self, tenant: str, conversation_id: str, seq: int) -> bool:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            if c.notified_seq >= seq:
                return False
            self.items[(tenant, conversation_id)] = replace(c, notified_seq=seq)
            return True

    def release_notification(self, tenant: str, conversation_id: str, seq: int, previous: int) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            if c.notified_seq == seq:
                self.items[(tenant, conversation_id)] = replace(c, notified_seq=previous)

    def of_visitor(self, tenant: str, visitor_id: str, limit: int) -> list[Conversation]:
        mine = [c for (t, _), c in self.items.items() if t == tenant and c.visitor_id == visitor_id]
        return sorted(mine, key=lambda c: (c.created_at, c.id), reverse=True)[:limit]

    def linked_to_agent(self, tenant: str, agent_id: str, kind: str, limit: int) -> list[Conversation]:
        status = {"reserved": ConversationStatus.RESERVED, "snoozed": ConversationStatus.SNOOZED}[kind]
        return [c for (t, _), c in self.items.items() if t == tenant and c.agent_id == agent_id
                and c.status is status][:limit]

    def held_in(self, tenant: str, group: str, limit: int) -> list[Conversation]:
        held = (ConversationStatus.ASSIGNED, ConversationStatus.RESERVED, ConversationStatus.SNOOZED)
        return [c for (t, _), c in self.items.items() if t == tenant and c.queue == group and c.status in held][:limit]

    def _change_open(self, tenant: str, conversation_id: str, **changes: Any) -> None:
        with self.lock:
            c = self.items[(tenant, conversation_id)]
            if not c.status.is_open:
                raise Conflict("the conversation has ended", field="conversation_id")
            self.items[(tenant, conversation_id)] = replace(c, **changes)


class FakeAgents:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Agent] = {}
        self.audit: list[Any] = []

    def get(self, tenant: str, agent_id: str) -> Agent | None:
        return self.items.get((tenant, agent_id))

    def put(self, agent: Agent) -> None:
        self.items[(agent.tenant, agent.id)] = agent

    def set_status(self, tenant: str, agent_id: str, status: AgentStatus, now: datetime) -> Agent:
        current = self.items[(tenant, agent_id)]
        woke = status is AgentStatus.AVAILABLE and current.status is not AgentStatus.AVAILABLE
        idle = now if woke else current.idle_since
        line = "" if status is AgentStatus.OFFLINE else current.login_line
        since = now if status is not current.status or current.status_since is None else current.status_since
        agent = replace(current, status=status, idle_since=idle, login_line=line, status_since=since)
        self.items[(tenant, agent_id)] = agent
        return agent

    def switch_queues(self, tenant: str, agent_id: str, queues_off: frozenset[str]) -> Agent:
        agent = replace(self.items[(tenant, agent_id)], queues_off=tuple(sorted(queues_off)))
        self.items[(tenant, agent_id)] = agent
        return agent

    def change_settings(self, tenant: str, agent_id: str, settings: AgentSettings, audit: Any = None) -> Agent:
        agent = with_settings(self.items[(tenant, agent_id)], settings)
        if audit is not None:
            self.audit.append(audit(self.items[(tenant, agent_id)], agent))
        holder = self.by_keypad(tenant, agent.keypad_id) if agent.keypad_id else None
        if holder is not None and holder.id != agent_id:
            raise Conflict("another agent of the tenant has this keypad id", field="keypad_id")
        self.items[(tenant, agent_id)] = agent
        return agent

    def by_keypad(self, tenant: str, keypad_id: str) -> Agent | None:
        return next((a for (t, _), a in self.items.items() if t == tenant and a.keypad_id == keypad_id), None)

    def set_line(self, tenant: str, agent_id: str, line: str) -> Agent:
        agent = replace(self.items[(tenant, agent_id)], login_line=line)
        self.items[(tenant, agent_id)] = agent
        return agent

    def get_many(self, tenant: str, agent_ids: Sequence[str]) -> list[Agent]:
        return [self.items[(tenant, a)] for a in agent_ids if (tenant, a) in self.items]

    def reindex(self, tenant: str, agent_id: str) -> Agent | None:
        return self.items.get((tenant, agent_id))

    def members(self, tenant: str, group: str) -> list[str]:
        return sorted(a.id for (t, _), a in self.items.items() if t == tenant and group in a.queues)


@dataclass
class FakeRoutingIndex:
    """The routing index computed from the fakes' state with the domain's own ranking (the DynamoDB index keeps
    the same order in sorted partitions)."""

    tenants: FakeTenants
    conversations: FakeConversations
    agents: FakeAgents

    def _config(self, tenant: str) -> RoutingConfig:
        found = self.tenants.get(tenant)
        return found.routing if found else RoutingConfig()

    def counts(self, tenant: str, groups: Sequence[Group]) -> dict[str, GroupCount]:
        counts: dict[str, GroupCount] = {}
        for group in groups:
            queued = self.conversations.waiting_in(tenant, group.id, 10**6)
            queues: dict[str, tuple[int, ...]] = {}
            for c in queued:
                queues[conversation_list(c)] = (0,)
            counts[group.id] = GroupCount(waiting=len(queued), queues=queues)
        return counts

    def ready(self, tenant: str, group: Group, channel: Channel, need: SkillNeed | None, limit: int) -> list[str]:
        views = [routing_view(a) for (t, _), a in self.agents.items.items() if t == tenant]
        return [a.id for a in rank(views, group.id, channel, need, self._config(tenant).fairness)][:limit]

    def heads(self, tenant: str, group: str, queue: str, shards: Sequence[int]) -> list[Waiting]:
        for c in self.conversations.waiting_in(tenant, group, 10**6):
            if conversation_list(c) == queue:
                medium, need = parse_queue_list(queue)
                return [Waiting(c.id, group, medium, c.priority, c.created_at, need)]
        return []

    def enqueue(self, conversation: Conversation, group: Group) -> Conversation | None:
        with self.conversations.lock:
            if len(self.conversations.oldest_waiting(conversation.tenant, group.id, 10**6)) >= group.threshold:
                return None
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            queued = replace(stored, queue=group.id, queue_shard=0)
            self.conversations.items[(conversation.tenant, conversation.id)] = queued
            return queued

    def move(self, conversation: Conversation, group: Group) -> Conversation:
        with self.conversations.lock:
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            if stored.status is not ConversationStatus.WAITING or stored.queue != conversation.queue:
                raise Conflict("the conversation no longer waits there", field="conversation_id")
            moved = replace(stored, queue=group.id, queue_shard=0)
            self.conversations.items[(conversation.tenant, conversation.id)] = moved
            return moved


@dataclass
class FakeAssignments:
    """The same conditions as the DynamoDB transactions, under one lock."""

    conversations: FakeConversations
    agents: FakeAgents
    lock: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, conversation: Conversation, agent: Agent, offer: Offer, now: datetime) -> None:
        with self.lock:
            current = self.agents.items[(agent.tenant, agent.id)]
            if current.status is not AgentStatus.AVAILABLE or current.active != agent.active or \
                    current.active >= current.capacity:
                raise AssignmentLost("agent_unavailable")
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            if stored.status is not ConversationStatus.WAITING:
                raise AssignmentLost("conversation_taken")
            self.agents.items[(agent.tenant, agent.id)] = replace(current, active=current.active + 1, idle_since=now)
            self.conversations.items[(conversation.tenant, conversation.id)] = replace(
                stored, status=ConversationStatus.OFFERED, offer=offer, queue_shard=None)
            self.conversations.by_agent.setdefault((agent.tenant, agent.id), []).append(conversation.id)

    def accept(self, conversation: Conversation, agent: Agent, offer_id: str, agent_connections: Iterable[str],
               now: datetime) -> None:
        with self.lock:
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            if stored.status is not ConversationStatus.OFFERED or stored.offer is None or \
                    stored.offer.id != offer_id or stored.offer.agent_id != agent.id:
                raise AssignmentLost("offer_gone")
            self.conversations.items[(conversation.tenant, conversation.id)] = replace(
                stored.assigned_to(agent), connections=stored.connections | set(agent_connections))

    def withdraw(self, conversation: Conversation, agent: Agent, offer_id: str, *, set_away: bool,
                 now: datetime) -> None:
        with self.lock:
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            if stored.status is not ConversationStatus.OFFERED or stored.offer is None or stored.offer.id != offer_id:
                raise AssignmentLost("offer_gone")
            current = self.agents.items[(agent.tenant, agent.id)]
            status = AgentStatus.AWAY if set_away and current.status is AgentStatus.AVAILABLE else current.status
            since = now if status is not current.status else current.status_since
            self.agents.items[(agent.tenant, agent.id)] = replace(current, active=current.active - 1, status=status,
                                                                  status_since=since)
            self.conversations.items[(conversation.tenant, conversation.id)] = replace(
                stored, status=ConversationStatus.WAITING, offer=None, queue_shard=0)
            self.conversations.by_agent[(agent.tenant, agent.id)].remove(conversation.id)

    def hand_over(self, conversation: Conversation, holder: Agent, to: Agent, agent_connections: Iterable[str],
                  now: datetime) -> None:
        with self.lock:
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            if stored.status is not ConversationStatus.ASSIGNED or stored.agent_id != holder.id:
                raise AssignmentLost("not_yours")
            target = self.agents.items[(to.tenant, to.id)]
            if target.status is not AgentStatus.AVAILABLE or target.active >= target.capacity:
                raise AssignmentLost("agent_unavailable")
            was = self.agents.items[(holder.tenant, holder.id)]  # the fakes count every slot in `active`
            self.agents.items[(holder.tenant, holder.id)] = replace(was, active=was.active - 1)
            self.agents.items[(to.tenant, to.id)] = replace(target, active=target.active + 1)
            self.conversations.items[(conversation.tenant, conversation.id)] = replace(
                stored, agent_id=to.id, agent_name=to.name, connections=set(agent_connections))
            self.conversations.by_agent[(holder.tenant, holder.id)].remove(conversation.id)
            self.conversations.by_agent.setdefault((to.tenant, to.id), []).append(conversation.id)

    def requeue(self, conversation: Conversation, group: Group, *, now: datetime) -> Conversation:
        """An assigned conversation back in a group's queue at its original place; its agent's slot is free."""
        with self.lock:
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            if stored.status is not ConversationStatus.ASSIGNED or not stored.agent_id:
                raise AssignmentLost("not_yours")
            holder = (conversation.tenant, stored.agent_id)
            self.agents.items[holder] = replace(self.agents.items[holder], active=self.agents.items[holder].active - 1)
            queued = replace(stored, status=ConversationStatus.WAITING, agent_id=None, agent_name=None, offer=None,
                             queue=group.id, queue_shard=0, created_at=conversation.created_at, status_at=now,
                             enqueued_at=now)
            self.conversations.items[(conversation.tenant, conversation.id)] = queued
            self.conversations.by_agent[holder].remove(conversation.id)
            return queued

    def close(self, conversation: Conversation, agent: Agent, wrap_up: WrapUp, survey: EndSurvey | None = None) -> None:
        with self.lock:
            stored = self.conversations.items[(conversation.tenant, conversation.id)]
            if stored.status is not ConversationStatus.ASSIGNED or stored.agent_id != agent.id:
                raise AssignmentLost("not_yours")
            current = self.agents.items[(agent.tenant, agent.id)]
            self.agents.items[(agent.tenant, agent.id)] = replace(current, active=current.active - 1)
            self.conversations.items[(conversation.tenant, conversation.id)] = replace(
                stored, status=ConversationStatus.CLOSED, wrap_up=wrap_up, survey=survey)
            self.conversations.by_agent[(agent.tenant, agent.id)].remove(conversation.id)
            self.conversations.open_by_visitor.pop((conversation.tenant, conversation.visitor_id), None)


class FakeConnections:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], set[str]] = {}

    def add(self, principal: Principal, connection_id: str, now: datetime) -> None:
        self.items.setdefault((principal.tenant, principal.kind.value, principal.id), set()).add(connection_id)

    def remove(self, principal: Principal, connection_id: str) -> None:
        self.items.get((principal.tenant, principal.kind.value, principal.id), set()).discard(connection_id)

    def of(self, principal: Principal) -> list[str]:
        return sorted(self.items.get((principal.tenant, principal.kind.value, principal.id), set()))


class FakeContacts:
    """Contacts with their email and external-id pointers, claimed under one lock like the DynamoDB transaction."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Contact] = {}
        self.pointers: dict[tuple[str, str], str] = {}
        self.case_items: dict[tuple[str, str], dict[str, Case]] = {}
        self.lock = threading.Lock()

    def find(self, tenant: str, *, email: str | None = None, external_id: str | None = None) -> Contact | None:
        if external_id:
            key = (tenant, f"EXT#{external_id}")
        elif email:
            key = (tenant, f"EMAIL#{normalize_email(email)}")
        else:
            return None
        found = self.pointers.get(key)
        return self.items.get((tenant, found)) if found else None

    def get(self, tenant: str, contact_id: str) -> Contact | None:
        return self.items.get((tenant, contact_id))

    def create(self, contact: Contact) -> None:
        with self.lock:
            if (contact.tenant, contact.id) in self.items:
                raise Conflict("id taken", field="id")
            claims = []
            if contact.email:
                claims.append(("email", (contact.tenant, f"EMAIL#{normalize_email(contact.email)}")))
            if contact.external_id:
                claims.append(("external_id", (contact.tenant, f"EXT#{contact.external_id}")))
            for name, key in claims:
                if key in self.pointers:
                    raise Conflict(f"{name} taken", field=name)
            self.items[(contact.tenant, contact.id)] = contact
            for _, key in claims:
                self.pointers[key] = contact.id

    def add_case(self, case: Case) -> None:
        self.case_items.setdefault((case.tenant, case.contact_id), {})[case.conversation_id] = case

    def cases(self, tenant: str, contact_id: str) -> list[Case]:
        found = self.case_items.get((tenant, contact_id), {}).values()
        return sorted(found, key=lambda c: c.closed_at, reverse=True)


class FakePush:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.gone: set[str] = set()

    def send(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        self.sent.append((connection_id, dict(frame)))

    def to(self, connection_id: str) -> list[dict[str, Any]]:
        return [f for c, f in self.sent if c == connection_id]


class FakeTimers:
    def __init__(self) -> None:
        self.armed: list[tuple[Timer, datetime]] = []

    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        self.armed.append((timer, fire_at))


class FakeRateLimits:
    """Counters per (tenant, kind, key, window start), refused at the limit like the conditional update."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str, int], int] = {}
        self.lock = threading.Lock()

    def take(self, tenant: str, kind: str, key: str, limit: int, window: Window) -> bool:
        with self.lock:
            counted = self.counts.get((tenant, kind, key, window.start), 0)
            if counted >= limit:
                return False
            self.counts[(tenant, kind, key, window.start)] = counted + 1
            return True


class FakeKeys:
    """One key; `previous` (with `previous_until`) verifies too while its grace lasts, as after a rotation."""

    def __init__(self, key: bytes = b"k" * 32, previous: bytes = b"", previous_until: datetime | None = None,
                 stable: bytes = b"") -> None:
        self.key = key
        self.previous = previous
        self.previous_until = previous_until
        self.stable = stable

    def visitor_token_key(self) -> bytes:
        return self.key

    def visitor_token_keys(self, now: datetime) -> tuple[bytes, ...]:
        if self.previous and self.previous_until is not None and now < self.previous_until:
            return (self.key, self.previous)
        return (self.key,)

    def visitor_id_key(self) -> bytes:
        return self.stable or self.key


class FakeAgentTokens:
    """Tokens are 'agent:<tenant>:<id>'; anything else does not verify."""

    def verify(self, token: str) -> Principal:
        from chalicelib.domain.model import PrincipalKind, Role

        parts = token.split(":")
        if len(parts) != 3 or parts[0] != "agent":
            raise Unauthorized("bad token")
        return Principal(tenant=parts[1], id=parts[2], kind=PrincipalKind.AGENT, name=parts[2],
                         roles=frozenset({Role.AGENT}))


class FakeMetrics:
    """The counts in `counts`; `flushed` the ones published (one dict per flush)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.flushed: list[dict[str, int]] = []

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def flush(self) -> None:
        self.flushed.append(dict(self.counts))
        self.counts.clear()


class FakeSmaInvocations:
    """Answers by (TransactionId, Sequence); the first stored answer wins, like the conditional Put."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, int], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def remembered(self, key: tuple[str, int]) -> dict[str, Any] | None:
        return self.answers.get(key)

    def remember(self, key: tuple[str, int], response: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self.answers.setdefault(key, response)


def make_deps(*tenants: str) -> Deps:
    conversations = FakeConversations()
    agents = FakeAgents()
    known = FakeTenants(*(tenants or ("demo",)))
    return Deps(
        tenants=known,
        conversations=conversations,
        agents=agents,
        assignments=FakeAssignments(conversations, agents),
        routing=FakeRoutingIndex(known, conversations, agents),
        connections=FakeConnections(),
        contacts=FakeContacts(),
        push=FakePush(),
        timers=FakeTimers(),
        clock=FakeClock(),
        ids=SequentialIds(),
        rate_limits=FakeRateLimits(),
        metrics=FakeMetrics(),
        sma_invocations=FakeSmaInvocations(),
    )
