"""A visitor's answer by email lands in the conversation (ASYNC-2).

Notification emails carry the reply-to ``reply+<tenant>.<key>@<reply domain>`` (domain/links.py). SES receives
mail for that domain and publishes it to an SNS topic (a receipt rule with an SNS action; infra/template.yaml);
each notification holds the whole MIME message. The reply is stored as the visitor's message when the key names a
conversation that is still open and the sender is the address the visitor gave; the SES message id makes it
idempotent (SNS delivers at least once). Quoted text (lines starting with ">" and what follows "On ... wrote:") is
left out.
"""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import re
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from chalicelib.domain import links
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.model import MAX_MESSAGE_CHARS, Message, Principal, PrincipalKind
from chalicelib.ports import Deps
from chalicelib.services import conversations

log = logging.getLogger("guichet.inbound")
_QUOTE_HEADER = re.compile(r"^\s*(On .+ wrote:|Le .+ a écrit\s?:|-----\s?Original Message\s?-----)\s*$",
                           re.IGNORECASE)
_CLIENT_ID = re.compile(r"[^A-Za-z0-9._:-]")


def receive(deps: Deps, notification: dict[str, Any]) -> Message | None:
    """Store the reply an SES receipt notification carries; None (and a log line) when it is not one to store."""
    if notification.get("notificationType") != "Received":
        return None
    receipt = notification.get("receipt") or {}
    mail = notification.get("mail") or {}
    recipients = list(receipt.get("recipients") or []) + list(mail.get("destination") or [])
    targets = [t for t in (links.reply_target_of(r) for r in recipients if isinstance(r, str)) if t]
    if not targets:
        log.info("inbound mail to no reply address", extra={"recipients": len(recipients)})  # never an address
        return None
    tenant, key = targets[0]
    conversation_id = deps.conversations.reply_target(tenant, key)
    if conversation_id is None:
        log.info("inbound mail with an unknown reply key")
        return None
    conversation = deps.conversations.get(tenant, conversation_id)
    if conversation is None or not conversation.status.is_open:
        log.info("inbound reply to a conversation that ended", extra={"conversation_id": conversation_id})
        return None
    try:
        message = _parse(notification.get("content"), (receipt.get("action") or {}).get("encoding"))
    except (InvalidInput, ValueError) as unreadable:
        log.warning("an inbound notification without a readable email was dropped: %s", unreadable)
        return None
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    if not sender or sender != conversation.notification.email.lower():
        log.info("inbound reply from another address than the visitor's", extra={"conversation_id": conversation_id})
        return None
    text = reply_text(message)
    if not text:
        return None
    visitor = Principal(tenant, conversation.visitor_id, PrincipalKind.VISITOR)
    client_id = ("email-" + _CLIENT_ID.sub("", str(mail.get("messageId") or message.get("Message-ID") or "")))[:64]
    try:
        return conversations.send_message(deps, visitor, None, conversation_id, client_id, text)
    except (Conflict, NotFound, InvalidInput, Forbidden) as refused:  # Forbidden: a blocked visitor
        log.info("inbound reply refused: %s", refused.message, extra={"conversation_id": conversation_id})
        return None


def _parse(content: object, encoding: object) -> EmailMessage:
    if not isinstance(content, str) or not content:
        raise InvalidInput("the notification carries no email content (use an SNS action)", field="content")
    raw = base64.b64decode(content) if str(encoding).upper() == "BASE64" else content.encode("utf-8")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def reply_text(message: EmailMessage) -> str:
    """The new text of a reply: the plain part (else the HTML part without tags), without the quoted email."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    body = part.get_content()
    if part.get_content_subtype() == "html":
        body = re.sub(r"<[^>]+>", " ", body)
    kept: list[str] = []
    for line in str(body).splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS - 1] + "…"
