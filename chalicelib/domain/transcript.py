"""A conversation's transcript as plain text or HTML, for the visitor's end screen. All text is escaped in HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence

from chalicelib.domain.model import Conversation, Message, PrincipalKind


def _who(message: Message, visitor_label: str) -> str:
    if message.sender.kind is PrincipalKind.VISITOR:
        return visitor_label
    return message.sender.name or "Agent"


def as_text(conversation: Conversation, messages: Sequence[Message], brand: str, visitor_label: str = "You") -> str:
    lines = [f"{brand} — conversation {conversation.id}", f"Started {conversation.created_at:%Y-%m-%d %H:%M} UTC", ""]
    for m in messages:
        lines.append(f"[{m.sent_at:%H:%M}] {_who(m, visitor_label)}: {m.text}")
    return "\n".join(lines) + "\n"


def as_html(conversation: Conversation, messages: Sequence[Message], brand: str, visitor_label: str = "You") -> str:
    e = html.escape
    rows = "\n".join(
        f'<li class="{m.sender.kind.value}"><time>{m.sent_at:%H:%M}</time> '
        f"<b>{e(_who(m, visitor_label))}</b>: <span>{e(m.text)}</span></li>"
        for m in messages
    )
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{e(brand)} — conversation {e(conversation.id)}</title></head><body>"
        f"<h1>{e(brand)}</h1><p>Started {conversation.created_at:%Y-%m-%d %H:%M} UTC</p>"
        f"<ol>\n{rows}\n</ol></body></html>\n"
    )
