"""Ports of the conversations' storage: conversations and their messages, the routing index, and the
assignments (offers, holding). The package's __init__ re-exports every name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.domain.model import (
    Agent,
    Conversation,
    EndSurvey,
    Message,
    Notification,
    Offer,
    PageContext,
    Reservation,
    Snooze,
    WrapUp,
)
from chalicelib.domain.routing import Channel, Group, SkillNeed, Waiting


@dataclass(frozen=True)
class ConversationView:
    """A conversation with its newest messages, read in one request by key before a message is stored."""

    conversation: Conversation
    recent: Sequence[Message]
    #: The visitor's pace stored with the newest message: how many messages the visitor sent in that message's
    #: minute, up to it (domain/rate_limits.py).
    visitor_pace: int = 0


class ConversationRepository(Protocol):
    def create(self, conversation: Conversation) -> None: ...

    def get(self, tenant: str, conversation_id: str) -> Conversation | None: ...

    def view_for_send(self, tenant: str, conversation_id: str, after_seq: int | None) -> ConversationView | None:
        """The conversation with its newest message and every message after `after_seq` (the newest few if None)."""
        ...

    def put_message(self, message: Message, visitor_pace: int = 0) -> None:
        """Store a message under its sequence number, with the visitor's pace as of it; raises SeqTaken if another
        message holds that number."""
        ...

    def messages(self, tenant: str, conversation_id: str, after_seq: int, limit: int) -> list[Message]: ...

    def open_for_visitor(self, tenant: str, visitor_id: str) -> list[Conversation]: ...

    def open_for_agent(self, tenant: str, agent_id: str) -> list[Conversation]: ...

    def waiting_in(self, tenant: str, group: str, limit: int) -> list[Conversation]:
        """A group's waiting conversations, oldest first (for reports; may lag slightly)."""
        ...

    def waiting_connections(self, tenant: str, queue: str, limit: int) -> list[tuple[str, frozenset[str]]]:
        """The oldest waiting conversations of a queue with their connections, in one read (may lag slightly)."""
        ...

    def add_connections(self, tenant: str, conversation_id: str, connection_ids: Iterable[str]) -> None: ...

    def remove_connections(self, tenant: str, conversation_id: str, connection_ids: Iterable[str]) -> None: ...

    def waiting_ahead(self, conversation: Conversation) -> int:
        """How many conversations of its queue arrived before this waiting one."""
        ...

    def rate(self, tenant: str, conversation_id: str, rating: int, comment: str, now: datetime) -> None:
        """Store the visitor's rating of a closed conversation once, at `now` (`rated_at`); Conflict if it is rated
        or not closed."""
        ...

    def answer_nps(self, tenant: str, conversation_id: str, score: int, now: datetime) -> None:
        """Store the visitor's NPS score (0 to 10) at `now` (`nps_at`), once, on a closed conversation whose end
        screen asks it; Conflict (`field: score`) otherwise, without a second read."""
        ...

    def dissuade(self, conversation: Conversation, now: datetime) -> bool:
        """Withdraw a conversation still waiting after the maximum wait; False if it is no longer waiting."""
        ...

    def visitor_state(self, tenant: str, visitor_id: str) -> tuple[Conversation | None, bool]:
        """The visitor's open conversation (or None) and whether an agent blocked them."""
        ...

    def block_visitor(self, conversation: Conversation, agent_id: str, now: datetime) -> None:
        """Refuse the visitor's new messages and conversations (ASYNC-15); Conflict if not on the agent's desk."""
        ...

    def set_notification(self, tenant: str, conversation_id: str, notification: Notification) -> None:
        """The visitor's email for answers and whether they want them; Conflict once the conversation ended."""
        ...

    def set_page(self, tenant: str, conversation_id: str, page: PageContext) -> None:
        """The page the visitor is on now (ASYNC-16); Conflict once the conversation ended."""
        ...

    def mark_first_reply(self, tenant: str, conversation_id: str, agent_id: str, at: datetime) -> None:
        """The conversation's first agent message (the first response's stop, docs/reports.md): kept once."""
        ...

    def mark_read(self, tenant: str, conversation_id: str, seq: int) -> None:
        """The visitor has seen the messages up to `seq` (the mark only rises)."""
        ...

    def claim_notification(self, tenant: str, conversation_id: str, seq: int) -> bool:
        """Record that an email covers the messages up to `seq`; False if one already did."""
        ...

    def release_notification(self, tenant: str, conversation_id: str, seq: int, previous: int) -> None:
        """Undo a claim whose email could not be sent."""
        ...

    def of_visitor(self, tenant: str, visitor_id: str, limit: int) -> list[Conversation]:
        """The visitor's conversations, newest first."""
        ...

    def linked_to_agent(self, tenant: str, agent_id: str, kind: str, limit: int) -> list[Conversation]:
        """The agent's "reserved" conversations (waiting for them alone) or "snoozed" ones they keep."""
        ...

    def remember_reply_key(self, tenant: str, key: str, conversation_id: str) -> None:
        """Note which conversation of the tenant the reply address with this key belongs to (idempotent)."""
        ...

    def reply_target(self, tenant: str, key: str) -> str | None:
        """The id of the tenant's conversation a reply address's key names, else None."""
        ...

    def history_hidden(self, tenant: str, visitor_id: str) -> bool:
        """Whether the visitor asked to hide their history (ASYNC-5)."""
        ...

    def set_history_hidden(self, tenant: str, visitor_id: str, hidden: bool) -> None: ...

    def last_agent_message(self, tenant: str, conversation_id: str, before: datetime) -> Message | None:
        """The newest message an agent wrote in the conversation at or before `before` (sales attribution)."""
        ...

    def held_in(self, tenant: str, group: str, limit: int) -> list[Conversation]:
        """A group's conversations held by agents: on a desk, reserved or snoozed (reports; may lag slightly)."""
        ...


