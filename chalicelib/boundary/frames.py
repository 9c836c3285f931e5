"""One model per WebSocket action (chalicelib/ws.py validates each frame with the model of its action).

Every frame may carry an `id` (a string or number of at most 64 characters) and names its `action`; both are checked
by ws.py before the action's model, so that an error can echo the id.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.boundary.fields import (
    Body,
    ClientMessageId,
    Custom,
    Email,
    FirstMessage,
    Id,
    Identity,
    MessageText,
    Moment,
    Name,
    Page,
    Seq,
    SkillNeed,
    Text40,
    Text80,
    Text120,
    Text4000,
)

PageSize = Annotated[int, Field(ge=1, le=200)]


class StartConversation(Body):
    page: Page | None = None
    custom: Custom | None = None
    visitor_name: Text120 | None = None
    visitor_email: Email | None = None
    identity: Identity | None = None
    message: FirstMessage | None = None
    queue: Text40 | None = None
    skill: SkillNeed | None = None
    consent: bool | None = None


class SendMessage(Body):
    conversation_id: Id
    client_message_id: ClientMessageId
    text: MessageText
    after_seq: Seq | None = None


class Sync(Body):
    conversation_id: Id
    after_seq: Seq | None = None
    limit: PageSize | None = None


class SetStatus(Body):
    status: Literal["available", "away", "offline"]


class WatchBoard(Body):
    """`watch_board` and `unwatch_board` carry nothing but the action (and an id)."""


class SetAgentStatus(Body):
    """A supervisor or admin forces an agent Away or Offline (services/board.py)."""

    agent_id: Id
    status: Literal["away", "offline"]


class SwitchQueue(Body):
    queue: Name
    on: bool


class SetAnswerCalls(Body):
    """set_answer_calls: how the agent answers their next calls (CB-6)."""

    answer_calls: Literal["line", "desk"]


class Offer(Body):
    """accept_offer and reject_offer."""

    conversation_id: Id
    offer_id: Id


class CloseConversation(Body):
    conversation_id: Id
    disposition: Text80 | None = None
    notes: Text4000 | None = None
    saved_as: Literal["case", "draft"] | None = None
    contact_id: Id | None = None


class Typing(Body):
    conversation_id: Id
    typing: bool


class Snooze(Body):
    conversation_id: Id
    duration: Literal["3h", "24h"] | None = None
    until: Moment | None = None
    keep: bool = True


class TransferCall(Body):
    """Exactly one of `to_queue` (call_controls) and `to_agent` (call_transfers, with consent)."""

    conversation_id: Id
    to_queue: Text40 | None = None
    to_agent: Id | None = None


class RequalifyCall(Body):
    conversation_id: Id
    to_queue: Text40
    note: Text4000  # at most 500 characters once trimmed (services/call_transfers.py names the field)


class ConsultCall(Body):
    """consult_call (issue 14): one of `to_agent` (an agent id) or `to_number` (checked by the number rules)."""

    conversation_id: Id
    to_agent: Id | None = None
    to_number: Text40 | None = None


class TransferOut(Body):
    conversation_id: Id
    to_number: Text40


class Transfer(Body):
    conversation_id: Id
    to_agent: Id | None = None
    to_queue: Name | None = None


class OnConversation(Body):
    """block_visitor: the conversation alone."""

    conversation_id: Id


class SetNotification(Body):
    """A field left out stays as it is (see `model_fields_set`); `email` null or "" deletes the address."""

    conversation_id: Id
    email: Email | None = None
    enabled: bool | None = None


class PageChanged(Body):
    conversation_id: Id
    page: Page


class Read(Body):
    conversation_id: Id
    seq: Seq

