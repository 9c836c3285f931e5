"""The metrics' definitions over one conversation's events (docs/reports.md): each says where it starts and where it
stops, so that a figure never depends on how it is stored.

- First response time (per cycle): human answers only. It starts at the first visitor message after the latest of
  {the cycle's start (conversation start or reopen), a handoff to a human}; when the visitor has already written and
  is still unanswered at that moment, it starts at that moment (they wait for a human from then on: a reply to the
  question asked to the bot is not lost, unlike Chatwoot PR #13417). A bot, greeting, automatic or private message
  never stops it; a handoff after the first human answer changes nothing. A cycle an agent opened has none.
- Cycles: the conversation start and each reopen begin a cycle; its resolution time runs from the cycle's first
  visitor message to its close (a reopened conversation is never measured from its creation: Chatwoot #7679).
- Reply time (every reply): from the first visitor message a human has not answered yet (or a handoff while it
  waits) to the next human answer; the first reply of a visitor-started cycle is its first response.
- Closed: closes counted as events and, apart, as distinct conversations, so the two never disagree silently.
- Contact handle time: ContactStarted (offer accepted) to ContactEnded (transfer, snooze, close, abandon).
- Queue episodes: Enqueued to ContactStarted (answered), VisitorLeftWhileQueued (abandoned) or OptedForLater (a
  callback or a message: not abandoned). Service level X and the abandonment rate are ratios over ended episodes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.reports.events import (
    AgentMessageSent,
    ContactEnded,
    ContactEndReason,
    ContactStarted,
    ConversationClosed,
    ConversationReopened,
    ConversationStarted,
    Enqueued,
    Event,
    HandedOffToHuman,
    LaterOption,
    OptedForLater,
    VisitorLeftWhileQueued,
    VisitorMessageReceived,
    in_order,
)
from chalicelib.domain.reports.periods import report_day


@dataclass(frozen=True)
class Span:
    """From a start event to a stop event (UTC); a metric's value is its length in calendar seconds."""

    start: datetime
    stop: datetime

    def __post_init__(self) -> None:
        if self.stop < self.start:
            raise ValueError("a span stops after it starts")

    @property
    def seconds(self) -> float:
        return (self.stop - self.start).total_seconds()


