"""The local outbox: the emails the app sent through SES, read straight from moto's in-process backend.

moto accepts ``SendEmail`` (SES v1 and v2; v2 lands in the same v1 backend) and keeps the messages in memory
instead of delivering them. Because the threaded moto server runs in this process, we read that list directly:
no extra API, and what the page shows is exactly what the app asked SES to send.

Email content is untrusted (it contains visitor text), so it is always escaped: text bodies in ``<pre>``, HTML
bodies inside an ``<iframe sandbox srcdoc=...>`` that can run no script and reach nothing of this origin.

moto limits worth knowing: with SES v2 ``Content.Simple`` it keeps only the HTML part when both exist and drops
``ReplyToAddresses``; ``Content.Raw`` (a MIME message) keeps everything and is parsed here.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

_HTML_HINT = re.compile(r"<\s*(html|body|p|div|br|table|a|span|h[1-6]|ul|ol|strong|em)\b", re.IGNORECASE)


@dataclass
class OutboxEmail:
    """One sent email, flattened for display and for ``/outbox.json`` (e2e tests read it)."""

    id: str
    kind: str  # "simple", "raw" or "template"
    source: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    subject: str = ""
    text: str | None = None
    html: str | None = None
    seen_at: float = 0.0


def looks_like_html(body: str) -> bool:
    """moto does not say whether a Simple body was the Text or the Html part, so we guess from the markup."""
    return bool(_HTML_HINT.search(body))


def _addresses(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _from_raw(msg_id: str, source: str | None, destinations: list[str], raw: str) -> OutboxEmail:
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    to = [str(a) for a in parsed.get_all("To", [])] or destinations
    return OutboxEmail(
        id=msg_id,
        kind="raw",
        source=str(parsed.get("From", "")) or source or "",  # what the recipient sees: "Brand <address>"
        to=to,
        cc=[str(a) for a in parsed.get_all("Cc", [])],
        reply_to=[str(a) for a in parsed.get_all("Reply-To", [])],
        subject=str(parsed.get("Subject", "")),
        text=text_part.get_content() if isinstance(text_part, EmailMessage) else None,
        html=html_part.get_content() if isinstance(html_part, EmailMessage) else None,
    )


def _convert(message: Any) -> OutboxEmail:
    """moto's ``Message`` / ``RawMessage`` / ``TemplateMessage`` -> :class:`OutboxEmail`."""
    msg_id = str(getattr(message, "id", ""))
    if hasattr(message, "raw_data"):
        return _from_raw(msg_id, message.source, _addresses(message.destinations), message.raw_data)
    destinations = message.destinations if isinstance(message.destinations, dict) else {}
    mail = OutboxEmail(
        id=msg_id,
        kind="simple",
        source=str(message.source),
        to=_addresses(destinations.get("ToAddresses")),
        cc=_addresses(destinations.get("CcAddresses")),
        bcc=_addresses(destinations.get("BccAddresses")),
    )
    if hasattr(message, "template"):
        mail.kind = "template"
        mail.subject = f"[template {message.template}]"
        mail.text = f"template {message.template}\n{message.template_data}"
        return mail
    body = str(message.body or "")
    mail.subject = str(message.subject or "")
    if looks_like_html(body):
        mail.html = body
    else:
        mail.text = body
    return mail


class Outbox:
    """Reads the SES messages moto recorded for one account and region."""

    def __init__(self, region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self._region = region
        self._account_id = account_id
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def emails(self) -> list[OutboxEmail]:
        """All emails sent so far, newest first (``seen_at`` is when the outbox first saw them)."""
        backend = ses_backends[self._account_id][self._region]
        result: list[OutboxEmail] = []
        with self._lock:
            for index, message in enumerate(list(backend.sent_messages)):
                converted = _convert(message)
                key = converted.id or f"#{index}"
                converted.seen_at = self._seen.setdefault(key, time.time())
                result.append(converted)
        result.reverse()
        return result

    def forget(self) -> None:
        """Forget every email sent so far, as moto's SES backend of a fresh process would (the local reset)."""
        backend = ses_backends[self._account_id][self._region]
        with self._lock:
            backend.sent_messages.clear()
            backend.sent_message_count = 0
            self._seen.clear()

    def as_json(self) -> list[dict[str, Any]]:
        """The ``/outbox.json`` payload."""
        return [asdict(e) for e in self.emails()]

    def render_html(self) -> str:
        """The ``/outbox`` page; every value from an email is escaped."""
        rows = [_render_email(e) for e in self.emails()]
        body = "\n".join(rows) if rows else "<p class=empty>No email sent yet.</p>"
        return _PAGE.format(count=len(rows), body=body)


def _render_email(mail: OutboxEmail) -> str:
    esc = html.escape

    def line(label: str, values: list[str]) -> str:
        return f"<dt>{label}</dt><dd>{esc(', '.join(values))}</dd>" if values else ""

    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mail.seen_at))
    parts = [
        '<article class="mail">',
        f"<h2>{esc(mail.subject) or '(no subject)'}</h2>",
        "<dl>",
        line("From", [mail.source]),
        line("To", mail.to),
        line("Cc", mail.cc),
        line("Bcc", mail.bcc),
        line("Reply-To", mail.reply_to),
        line("Seen", [when]),
        "</dl>",
    ]
    if mail.html is not None:
        parts.append(f'<iframe sandbox="" referrerpolicy="no-referrer" srcdoc="{esc(mail.html, quote=True)}"></iframe>')
    if mail.text is not None:
        parts.append(f"<pre>{esc(mail.text)}</pre>")
    if mail.reply_to:
        # What the visitor's mail program would send back to the reply-to address (SES receiving, locally).
        parts.append(f'<form method="post" action="/outbox/reply"><input type="hidden" name="id" '
                     f'value="{esc(mail.id, quote=True)}"><textarea name="text" rows="3" required '
                     f'aria-label="Reply as {esc(", ".join(mail.to), quote=True)}"></textarea>'
                     f"<button>Reply as the recipient</button></form>")
    parts.append("</article>")
    return "\n".join(parts)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'">
<title>Outbox ({count})</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }}
.mail {{ border: 1px solid #ccc; border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }}
dl {{ display: grid; grid-template-columns: 6rem 1fr; margin: 0 0 .5rem; }}
dt {{ font-weight: bold; }} dd {{ margin: 0; }}
pre {{ white-space: pre-wrap; background: #f6f6f6; padding: .5rem; }}
iframe {{ width: 100%; height: 20rem; border: 1px solid #ddd; }}
form {{ display: flex; gap: .5rem; align-items: flex-start; }} textarea {{ flex: 1; }}
</style></head>
<body><h1>Outbox</h1><p>{count} email(s) sent through SES (moto). <a href="/outbox">Refresh</a>
 &middot; <a href="/outbox.json">JSON</a></p>
{body}
</body></html>
"""
