"""Emails that tell an away visitor an agent answered (ASYNC-2, ASYNC-3).

Each answer of an agent in an asynchronous conversation, while the visitor has no open connection, arms a short
timer (SQS delay, `notify_delay_seconds`). When it fires, it sends nothing if a later answer came (that one's timer
speaks for the burst), if the visitor is back or has read the answers, or if they switched notifications off; else
it records that an email covers the answers up to this one (a conditional write: a timer delivered twice sends one
email) and sends it: the brand as sender, its logo, the agent's name, the latest messages, a signed link that
reopens the widget on the conversation (on the rating form if it was closed) and a per-conversation reply-to.

The link opens the visitor's page only when it is on one of the brand's own origins, else the brand's `site_url`,
else there is none (domain/origins.py): the page URL comes from the visitor, who could name any page and any
address and have the brand email that person a link to it.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from typing import Any

from chalicelib.domain import emails, links, origins
from chalicelib.domain.model import Conversation, ConversationStatus, Message, Principal, PrincipalKind
from chalicelib.ports import Deps, Email, Timer
from chalicelib.services import tenants

log = logging.getLogger("guichet")

NOTIFY = "visitor.notify"
LATEST = 6  # messages quoted in an email
LINK_PARAMETER = "guichet_resume"  # the widget opens the conversation the link names


def answer_written(deps: Deps, conversation: Conversation, message: Message) -> None:
    """An agent answered in an asynchronous conversation: if the visitor is away and wants emails, arm the
    debounced email."""
    if not conversation.notification.enabled or not conversation.notification.email:
        return
    visitor = Principal(conversation.tenant, conversation.visitor_id, PrincipalKind.VISITOR)
    if deps.connections.of(visitor):
        return  # the answer reached them; the widget counts it on its badge while minimised (ASYNC-4)
    now = deps.clock.now()
    delay = tenants.settings_of(deps, conversation.tenant).notify_delay_seconds
    deps.timers.arm(Timer(NOTIFY, conversation.tenant, {"conversation_id": conversation.id, "seq": message.seq}),
                    now + timedelta(seconds=delay), now)


def notify_visitor(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer: send the email for a burst of answers ending with message `seq`; True if one was sent."""
    seq = payload.get("seq")
    if not isinstance(seq, int):
        return False
    view = deps.conversations.view_for_send(tenant, str(payload.get("conversation_id", "")), None)
    if view is None or deps.mailer is None or deps.secrets is None:
        return False
    conversation = view.conversation
    if not conversation.notification.enabled or not conversation.notification.email:
        return False
    try:
        emails.mailable(conversation.notification.email)
    except ValueError:  # stored before addresses were checked: retrying would only fill the dead-letter queue
        log.warning("notification not sent: the stored address cannot be mailed",
                    extra={"tenant": tenant, "conversation_id": conversation.id})
        return False
    recent = sorted(view.recent, key=lambda m: m.seq)
    answers = [m for m in recent if m.sender.kind is PrincipalKind.AGENT]
    if not answers or answers[-1].seq != seq:
        return False  # a later answer's timer covers this burst
    if conversation.visitor_read_seq >= seq or conversation.notified_seq >= seq:
        return False  # they came back and read it, or an email already told them
    visitor = Principal(tenant, conversation.visitor_id, PrincipalKind.VISITOR)
    if deps.connections.of(visitor):
        return False  # back on the site: the widget shows the answers
    previous = conversation.notified_seq
    if not deps.conversations.claim_notification(tenant, conversation.id, seq):
        return False
    try:
        if _reply_to(deps, conversation) is not None and deps.secrets is not None:
            key = links.reply_key(deps.secrets.visitor_token_key(), tenant, conversation.id)
            deps.conversations.remember_reply_key(tenant, key, conversation.id)
        deps.mailer.send(compose(deps, conversation, recent[-LATEST:], answers[-1]))
        deps.metrics.count("EmailsSent")
    except Exception:
        deps.conversations.release_notification(tenant, conversation.id, seq, previous)
        raise  # the timer is delivered again
    return True


def compose(deps: Deps, conversation: Conversation, latest: list[Message], answer: Message) -> Email:
    assert deps.secrets is not None
    tenant = deps.tenants.get(conversation.tenant)
    brand = tenant.name if tenant else conversation.tenant
    settings = tenants.settings_of(deps, conversation.tenant)
    key = deps.secrets.visitor_token_key()
    token = links.resume_token(key, links.Resume(conversation.tenant, conversation.visitor_id, conversation.id),
                               deps.clock.now())
    base = origins.link_base(conversation.page.url if conversation.page else "", settings)
    link = resume_url(base, token) if base is not None else None
    agent = answer.sender.name or "An agent"
    closed = conversation.status is ConversationStatus.CLOSED
    subject = f"{agent} answered you" if not closed else f"{agent} answered you — how did it go?"
    lines = [f"{agent} from {brand} answered your message:", ""]
    for m in latest:
        who = "You" if m.sender.kind is PrincipalKind.VISITOR else (m.sender.name or "Agent")
        lines.append(f"{who}: {m.text}")
    lines.append("")
    if link is not None:
        lines += [("Rate the conversation: " if closed else "Continue the conversation: ") + link, ""]
    reply_to = _reply_to(deps, conversation)
    if reply_to:
        lines.append("You can also answer this email." if link is not None else "You can answer this email.")
    lines.append("To stop these emails, open the conversation and switch email notifications off.")
    e = html.escape
    logo = f'<img src="{e(settings.logo_url)}" alt="{e(brand)}" height="40"><br>' if settings.logo_url else ""
    quoted = "".join(
        f'<p><b>{e("You" if m.sender.kind is PrincipalKind.VISITOR else (m.sender.name or "Agent"))}</b>: '
        f"{e(m.text)}</p>" for m in latest)
    action = "Rate the conversation" if closed else "Continue the conversation"
    body = (f"<!doctype html><html><body>{logo}<p>{e(agent)} from {e(brand)} answered your message:</p>{quoted}"
            + (f'<p><a href="{e(link)}">{e(action)}</a></p>' if link is not None else "")
            + (f"<p>You can {'also ' if link is not None else ''}answer this email.</p>" if reply_to else "")
            + "</body></html>")
    return Email(to=conversation.notification.email, subject=subject, text="\n".join(lines) + "\n", html=body,
                 reply_to=reply_to, sender_name=brand)


def resume_url(base: str, token: str) -> str:
    """`base` (a page of the brand's site, origins.link_base) with the link's token in the fragment (never sent to a
    server)."""
    return f"{base.split('#', 1)[0]}#{LINK_PARAMETER}={token}"


def _reply_to(deps: Deps, conversation: Conversation) -> str | None:
    """``reply+<tenant>.<key>@<reply domain>``, or None without a reply domain (or for a tenant id no address holds)."""
    if not deps.reply_domain or deps.secrets is None:
        return None
    key = links.reply_key(deps.secrets.visitor_token_key(), conversation.tenant, conversation.id)
    local = links.reply_local_part(conversation.tenant, key)
    return f"{local}@{deps.reply_domain}" if local else None
