"""Email through SES v2, as a raw MIME message: the brand's name on the verified sender address, a text and an
HTML part, and the per-conversation Reply-To (SES's Simple content would do too, but a raw message is what every
SES emulation keeps whole)."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr

from chalicelib.adapters.aws import client
from chalicelib.boundary import scrub
from chalicelib.ports import Email


def mime(email: Email, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = formataddr((scrub(email.sender_name), sender)) if email.sender_name else sender
    message["To"] = str(Address(addr_spec=email.to))
    message["Subject"] = scrub(email.subject)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message.set_content(scrub(email.text))  # texts stored before the boundary refused lone surrogates
    if email.html is not None:
        message.add_alternative(scrub(email.html), subtype="html")
    return message.as_bytes()


class SesMailer:
    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, email: Email) -> str:
        answer = client("sesv2").send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": [email.to]},
            Content={"Raw": {"Data": mime(email, self._sender)}},
        )
        return str(answer["MessageId"])
