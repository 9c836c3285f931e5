"""What visitors and agents do with a conversation: start it, write in it, read it."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.domain import identity as identities
from chalicelib.domain import messages as rules
from chalicelib.domain import transcript as transcripts
from chalicelib.domain.end_survey import end_survey
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, MissingField, NotFound, Unavailable
from chalicelib.domain.model import (
    DEFAULT_QUEUE,
    Conversation,
    ConversationStatus,
    Message,
    PageContext,
    Principal,
    PrincipalKind,
    Sender,
    VisitorInfo,
    WrapUp,
)
from chalicelib.domain.routing import Channel, RoutingConfig, RoutingContext, skill_need_from_json
from chalicelib.ports import AssignmentLost, Deps, SeqTaken, Timer
from chalicelib.services import (
    board,
    call_attempts,
    contacts,
    fanout,
    frames,
    holding,
    notifications,
    queue_position,
    routing,
    tenants,
)
from chalicelib.services import chat_request as parse
from chalicelib.services.chat_request import ChatRequest as ChatRequest  # re-exported: callers build it here
from chalicelib.services.limits import conversation_started, message_pace

WAIT_EXPIRED = "wait.expired"

_SEQ_RACE_RETRIES = 64  # bounded by how many writers race on one conversation
MAX_PAGE = 200  # REST answers
PUSH_PAGE = 15  # 15 messages of 1,940 characters of up to 4 UTF-8 bytes fit one 128 KB WebSocket push


class Blocked(Forbidden):
    """An agent blocked this visitor (ASYNC-15)."""

    code = "blocked"


def start_conversation(deps: Deps, visitor: Principal, connection_id: str | None,
                       request: ChatRequest | None = None) -> Conversation:
    """Open the visitor's conversation, or return the one already open, and offer it to an agent."""
    if visitor.kind is not PrincipalKind.VISITOR:
        raise Forbidden("only a visitor starts a conversation")
    request = request or ChatRequest()
    if request.consent not in (None, True, False):
        raise InvalidInput("'consent' must be true or false", field="consent")
    context = parse.page(request.page)
    info = VisitorInfo(name=parse.optional_text("visitor_name", request.visitor_name, 120),
                       email=parse.optional_email(request.visitor_email), ip=request.ip[:64])
    custom = parse.custom(request.custom)
    first = parse.first_message(request.message)
    tenant = deps.tenants.get(visitor.tenant)
    if tenant is None:
        raise NotFound(f"unknown tenant '{visitor.tenant}'", field="tenant")
    if request.identity is not None:
        signed = identities.verify(tenant.identity_secrets(deps.clock.now()), request.identity)
        info = replace(info, name=signed.name or info.name, email=signed.email or info.email,
                       external_id=signed.external_id)
    existing, blocked = deps.conversations.visitor_state(visitor.tenant, visitor.id)
    if blocked:
        raise Blocked("you cannot start a conversation", field="visitor")
    if existing is not None:
        return existing
    settings = tenant.settings
    if settings.consent_required and request.consent is not True:
        raise InvalidInput("the visitor must agree before anything is stored ('consent': true)", field="consent")
    route = routing.route_of(tenant.routing, routing_context(request, context, custom, tenant.routing))
    routing.check_open(settings.hours, route, deps.clock.now())  # outside opening hours: refused, nothing stored
    conversation_started(deps, visitor, settings, deps.clock.now())  # over the limit: nothing stored
    connections = set(deps.connections.of(visitor))
    if connection_id:
        connections.add(connection_id)
    now = deps.clock.now()
    conversation = Conversation(
        tenant=visitor.tenant,
        id=deps.ids.new_id(),
        visitor_id=visitor.id,
        created_at=now,
        page=context,
        connections=frozenset(connections),
        visitor=info,
        custom=custom,
        queue=route.groups[0].id,
        rule=route.rule.id,
        priority=route.priority,
        skill=(route.skill.skill, route.skill.min_level) if route.skill else None,
        # Its rule lets conversations wait in a group: the visitor may leave and be answered later (ASYNC-9).
        asynchronous=any(group.threshold >= 1 for group in route.groups),
        consent_at=now if request.consent is True else None,
    )
    try:
        deps.conversations.create(conversation)
    except Conflict:
        # Another tab of the same visitor won the race; both tabs share its conversation.
        won = deps.conversations.open_for_visitor(visitor.tenant, visitor.id)
        if not won:
            raise
        return won[0]
    deps.metrics.count("ConversationsStarted")
    if first is not None:
        send_message(deps, visitor, connection_id, conversation.id, first[0], first[1], 0)
    if not conversation.asynchronous:  # an asynchronous one waits as long as it takes (ASYNC-11)
        deps.timers.arm(Timer(kind=WAIT_EXPIRED, tenant=visitor.tenant,
                              payload={"conversation_id": conversation.id}),
                        now + timedelta(seconds=settings.max_wait_seconds), now)
    try:
        placed = routing.admit(deps, conversation, route)
    except Unavailable:
        deps.conversations.dissuade(conversation, now)  # every group is full: the visitor is not engaged
        raise
    if placed.status is ConversationStatus.WAITING:
        queue_position.announce(deps, placed.tenant, placed.queue)
    return placed


