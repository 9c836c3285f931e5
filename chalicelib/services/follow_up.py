"""What the visitor's widget tells about an open conversation while it lasts: the email for answers and whether
to use it (ASYNC-2, ASYNC-3), the page the visitor is on (ASYNC-16), and how far they have read (ASYNC-4: the
notification email is not sent for answers already read)."""

from __future__ import annotations

from chalicelib.domain import emails
from chalicelib.domain.errors import Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import Conversation, Notification, PageContext, Principal, PrincipalKind
from chalicelib.ports import Deps
from chalicelib.services import fanout

KEEP = object()  # a field the request leaves as it is


def set_notification(deps: Deps, visitor: Principal, conversation_id: object, email: object = KEEP,
                     enabled: object = KEEP) -> Notification:
    """Set, change or delete (null or "") the visitor's email, and/or switch the emails on or off; a field left
    out stays as it is."""
    conversation = _own(deps, visitor, conversation_id)
    address = conversation.notification.email
    if email is not KEEP:
        if email is not None and not isinstance(email, str):
            raise InvalidInput("'email' must be an email address, or null to delete it", field="email")
        address = emails.valid_email("email", email)
    wanted = conversation.notification.enabled if enabled is KEEP else enabled
    if not isinstance(wanted, bool):
        raise InvalidInput("'enabled' must be true or false", field="enabled")
    notification = Notification(email=address, enabled=wanted)
    deps.conversations.set_notification(visitor.tenant, conversation.id, notification)
    return notification


def update_page(deps: Deps, visitor: Principal, conversation_id: object, page: object) -> PageContext:
    """The visitor is on another page of the brand's site: the agent's desk shows it (ASYNC-16)."""
    conversation = _own(deps, visitor, conversation_id)
    if not isinstance(page, dict):
        raise InvalidInput("'page' must be an object with 'url' and 'title'", field="page")
    url, title = page.get("url"), page.get("title", "")
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise InvalidInput("'page.url' must be a string of at most 2048 characters", field="page.url")
    if not isinstance(title, str) or len(title) > 512:
        raise InvalidInput("'page.title' must be a string of at most 512 characters", field="page.title")
    context = PageContext(url=url, title=title)
    if conversation.page == context:
        return context
    deps.conversations.set_page(visitor.tenant, conversation.id, context)
    if conversation.agent_id:
        agent = Principal(visitor.tenant, conversation.agent_id, PrincipalKind.AGENT)
        fanout.to_connections(deps, deps.connections.of(agent), {
            "type": "conversation.page", "conversation_id": conversation.id,
            "page": {"url": context.url, "title": context.title}})
    return context


def mark_read(deps: Deps, visitor: Principal, conversation_id: object, seq: object) -> int:
    conversation = _own(deps, visitor, conversation_id)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise InvalidInput("'seq' must be a non-negative integer", field="seq")
    if seq > conversation.visitor_read_seq:
        deps.conversations.mark_read(visitor.tenant, conversation.id, seq)
    return max(seq, conversation.visitor_read_seq)


def notification_frame(notification: Notification) -> dict[str, object]:
    return {"email": notification.email, "enabled": notification.enabled}


def _own(deps: Deps, visitor: Principal, conversation_id: object) -> Conversation:
    if visitor.kind is not PrincipalKind.VISITOR:
        raise Forbidden("visitors only")
    if conversation_id in (None, ""):
        raise MissingField("conversation_id")
    if not isinstance(conversation_id, str) or len(conversation_id) > 128:
        raise InvalidInput("'conversation_id' must be a string", field="conversation_id")
    conversation = deps.conversations.get(visitor.tenant, conversation_id)
    if conversation is None or conversation.visitor_id != visitor.id:
        raise NotFound("no such conversation", field="conversation_id")
    return conversation

