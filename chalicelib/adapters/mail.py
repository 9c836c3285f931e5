"""Email through SES v2."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.ports import Email


class SesMailer:
    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, email: Email) -> str:
        body: dict[str, Any] = {"Text": {"Data": email.text, "Charset": "UTF-8"}}
        if email.html is not None:
            body["Html"] = {"Data": email.html, "Charset": "UTF-8"}
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Simple": {"Subject": {"Data": email.subject, "Charset": "UTF-8"}, "Body": body}},
        }
        if email.reply_to:
            request["ReplyToAddresses"] = [email.reply_to]
        answer = client("sesv2").send_email(**request)
        return str(answer["MessageId"])