def routing_context(request: ChatRequest, page: PageContext | None, custom: dict[str, str],
                    config: RoutingConfig) -> RoutingContext:
    """What routing weighs about a new chat (ROUTE-1): requested queue, page URL, custom data, required skill."""
    queue = request.queue if request.queue not in (None, "") else DEFAULT_QUEUE
    if not isinstance(queue, str) or len(queue) > 40:
        raise InvalidInput("'queue' must be a queue name of at most 40 characters", field="queue")
    return RoutingContext(queue=queue, channel=Channel.CHAT, url=page.url if page else "", custom=custom,
                          skill=skill_need_from_json(request.skill, "skill", config.skills))


def close_conversation(deps: Deps, agent: Principal, conversation_id: object, disposition: object = None,
                       notes: object = None, saved_as: object = None, contact_id: object = None) -> Conversation:
    """The assigned agent ends the chat with a disposition (CHAT-11): the slot frees and the next waiting chat is
    offered at once. The chat log stays with the conversation, saved as a case or as a draft, and that case goes on
    the customer's record: the one the agent chose (`contact_id`, for a new customer) or the one the visitor's
    identity or email points to."""
    settings = tenants.settings_of(deps, agent.tenant)
    conversation = participant_view(deps, agent, parse.required_str("conversation_id", conversation_id))
    if not agent.is_agent:
        raise Forbidden("only an agent closes a conversation")
    if conversation.status is not ConversationStatus.ASSIGNED:
        raise Conflict("the conversation is not in progress", field="conversation_id")
    if call_attempts.is_call(conversation) and call_attempts.still_on_the_phone(deps, conversation):
        raise Conflict("the call is still going on: hang up first", field="conversation_id")
    chosen = parse.optional_text("disposition", disposition, 80)
    if chosen and chosen not in settings.dispositions:
        raise InvalidInput(f"'disposition' must be one of: {', '.join(settings.dispositions)}", field="disposition")
    if settings.disposition_required and not chosen:
        raise MissingField("disposition")
    kind = saved_as or "case"
    if kind not in ("case", "draft"):
        raise InvalidInput("'saved_as' must be 'case' or 'draft'", field="saved_as")
    wrap_up = WrapUp(closed_at=deps.clock.now(), disposition=chosen, notes=parse.optional_text("notes", notes, 4000),
                     saved_as=str(kind))
    survey = end_survey(settings, conversation, wrap_up.closed_at)  # the end screen asks it (docs/widget.md)
    record = contacts.chosen_contact(deps, agent.tenant, contact_id)  # refused before anything changes
    profile = deps.agents.get(agent.tenant, agent.id)
    if profile is None:
        raise NotFound("this user has no agent profile in the tenant")
    try:
        deps.assignments.close(conversation, profile, wrap_up, survey)
    except AssignmentLost as lost:
        raise Conflict("the conversation changed; reload it", field="conversation_id") from lost
    closed = replace(conversation, status=ConversationStatus.CLOSED, wrap_up=wrap_up, survey=survey)
    board.changed(deps, agent.tenant)
    record = record or contacts.lookup_for(deps, conversation)
    if record is not None:
        contacts.save_case(deps, record, closed, wrap_up)
    fanout.to_conversation(deps, closed, {"type": "conversation.closed", "conversation": frames.for_visitor(closed)})
    if call_attempts.is_call(conversation):
        call_attempts.after_call(deps, profile)  # Away, and Available again after the auto-answer delay (CB-4)
    freed = deps.agents.get(agent.tenant, agent.id)
    if freed is not None and routing.pull(deps, freed):
        freed = deps.agents.get(agent.tenant, agent.id)
    if freed is not None:  # every open desk of the agent shows the same load
        fanout.to_connections(deps, deps.connections.of(agent), {"type": "agent.status", "agent": frames.agent(freed)})
    return closed