@dataclass(frozen=True)
class Ratio:
    """`part` of `whole` (a service level, a rate); `share` is None when there is nothing to divide."""

    part: int
    whole: int

    @property
    def share(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def percent(self) -> float | None:
        return None if self.share is None else 100 * self.share


@dataclass(frozen=True)
class Cycle:
    """One cycle of a conversation: from its start or a reopen to the next close."""

    number: int  # 1 for the first
    opened_at: datetime
    by_agent: bool
    first_visitor_message_at: datetime | None
    first_response: Span | None
    #: The agent credited with the first response: its sender, not the assignee (Chatwoot #4559, #7978).
    responder: str
    closed_at: datetime | None

    @property
    def resolution(self) -> Span | None:
        """First visitor message of the cycle to its close; None while open or when the visitor never wrote."""
        if self.closed_at is None or self.first_visitor_message_at is None:
            return None
        return Span(self.first_visitor_message_at, self.closed_at)


class _CycleBuilder:
    def __init__(self, number: int, opened_at: datetime, by_agent: bool) -> None:
        self.number, self.opened_at, self.by_agent = number, opened_at, by_agent
        self.first_visitor: datetime | None = None
        #: Where the first response starts: the first visitor message after the latest of the cycle's start and a
        #: handoff, or the handoff when the visitor was already waiting then.
        self.waiting_since: datetime | None = None
        self.response: Span | None = None
        self.responder = ""

    def read(self, event: Event) -> None:
        if isinstance(event, VisitorMessageReceived):
            self.first_visitor = self.first_visitor or event.at
            self.waiting_since = self.waiting_since or event.at
        elif isinstance(event, HandedOffToHuman) and self.response is None:
            if self.waiting_since is not None:  # the visitor already waits: for a human from now on
                self.waiting_since = event.at
        elif isinstance(event, AgentMessageSent) and event.is_human_response and self.response is None \
                and not self.by_agent and self.waiting_since is not None:
            self.response = Span(self.waiting_since, event.at)
            self.responder = event.agent_id

    def build(self, closed_at: datetime | None) -> Cycle:
        return Cycle(self.number, self.opened_at, self.by_agent, self.first_visitor, self.response, self.responder,
                     closed_at)


def cycles(events: Sequence[Event]) -> tuple[Cycle, ...]:
    """The conversation's cycles in order, the last one possibly still open. Events before the conversation's
    start are ignored; a close with no open cycle (a repeated close) changes nothing."""
    done: list[Cycle] = []
    current: _CycleBuilder | None = None
    for event in in_order(list(events)):
        if isinstance(event, ConversationStarted | ConversationReopened):
            if current is not None:  # a reopen that was never preceded by a close: the open cycle ends unclosed
                done.append(current.build(None))
            current = _CycleBuilder(len(done) + 1, event.at, event.by_agent)
        elif isinstance(event, ConversationClosed):
            if current is not None:
                done.append(current.build(event.at))
                current = None
        elif current is not None:
            current.read(event)
    if current is not None:
        done.append(current.build(None))
    return tuple(done)


def first_responses(events: Sequence[Event]) -> tuple[Span, ...]:
    """Every cycle's first response time, in order (cycles without one are left out)."""
    return tuple(c.first_response for c in cycles(events) if c.first_response is not None)


def full_resolution(events: Sequence[Event]) -> Span | None:
    """First visitor message of the conversation to its final close; None while it is open."""
    found = cycles(events)
    if not found or found[-1].closed_at is None:
        return None
    first = next((c.first_visitor_message_at for c in found if c.first_visitor_message_at), None)
    return None if first is None else Span(first, found[-1].closed_at)


def reply_times(events: Sequence[Event]) -> tuple[Span, ...]:
    """Every human answer's wait, in order: from the first visitor message not yet answered by a human (moved to a
    handoff that happens while the visitor waits) to the answer. Bots and automatic messages never answer; a
    close or a new cycle ends a wait unanswered."""
    done: list[Span] = []
    waiting: datetime | None = None
    for event in in_order(list(events)):
        if isinstance(event, ConversationStarted | ConversationReopened | ConversationClosed):
            waiting = None
        elif isinstance(event, VisitorMessageReceived):
            waiting = waiting or event.at
        elif isinstance(event, HandedOffToHuman) and waiting is not None:
            waiting = event.at
        elif isinstance(event, AgentMessageSent) and event.is_human_response and waiting is not None:
            done.append(Span(waiting, event.at))
            waiting = None
    return tuple(done)


@dataclass(frozen=True)
class Closures:
    """A day's closes: `closes` counts events (a conversation closed, reopened and closed again counts twice),
    `conversations` counts the distinct conversations closed (Chatwoot PR #12261, #14871: research 1.4)."""

    closes: int
    conversations: int


def closures(closes: Iterable[tuple[str, datetime]], day: date, zone: ZoneInfo) -> Closures:
    """The closes (conversation id, close time) that fall on `day` on the tenant's clock."""
    found = [conversation for conversation, at in closes if report_day(at, zone) == day]
    return Closures(len(found), len(set(found)))


@dataclass(frozen=True)
class Contact:
    """One stay on an agent's desk (not a customer record: that is domain/contacts.py)."""

    agent_id: str
    queue: str
    handle: Span
    reason: ContactEndReason
    #: ContactStarted to the agent's first human message in the contact; None: an unanswered contact.
    agent_first_response: Span | None


def contacts(events: Sequence[Event]) -> tuple[Contact, ...]:
    """The conversation's finished contacts, in order. A ContactEnded for another agent than the open contact's, or
    with no open contact, is ignored (a stale or repeated record)."""
    done: list[Contact] = []
    started: ContactStarted | None = None
    answered: Span | None = None
    for event in in_order(list(events)):
        if isinstance(event, ContactStarted):
            started, answered = event, None
        elif started is None:
            continue
        elif isinstance(event, AgentMessageSent) and event.is_human_response and event.agent_id == started.agent_id:
            answered = answered or Span(started.at, event.at)
        elif isinstance(event, ContactEnded) and event.agent_id == started.agent_id:
            done.append(Contact(started.agent_id, started.queue, Span(started.at, event.at), event.reason, answered))
            started = None
    return tuple(done)


class QueueOutcome(enum.StrEnum):
    ANSWERED = "answered"  # an agent accepted it
    ABANDONED = "abandoned"  # the visitor left (or was dissuaded)
    CALLBACK = "callback"  # left the queue for a callback: not abandoned
    MESSAGE = "message"  # left a message: not abandoned


@dataclass(frozen=True)
class QueueEpisode:
    """One wait in a queue, from Enqueued to its end; its day is the end's (M1: "end time")."""

    queue: str
    wait: Span
    outcome: QueueOutcome
    dissuaded: bool = False


def queue_episodes(events: Sequence[Event]) -> tuple[QueueEpisode, ...]:
    """The conversation's ended waits, in order; a wait still going on is live state, not history."""
    done: list[QueueEpisode] = []
    waiting: Enqueued | None = None
    for event in in_order(list(events)):
        if isinstance(event, Enqueued):
            waiting = waiting or event  # a repeated Enqueued while waiting is the same wait
            continue
        if waiting is None:
            continue
        if isinstance(event, ContactStarted):
            done.append(QueueEpisode(waiting.queue, Span(waiting.at, event.at), QueueOutcome.ANSWERED))
        elif isinstance(event, VisitorLeftWhileQueued):
            done.append(QueueEpisode(waiting.queue, Span(waiting.at, event.at), QueueOutcome.ABANDONED,
                                     event.dissuaded))
        elif isinstance(event, OptedForLater):
            outcome = QueueOutcome.CALLBACK if event.option is LaterOption.CALLBACK else QueueOutcome.MESSAGE
            done.append(QueueEpisode(waiting.queue, Span(waiting.at, event.at), outcome))
        else:
            continue
        waiting = None
    return tuple(done)


def service_level(episodes: Iterable[QueueEpisode], threshold_seconds: float) -> Ratio:
    """Amazon Connect's service level X: the waits that left the queue within X seconds (answered, abandoned or
    opted for a callback or a message: every removal counts, research 1.1 [C1] and 1.2 [C2]) over all the waits
    given (ended in the period: the caller chooses them by their end's day)."""
    given = list(episodes)
    return Ratio(sum(1 for e in given if e.wait.seconds <= threshold_seconds), len(given))


def abandonment(episodes: Iterable[QueueEpisode]) -> Ratio:
    """Abandoned waits over all the waits given (Connect: abandoned / queued, research 1.2 [C2][C3]); a callback or
    a message left is not an abandonment."""
    given = list(episodes)
    return Ratio(sum(1 for e in given if e.outcome is QueueOutcome.ABANDONED), len(given))


def queue_answer_times(episodes: Iterable[QueueEpisode]) -> tuple[float, ...]:
    """The waits of answered episodes, in seconds: the average queue answer time's values (ASA, queue time only)."""
    return tuple(e.wait.seconds for e in episodes if e.outcome is QueueOutcome.ANSWERED)
