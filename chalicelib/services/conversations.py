"""What visitors and agents do with a conversation: start it, write in it, read it."""

from __future__ import annotations

import random
import time
from typing import Any

from chalicelib.domain import messages as rules
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import (
    Conversation,
    ConversationStatus,
    Message,
    PageContext,
    Principal,
    PrincipalKind,
    Sender,
)
from chalicelib.ports import Deps, SeqTaken
from chalicelib.services import fanout, frames, routing

_SEQ_RACE_RETRIES = 64  # bounded by how many writers race on one conversation
MAX_PAGE = 200  # REST answers
PUSH_PAGE = 15  # 15 messages of 1,940 characters of up to 4 UTF-8 bytes fit one 128 KB WebSocket push


def start_conversation(deps: Deps, visitor: Principal, connection_id: str | None, page: object) -> Conversation:
    """Open the visitor's conversation, or return the one already open, and route it to an agent."""
    if visitor.kind is not PrincipalKind.VISITOR:
        raise Forbidden("only a visitor starts a conversation")
    context = _page(page)
    existing = deps.conversations.open_for_visitor(visitor.tenant, visitor.id)
    if existing:
        return existing[0]
    connections = set(deps.connections.of(visitor))
    if connection_id:
        connections.add(connection_id)
    conversation = Conversation(
        tenant=visitor.tenant,
        id=deps.ids.new_id(),
        visitor_id=visitor.id,
        created_at=deps.clock.now(),
        page=context,
        connections=frozenset(connections),
    )
    try:
        deps.conversations.create(conversation)
    except Conflict:
        # Another tab of the same visitor won the race; both tabs share its conversation.
        existing = deps.conversations.open_for_visitor(visitor.tenant, visitor.id)
        if not existing:
            raise
        return existing[0]
    return routing.route_conversation(deps, conversation) or conversation


def send_message(
    deps: Deps,
    sender: Principal,
    connection_id: str | None,
    conversation_id: object,
    client_message_id: object,
    text: object,
    after_seq: object = None,
) -> Message:
    """Store a message under the next sequence number, then push it to the other connections (invariant 4).

    A resend with the same client message id returns the stored message instead of storing it twice. The sender's
    `after_seq` (the highest sequence it had seen when it wrote the message) bounds what must be read to be sure.
    """
    conversation_id = _required_str("conversation_id", conversation_id)
    client_id = rules.validate_client_message_id(client_message_id)
    body = rules.validate_text(text)
    known = _optional_seq("after_seq", after_seq)
    who = Sender(kind=sender.kind, id=sender.id, name=sender.name)
    for attempt in range(_SEQ_RACE_RETRIES):
        view = deps.conversations.view_for_send(sender.tenant, conversation_id, known)
        if view is None or not view.conversation.is_participant(sender):
            raise NotFound("no such conversation", field="conversation_id")
        conversation = view.conversation
        if conversation.status is ConversationStatus.CLOSED:
            raise Conflict("the conversation is closed", field="conversation_id")
        stored = rules.find_retry(view.recent, who, client_id)
        if stored is not None:
            return stored
        message = Message(
            tenant=sender.tenant,
            conversation_id=conversation_id,
            seq=rules.next_seq(view.recent),
            client_message_id=client_id,
            sender=who,
            text=body,
            sent_at=rules.sent_time(deps.clock.now()),
        )
        try:
            deps.conversations.put_message(message)
        except SeqTaken as taken:
            # Someone wrote first under this number. If it was this very message (a concurrent resend), it is
            # stored; otherwise read the newest number again, after a jittered pause.
            if taken.holder is not None and rules.find_retry([taken.holder], who, client_id):
                return taken.holder
            known = None if known is None else max(known, message.seq - 1)
            _back_off(attempt)
            continue
        fanout.to_conversation(deps, conversation, {"type": "message", "message": frames.message(message)},
                               exclude=connection_id)
        return message
    raise Conflict("too many concurrent writers; retry", field="conversation_id")


def _back_off(attempt: int) -> None:
    """Spread writers that keep colliding on one conversation, so none of them starves."""
    time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))  # noqa: S311 - jitter, not security


def participant_view(deps: Deps, principal: Principal, conversation_id: str) -> Conversation:
    conversation = deps.conversations.get(principal.tenant, conversation_id)
    if conversation is None or not conversation.is_participant(principal):
        raise NotFound("no such conversation", field="conversation_id")
    return conversation


def history(deps: Deps, principal: Principal, conversation_id: object, after_seq: object, limit: object = None,
            *, max_page: int = MAX_PAGE) -> list[Message]:
    """Messages after `after_seq`, oldest first, at most `limit` (capped at `max_page`)."""
    conversation = participant_view(deps, principal, _required_str("conversation_id", conversation_id))
    since = _optional_seq("after_seq", after_seq) or 0
    size = min(_optional_seq("limit", limit) or max_page, max_page)
    return deps.conversations.messages(principal.tenant, conversation.id, since, size)


def open_conversations(deps: Deps, principal: Principal) -> list[Conversation]:
    if principal.kind is PrincipalKind.VISITOR:
        return deps.conversations.open_for_visitor(principal.tenant, principal.id)
    return deps.conversations.open_for_agent(principal.tenant, principal.id)


def _page(page: object) -> PageContext | None:
    if page is None:
        return None
    if not isinstance(page, dict):
        raise InvalidInput("'page' must be an object with 'url' and 'title'", field="page")
    url, title = page.get("url"), page.get("title", "")
    if not isinstance(url, str) or len(url) > 2048:
        raise InvalidInput("'page.url' must be a string of at most 2048 characters", field="page.url")
    if not isinstance(title, str) or len(title) > 512:
        raise InvalidInput("'page.title' must be a string of at most 512 characters", field="page.title")
    return PageContext(url=url, title=title)


def _required_str(name: str, value: object) -> str:
    if value is None or value == "":
        raise MissingField(name)
    if not isinstance(value, str) or len(value) > 128:
        raise InvalidInput(f"'{name}' must be a string", field=name)
    return value


def _optional_seq(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"'{name}' must be a non-negative integer", field=name)
    return value
