"""The emails the app sent through SES, as moto's in-process SES backend keeps them (the session's moto server runs
in this process)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import getaddresses

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends


def sent_to(address: str) -> list[EmailMessage]:
    """The raw messages sent to `address` (one of its To addresses is exactly it, whatever the case), parsed.

    An exact match, not a substring: `a@example.com` must not find the mail sent to `nina@example.com`."""
    found = []
    for message in list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages):
        raw = getattr(message, "raw_data", None)
        if raw is None:
            continue
        parsed = email.message_from_string(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        recipients = {found_address.lower() for _, found_address in getaddresses([str(parsed.get("To", ""))])}
        if address.lower() in recipients:
            found.append(parsed)
    return found


def part(message: EmailMessage, subtype: str) -> str:
    """The text of the message's `plain` or `html` part."""
    body = message.get_body(preferencelist=(subtype,))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())
