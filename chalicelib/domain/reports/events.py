"""A conversation's history in the words of the reports (M1 of the reports research): what happened and when, as the
stream consumer derives it from the stored items. Each event is a small frozen dataclass with its UTC time `at`;
the definitions (definitions.py) read a conversation's events in time order.

How Guichet's stored data maps to them (docs/reports.md, "Events"):
- `Conversation.created_at` -> ConversationStarted (`by_agent` for a conversation an agent opened);
- a Message whose sender is the visitor -> VisitorMessageReceived; one whose sender is an agent ->
  AgentMessageSent (a human's, public). Guichet stores no bot or automatic message today: the widget's welcome text
  is shown by the widget, never stored; a bot, an auto-greeting or a system notice becomes BotMessageSent, or an
  AgentMessageSent with `automatic=True` when it is sent in an agent's name;
- status WAITING -> Enqueued; OFFERED -> ASSIGNED (offer accepted) -> ContactStarted; ASSIGNED -> SNOOZED,
  RESERVED or WAITING (transfer) or CLOSED -> ContactEnded with its reason; CLOSED -> ConversationClosed;
  DISSUADED -> VisitorLeftWhileQueued(dissuaded=True);
- a callback asked from the queue, or an asynchronous conversation's visitor leaving a message -> OptedForLater;
- `Conversation.survey` (stored with the close) -> SurveySent(CSAT), and SurveySent(NPS) when it asks NPS;
  `Conversation.rating` at `rated_at` -> SurveyAnswered(CSAT); `Conversation.nps` at `nps_at` -> SurveyAnswered(NPS).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ContactEndReason(enum.StrEnum):
    """Why a contact (one stay on an agent's desk) ended."""

    TRANSFER = "transfer"
    SNOOZE = "snooze"
    CLOSE = "close"
    #: The visitor left, or the agent lost the conversation, while it was on the desk.
    ABANDON = "abandon"


class LaterOption(enum.StrEnum):
    """What a visitor chose instead of waiting in the queue: not an abandonment."""

    CALLBACK = "callback"
    MESSAGE = "message"  # left a message: an asynchronous conversation, answered later


class Survey(enum.StrEnum):
    CSAT = "csat"  # 1 to 5
    NPS = "nps"  # 0 to 10


@dataclass(frozen=True)
class ConversationStarted:
    at: datetime
    #: An agent opened it (an outbound message): it has no first response time (docs/reports.md).
    by_agent: bool = False


@dataclass(frozen=True)
class ConversationReopened:
    """A closed conversation comes back (the visitor writes again): a new cycle begins."""

    at: datetime
    by_agent: bool = False


@dataclass(frozen=True)
class VisitorMessageReceived:
    at: datetime


@dataclass(frozen=True)
class BotMessageSent:
    """A bot's answer, a greeting, an automatic reply or a system notice: never a response."""

    at: datetime


@dataclass(frozen=True)
class AgentMessageSent:
    """A message in an agent's name. Only a public one that the agent wrote (`automatic` False) is a response: a
    note for agents only, or an automatic greeting sent in the agent's name, is not."""

    at: datetime
    agent_id: str
    public: bool = True
    automatic: bool = False

    @property
    def is_human_response(self) -> bool:
        return self.public and not self.automatic


@dataclass(frozen=True)
class HandedOffToHuman:
    """A bot (or an automatic flow) passes the conversation to the human agents."""

    at: datetime


@dataclass(frozen=True)
class Enqueued:
    at: datetime
    queue: str


@dataclass(frozen=True)
class ContactStarted:
    """An agent accepted the offer: the conversation arrives on their desk."""

    at: datetime
    agent_id: str
    queue: str = ""


@dataclass(frozen=True)
class ContactEnded:
    at: datetime
    agent_id: str
    reason: ContactEndReason


@dataclass(frozen=True)
class ConversationClosed:
    at: datetime


@dataclass(frozen=True)
class VisitorLeftWhileQueued:
    """The visitor gave up waiting (closed the widget, hung up); `dissuaded`: the tenant's maximum wait sent them
    away with the "come back later" screen (counted apart, inside the abandons)."""

    at: datetime
    dissuaded: bool = False


@dataclass(frozen=True)
class OptedForLater:
    """The visitor left the queue for a callback or left a message: not an abandonment."""

    at: datetime
    option: LaterOption


@dataclass(frozen=True)
class SurveySent:
    at: datetime
    survey: Survey


@dataclass(frozen=True)
class SurveyAnswered:
    at: datetime
    survey: Survey
    score: int


Event = (ConversationStarted | ConversationReopened | VisitorMessageReceived | BotMessageSent | AgentMessageSent
         | HandedOffToHuman | Enqueued | ContactStarted | ContactEnded | ConversationClosed | VisitorLeftWhileQueued
         | OptedForLater | SurveySent | SurveyAnswered)


def in_order(events: list[Event] | tuple[Event, ...]) -> list[Event]:
    """Events by time; events at the same instant keep the order given (the order the item's changes were made)."""
    for event in events:
        if event.at.tzinfo is None:
            raise ValueError("event times must be aware (UTC)")
    return sorted(events, key=lambda e: e.at)
