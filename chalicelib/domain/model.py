"""Entities of a conversation between a visitor and an agent. Pure data, no I/O."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

MAX_MESSAGE_CHARS = 1940  # CHAT-10
DEFAULT_CHAT_CAPACITY = 6  # CHAT-5
DEFAULT_QUEUE = "default"


class PrincipalKind(enum.StrEnum):
    AGENT = "agent"
    VISITOR = "visitor"


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: bound to exactly one tenant (invariant 6)."""

    tenant: str
    id: str
    kind: PrincipalKind
    name: str = ""
    roles: frozenset[Role] = frozenset()

    @property
    def is_agent(self) -> bool:
        return self.kind is PrincipalKind.AGENT


class AgentStatus(enum.StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


#: How an agent answers calls (`Agent.answer_calls`, CB-6): a phone Guichet rings, or the desk's softphone.
ANSWER_ON_LINE, ANSWER_ON_DESK = "line", "desk"
ANSWER_CALLS = (ANSWER_ON_LINE, ANSWER_ON_DESK)


@dataclass(frozen=True)
class Agent:
    tenant: str
    id: str
    name: str
    status: AgentStatus = AgentStatus.OFFLINE
    capacity: int = DEFAULT_CHAT_CAPACITY
    active: int = 0
    #: The distribution groups the agent belongs to, which the desk shows as the agent's queues (ROUTE-3).
    queues: tuple[str, ...] = (DEFAULT_QUEUE,)
    #: When the agent last became free for work; the longest idle agent is served first (CHAT-6).
    idle_since: datetime | None = None
    #: When the agent's status last changed (the Production board's "time in state"); None: not known yet.
    status_since: datetime | None = None
    #: Queues the agent belongs to but has switched off: no offers from them (CHAT-4).
    queues_off: tuple[str, ...] = ()
    #: Skill name -> level 1 to 5 (ROUTE-1).
    skills: Mapping[str, int] = field(default_factory=dict)
    #: "Route to me first" (ROUTE-6): tried before the other eligible agents.
    route_first: bool = False
    #: Allowed to hold a call and chats at once (ROUTE-7); otherwise calls and other channels exclude each other.
    multi_channel: bool = False
    call_capacity: int = 1
    #: Email is opt-in: an agent gets emails once an admin gives them an email capacity.
    email_capacity: int = 0
    call_active: int = 0
    email_active: int = 0
    #: Revision of the stored agent, for optimistic writes (every change is conditional on the one read).
    version: int = 0
    #: Where the routing index lists the agent now (adapter bookkeeping: docs/scaling.md).
    index_keys: frozenset[str] = frozenset()
    #: Conversations waiting for this agent alone (kept after a snooze, or transferred to them): ASYNC-13.
    reserved: int = 0
    #: Call settings (issue 13, CB-4 and CB-6): whether the agent is offered callbacks; the phone Guichet rings for
    #: them (E.164, "" = none yet), or asks for at each login; and auto-answer: Available for calls again this many
    #: seconds after a call's wrap-up.
    takes_calls: bool = False
    own_line: str = ""
    ask_line_at_login: bool = False
    auto_answer: bool = True
    auto_answer_seconds: int = 20
    #: The number the agent gave at this login, when `ask_line_at_login` (PUT /agents/me/line).
    login_line: str = ""
    #: How the agent answers calls (issue 14, CB-6): "line" (their own line or the login line: Guichet rings that
    #: phone) or "desk" (the browser's softphone: the offer is accepted on the desk, which joins the call's room).
    answer_calls: str = "line"
    #: The id the agent types on an ACD's keypad (CB-5, ACD mode): digits, unique in the tenant; "" = none.
    keypad_id: str = ""

    @property
    def call_line(self) -> str:
        """The phone Guichet rings for this agent's calls ("" = none: the agent is offered no call)."""
        return self.login_line if self.ask_line_at_login else self.own_line

    @property
    def answers_on_desk(self) -> bool:
        """Calls are answered in the browser (services/softphone.py): no phone rings for them."""
        return self.answer_calls == ANSWER_ON_DESK

    @property
    def active_queues(self) -> tuple[str, ...]:
        return tuple(q for q in self.queues if q not in self.queues_off)

    @property
    def can_take_chat(self) -> bool:
        return self.status is AgentStatus.AVAILABLE and self.active < self.capacity and bool(self.active_queues)


class ConversationStatus(enum.StrEnum):
    WAITING = "waiting"  # in its queue, oldest first
    OFFERED = "offered"  # held for one agent until they accept, reject, or the acceptance interval ends
    ASSIGNED = "assigned"
    #: Off every desk until a time or until the visitor writes (ASYNC-10); kept for its agent or not.
    SNOOZED = "snoozed"
    #: Waiting for one agent (kept after a snooze, or transferred to them), who must take it within 24 h (ASYNC-13).
    RESERVED = "reserved"
    CLOSED = "closed"  # by the agent, with a disposition
    DISSUADED = "dissuaded"  # withdrawn after the tenant's maximum wait (the "come back later" screen)

    @property
    def is_open(self) -> bool:
        return self not in (ConversationStatus.CLOSED, ConversationStatus.DISSUADED)


@dataclass(frozen=True)
class Offer:
    id: str
    agent_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Snooze:
    """An agent took the conversation off their desk until `until` (ASYNC-10); `kept`: it comes back to them."""

    id: str
    until: datetime
    kept: bool


@dataclass(frozen=True)
class Reservation:
    """The conversation waits for its agent (`Conversation.agent_id`) until `until`, then for its group (ASYNC-13).
    `transfer_from` names the agent who transferred it, if it was a transfer."""

    id: str
    until: datetime
    transfer_from: str = ""


@dataclass(frozen=True)
class Notification:
    """Where the visitor wants to hear of answers given while they are away (ASYNC-2, ASYNC-3)."""

    email: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class VisitorInfo:
    """What the agent sees of the visitor with an offer (CHAT-8)."""

    name: str = ""
    email: str = ""
    ip: str = ""
    #: The brand's own customer id, present only when the brand signed the identity (then name and email are true).
    external_id: str = ""


@dataclass(frozen=True)
class WrapUp:
    closed_at: datetime
    disposition: str = ""
    notes: str = ""
    saved_as: str = "case"  # or "draft" (CHAT-11)


@dataclass(frozen=True)
class EndSurvey:
    """What the widget's end screen asks once an agent closes a chat (docs/reports.md): the rating (CSAT, 1 to 5)
    always, and the NPS question (0 to 10) when the tenant had `nps_enabled` on at that moment. Stored with the close,
    since the widget cannot be trusted to say when it showed the screen: the reports' response rate counts these."""

    sent_at: datetime
    nps: bool = False


@dataclass(frozen=True)
class PageContext:
    url: str
    title: str = ""


@dataclass(frozen=True)
class Conversation:
    tenant: str
    id: str
    visitor_id: str
    created_at: datetime
    status: ConversationStatus = ConversationStatus.WAITING
    queue: str = DEFAULT_QUEUE
    agent_id: str | None = None
    agent_name: str | None = None
    page: PageContext | None = None
    #: WebSocket connections of the participants, kept on the conversation so that fan-out is one read by key.
    connections: frozenset[str] = field(default_factory=frozenset)
    visitor: VisitorInfo = field(default_factory=VisitorInfo)
    custom: Mapping[str, str] = field(default_factory=dict)
    offer: Offer | None = None
    wrap_up: WrapUp | None = None
    rating: int | None = None
    rating_comment: str = ""
    #: The survey the end screen shows (None for a call, or a conversation closed before it existed), and when each
    #: answer came: the rating's (`rated_at`) and the NPS score (0 to 10) with its time.
    survey: EndSurvey | None = None
    rated_at: datetime | None = None
    nps: int | None = None
    nps_at: datetime | None = None
    #: What the report consumer reads on the item alone (docs/reports.md, "Fields the stream consumer needs"): when
    #: the status last changed (a contact's or a wait's end), when the current or last wait in a queue began, and
    #: the first human answer (time and agent) of the conversation.
    status_at: datetime | None = None
    assigned_at: datetime | None = None  # the current contact's start: the offer accepted (or a call handed over)
    enqueued_at: datetime | None = None
    first_reply_at: datetime | None = None
    first_reply_by: str = ""
    #: Offers of it refused or let run out (the supervisor's stuck list: "offered and declined n times").
    declines: int = 0
    #: Routing (ROUTE-1 to ROUTE-5): `queue` is the distribution group it was placed in, by this rule, with this
    #: medium, priority and required skill (name, minimum level).
    medium: str = "chat"
    rule: str = ""
    priority: int = 0
    skill: tuple[str, int] | None = None
    #: Which partition of its group's queue holds it while it waits; None when it is in no queue.
    queue_shard: int | None = None
    #: Asynchronous (ASYNC-9): its rule lets conversations wait in a group (threshold >= 1), so the visitor may
    #: leave and be answered later; only an agent closes it (ASYNC-11).
    asynchronous: bool = False
    #: When the visitor agreed to the processing of what they write (ASYNC-6); nothing is stored before.
    consent_at: datetime | None = None
    notification: Notification = field(default_factory=Notification)
    snooze: Snooze | None = None
    reservation: Reservation | None = None
    #: The highest message sequence the visitor has seen, and the highest one an email told them about.
    visitor_read_seq: int = 0
    notified_seq: int = 0
    #: An agent blocked the visitor (ASYNC-15): their new messages and conversations are refused.
    visitor_blocked: bool = False

    def is_participant(self, principal: Principal) -> bool:
        if principal.tenant != self.tenant:
            return False
        if principal.kind is PrincipalKind.VISITOR:
            return principal.id == self.visitor_id
        return principal.id == self.agent_id

    def can_read(self, principal: Principal) -> bool:
        """Participants, and the agent it is being offered to (to read the visitor's first words)."""
        if self.is_participant(principal):
            return True
        return principal.is_agent and principal.tenant == self.tenant and self.offer is not None \
            and self.offer.agent_id == principal.id

    def participants(self) -> list[Principal]:
        people = [Principal(tenant=self.tenant, id=self.visitor_id, kind=PrincipalKind.VISITOR)]
        if self.agent_id:
            people.append(Principal(tenant=self.tenant, id=self.agent_id, kind=PrincipalKind.AGENT))
        return people

    def assigned_to(self, agent: Agent) -> Conversation:
        return replace(self, status=ConversationStatus.ASSIGNED, agent_id=agent.id, agent_name=agent.name, offer=None)

    def offered_to(self, agent: Agent, offer: Offer) -> Conversation:
        return replace(self, status=ConversationStatus.OFFERED, offer=offer)


@dataclass(frozen=True)
class Sender:
    kind: PrincipalKind
    id: str
    name: str = ""


@dataclass(frozen=True)
class Message:
    tenant: str
    conversation_id: str
    seq: int
    client_message_id: str
    sender: Sender
    text: str
    sent_at: datetime