def rate(deps: Deps, visitor: Principal, conversation_id: object, rating: object, comment: object = None) -> int:
    """The visitor rates a closed chat from 1 to 5, once, with an optional comment."""
    if visitor.kind is not PrincipalKind.VISITOR:
        raise Forbidden("only the visitor rates a conversation")
    conversation = participant_view(deps, visitor, parse.required_str("conversation_id", conversation_id))
    if rating is None:
        raise MissingField("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput("'rating' must be an integer from 1 to 5", field="rating")
    deps.conversations.rate(visitor.tenant, conversation.id, rating, parse.optional_text("comment", comment, 1000),
                            deps.clock.now())
    if conversation.agent_id:
        assigned = Principal(tenant=visitor.tenant, id=conversation.agent_id, kind=PrincipalKind.AGENT)
        fanout.to_connections(deps, deps.connections.of(assigned),
                              {"type": "conversation.rated", "conversation_id": conversation.id, "rating": rating})
    return rating


def transcript(deps: Deps, principal: Principal, conversation_id: object, fmt: object) -> tuple[str, str]:
    """The whole chat log as ("text/plain" or "text/html", body)."""
    conversation = participant_view(deps, principal, parse.required_str("conversation_id", conversation_id))
    kind = fmt or "text"
    if kind not in ("text", "html"):
        raise InvalidInput("'format' must be 'text' or 'html'", field="format")
    everything: list[Message] = []
    while True:
        page = deps.conversations.messages(principal.tenant, conversation.id, everything[-1].seq if everything else 0,
                                           MAX_PAGE)
        everything += page
        if len(page) < MAX_PAGE:
            break
    tenant = deps.tenants.get(principal.tenant)
    brand = tenant.name if tenant else principal.tenant
    label = "Visitor" if principal.is_agent else "You"
    if kind == "html":
        return "text/html; charset=utf-8", transcripts.as_html(conversation, everything, brand, label)
    return "text/plain; charset=utf-8", transcripts.as_text(conversation, everything, brand, label)


def typing(deps: Deps, who: Principal, connection_id: str | None, conversation_id: object, active: object) -> None:
    """Typing indicators both ways (CHAT-9); nothing is stored."""
    conversation = participant_view(deps, who, parse.required_str("conversation_id", conversation_id))
    if not isinstance(active, bool):
        raise InvalidInput("'typing' must be true or false", field="typing")
    if conversation.status is not ConversationStatus.ASSIGNED:
        return  # nobody on the other side to tell
    frame = {"type": "typing", "conversation_id": conversation.id,
             "sender": {"kind": who.kind.value, "name": who.name}, "typing": active}
    fanout.to_conversation(deps, conversation, frame, exclude=connection_id)


def wait_expired(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer: a chat still waiting after the tenant's maximum wait is withdrawn with the dissuasion screen."""
    conversation = deps.conversations.get(tenant, str(payload.get("conversation_id", "")))
    if conversation is None:
        return False
    now = deps.clock.now()
    if conversation.status is ConversationStatus.OFFERED and conversation.offer is not None:
        # An offer is pending: look again when it has been answered or has expired.
        deps.timers.arm(Timer(kind=WAIT_EXPIRED, tenant=tenant, payload={"conversation_id": conversation.id}),
                        conversation.offer.expires_at + timedelta(seconds=1), now)
        return False
    if conversation.status is not ConversationStatus.WAITING or not deps.conversations.dissuade(conversation, now):
        return False
    dissuaded = replace(conversation, status=ConversationStatus.DISSUADED, wrap_up=WrapUp(closed_at=now))
    text = tenants.settings_of(deps, tenant).texts
    fanout.to_conversation(deps, dissuaded, {"type": "conversation.dissuaded",
                                            "conversation": frames.for_visitor(dissuaded),
                                            "texts": {lang: t.get("dissuasion", "") for lang, t in text.items()}})
    queue_position.announce(deps, tenant, conversation.queue)
    return True


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
    conversation_id = parse.required_str("conversation_id", conversation_id)
    client_id = rules.validate_client_message_id(client_message_id)
    body = rules.validate_text(text)
    known = parse.optional_seq("after_seq", after_seq)
    who = Sender(kind=sender.kind, id=sender.id, name=sender.name)
    for attempt in range(_SEQ_RACE_RETRIES):
        view = deps.conversations.view_for_send(sender.tenant, conversation_id, known)
        if view is None or not view.conversation.is_participant(sender):
            raise NotFound("no such conversation", field="conversation_id")
        conversation = view.conversation
        if not conversation.status.is_open:
            raise Conflict(f"the conversation is {conversation.status.value}", field="conversation_id")
        if sender.is_agent and conversation.status is not ConversationStatus.ASSIGNED:
            raise Conflict("the conversation is not on your desk", field="conversation_id")
        if not sender.is_agent and conversation.visitor_blocked:
            raise Blocked("your messages are refused in this conversation", field="conversation_id")
        stored = rules.find_retry(view.recent, who, client_id)
        if stored is not None:
            return stored
        sent_at = rules.sent_time(deps.clock.now())
        pace = message_pace(deps, sender, view, sent_at)  # a visitor over the limit: nothing stored
        message = Message(
            tenant=sender.tenant,
            conversation_id=conversation_id,
            seq=rules.next_seq(view.recent),
            client_message_id=client_id,
            sender=who,
            text=body,
            sent_at=sent_at,
        )
        try:
            deps.conversations.put_message(message, pace)
        except SeqTaken as taken:
            # Someone wrote first under this number. If it was this very message (a concurrent resend), it is
            # stored; otherwise read the newest number again, after a jittered pause.
            if taken.holder is not None and rules.find_retry([taken.holder], who, client_id):
                return taken.holder
            known = None if known is None else max(known, message.seq - 1)
            _back_off(attempt)
            continue
        deps.metrics.count("Messages")
        if sender.is_agent and conversation.first_reply_at is None:
            deps.conversations.mark_first_reply(sender.tenant, conversation_id, sender.id, sent_at)
        fanout.to_conversation(deps, conversation, {"type": "message", "message": frames.message(message)},
                               exclude=connection_id)
        if conversation.asynchronous:
            _after_async_message(deps, conversation, message)
        return message
    raise Conflict("too many concurrent writers; retry", field="conversation_id")


def _after_async_message(deps: Deps, conversation: Conversation, message: Message) -> None:
    """A visitor's message wakes a snoozed conversation (ASYNC-10); an agent's answer to a visitor who is away
    arms the email that tells them (ASYNC-2)."""
    if message.sender.kind is PrincipalKind.VISITOR:
        if conversation.status is ConversationStatus.SNOOZED:
            holding.wake(deps, conversation)
        return
    notifications.answer_written(deps, conversation, message)


def _back_off(attempt: int) -> None:
    """Spread writers that keep colliding on one conversation, so none of them starves."""
    time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))  # noqa: S311 - jitter, not security


