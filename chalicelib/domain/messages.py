"""Rules for messages: what a valid text is, which sequence number comes next, what counts as a retry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from chalicelib.domain.errors import InvalidInput, MissingField
from chalicelib.domain.model import MAX_MESSAGE_CHARS, Message, Sender

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def validate_text(text: object) -> str:
    if text is None:
        raise MissingField("text")
    if not isinstance(text, str):
        raise InvalidInput("'text' must be a string", field="text")
    if not text.strip():
        raise InvalidInput("'text' must not be blank", field="text")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"'text' holds at most {MAX_MESSAGE_CHARS} characters, got {len(text)}", field="text")
    return text


def validate_client_message_id(value: object) -> str:
    if value is None:
        raise MissingField("client_message_id")
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise InvalidInput("'client_message_id' must be 1-64 letters, digits or . _ : -", field="client_message_id")
    return value


def find_retry(recent: Iterable[Message], sender: Sender, client_message_id: str) -> Message | None:
    """The stored message that a resend with this client message id repeats, if any (invariant 4)."""
    for message in recent:
        if message.client_message_id == client_message_id and message.sender.id == sender.id:
            return message
    return None


def next_seq(recent: Iterable[Message]) -> int:
    """Sequence numbers start at 1 and grow by one; a lost race on the same number is retried by the caller."""
    return max((m.seq for m in recent), default=0) + 1


def sent_time(now: datetime) -> datetime:
    """Messages are stamped to the millisecond, as stored, so an ack and a later read agree exactly."""
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