class SeqTaken(Exception):
    """Another writer stored a message under the same sequence number first; `holder` is that message."""

    def __init__(self, holder: Message | None) -> None:
        super().__init__(holder.seq if holder else None)
        self.holder = holder


@dataclass(frozen=True)
class GroupCount:
    """What waits in one distribution group."""

    waiting: int = 0
    #: queue (medium and required skill level, see domain.routing.queue_list) -> the shards holding at least one
    queues: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


class RoutingIndex(Protocol):
    """The routing engine's reads and admissions; each costs a bounded number of requests whatever the number of
    agents (docs/scaling.md)."""

    def counts(self, tenant: str, groups: Sequence[Group]) -> dict[str, GroupCount]: ...

    def ready(self, tenant: str, group: Group, channel: Channel, need: SkillNeed | None, limit: int) -> list[str]:
        """Ids of the group's best agents who can take this channel and skill level now (may lag slightly)."""
        ...

    def heads(self, tenant: str, group: str, queue: str, shards: Sequence[int]) -> list[Waiting]:
        """The first conversation of each given shard of one of the group's queues."""
        ...

    def enqueue(self, conversation: Conversation, group: Group) -> Conversation | None:
        """Put a placed conversation in the group's queue while it has room (ROUTE-4); None when it is full."""
        ...

    def move(self, conversation: Conversation, group: Group) -> Conversation:
        """A waiting conversation goes from its group's queue to `group`'s, at its place whatever the threshold
        (its own group left the configuration); Conflict if it no longer waits where it was read."""
        ...


class AssignmentLost(Exception):
    """An assignment transaction lost a race: the agent filled up or left, or the conversation was taken."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Assignments(Protocol):
    """Every change of who holds a conversation is one conditional transaction; a lost race raises AssignmentLost."""

    def offer(self, conversation: Conversation, agent: Agent, offer: Offer, now: datetime) -> None:
        """Hold a waiting conversation for an Available agent, reserving one of their slots."""
        ...

    def accept(self, conversation: Conversation, agent: Agent, offer_id: str, agent_connections: Iterable[str],
               now: datetime) -> None:
        """The offered agent takes the conversation; the slot reserved by the offer becomes theirs."""
        ...

    def withdraw(self, conversation: Conversation, agent: Agent, offer_id: str, *, set_away: bool,
                 now: datetime) -> None:
        """Put an offered conversation back at its place in the queue and free the agent's slot."""
        ...

    def close(self, conversation: Conversation, agent: Agent, wrap_up: WrapUp, survey: EndSurvey | None = None) -> None:
        """The assigned agent ends the conversation: its slot frees and the visitor may start another. `survey`, if
        any, is what the widget's end screen asks, stored in the same write."""
        ...

    def snooze(self, conversation: Conversation, agent: Agent, snooze: Snooze, *, now: datetime) -> None:
        """Off the assigned agent's desk until the snooze ends (their slot frees), kept for them or not."""
        ...

    def reserve(self, conversation: Conversation, reservation: Reservation, to: Agent,
                holder: Agent | None = None, *, now: datetime) -> None:
        """Make the conversation wait for `to` alone: transferred from `holder`'s desk, or back from a snooze
        that `to` kept."""
        ...

    def hand_over(self, conversation: Conversation, holder: Agent, to: Agent, agent_connections: Iterable[str],
                  now: datetime) -> None:
        """An assigned conversation goes from `holder`'s desk to `to`'s in one transaction (a call transferred with
        consent, issue 14): the holder's slot frees, one of `to`'s is taken; AssignmentLost("agent_unavailable")
        when `to` can no longer take it, ("not_yours") when `holder` no longer holds it."""
        ...

    def requeue(self, conversation: Conversation, group: Group, *, now: datetime) -> Conversation:
        """A held conversation (on a desk, reserved or snoozed) goes to the group's queue at its original place."""
        ...