def participant_view(deps: Deps, principal: Principal, conversation_id: str) -> Conversation:
    """The conversation if the principal may read it (see Conversation.can_read), else NotFound."""
    conversation = deps.conversations.get(principal.tenant, conversation_id)
    if conversation is None or not conversation.can_read(principal):
        raise NotFound("no such conversation", field="conversation_id")
    return conversation


def position(deps: Deps, conversation: Conversation) -> int | None:
    """The conversation's place in its queue while it waits (an offered one is next: 1), else None."""
    if conversation.status is ConversationStatus.OFFERED:
        return 1
    if conversation.status is not ConversationStatus.WAITING:
        return None
    return deps.conversations.waiting_ahead(conversation) + 1


def history(deps: Deps, principal: Principal, conversation_id: object, after_seq: object, limit: object = None,
            *, max_page: int = MAX_PAGE) -> list[Message]:
    """Messages after `after_seq`, oldest first, at most `limit` (capped at `max_page`)."""
    conversation = participant_view(deps, principal, parse.required_str("conversation_id", conversation_id))
    since = parse.optional_seq("after_seq", after_seq) or 0
    size = min(parse.optional_seq("limit", limit) or max_page, max_page)
    return deps.conversations.messages(principal.tenant, conversation.id, since, size)


def open_conversations(deps: Deps, principal: Principal) -> list[Conversation]:
    if principal.kind is PrincipalKind.VISITOR:
        return deps.conversations.open_for_visitor(principal.tenant, principal.id)
    return deps.conversations.open_for_agent(principal.tenant, principal.id)
