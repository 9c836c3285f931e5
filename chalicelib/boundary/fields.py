"""The field types of the boundary's models, each with its documented limit (docs/limits.md).

Bodies and frames are strict (a number is not a string, `1` is not `true`); queries are strings that become
numbers. Unknown fields are ignored, except where a model says otherwise.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib.domain import emails
from chalicelib.domain.model import MAX_MESSAGE_CHARS

MAX_SEQ = 2**31 - 1  # message sequence numbers grow by one per message; no conversation comes near
_ID = re.compile(r"^[A-Za-z0-9_.:-]{0,128}$")  # "" is a missing id, as the services say
_CLIENT_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # queues, groups and skills (domain/routing/config.py)


class Body(BaseModel):
    """A JSON body or frame: strict types, unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, defer_build=True)


class Query(BaseModel):
    """Query parameters: strings, converted where a field says so."""

    model_config = ConfigDict(strict=False, extra="ignore", frozen=True, defer_build=True)


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(what)
        return value

    return AfterValidator(check)


def _mailable(value: str) -> str:
    value = value.strip()
    return emails.mailable(value) if value else ""


Id = Annotated[str, _pattern(_ID, "must be at most 128 letters, digits or . _ : -")]
ClientMessageId = Annotated[str, _pattern(_CLIENT_MESSAGE_ID, "must be 1-64 letters, digits or . _ : -")]
Name = Annotated[str, _pattern(_NAME, "must be a name of 1-40 lower-case letters, digits, _ or -, starting with a "
                                      "letter or digit")]
Seq = Annotated[int, Field(ge=0, le=MAX_SEQ)]
MessageText = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS)]
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_mailable)]  # trimmed, then at most 254
Url = Annotated[str, StringConstraints(max_length=2048)]
# Texts of at most so many characters (code points)
Text40 = Annotated[str, StringConstraints(max_length=40)]
Text80 = Annotated[str, StringConstraints(max_length=80)]
Text120 = Annotated[str, StringConstraints(max_length=120)]
Text128 = Annotated[str, StringConstraints(max_length=128)]
Text320 = Annotated[str, StringConstraints(max_length=320)]
Text512 = Annotated[str, StringConstraints(max_length=512)]
Text1000 = Annotated[str, StringConstraints(max_length=1000)]
Text4000 = Annotated[str, StringConstraints(max_length=4000)]
Token = Annotated[str, StringConstraints(max_length=4096)]
Moment = Annotated[str, StringConstraints(max_length=64)]  # ISO 8601, parsed by domain/moments.py


def _scalar_text(value: object) -> object:
    """A custom value may be a string, a number or a boolean; it is kept as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


CustomKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
CustomValue = Annotated[str, BeforeValidator(_scalar_text), StringConstraints(max_length=200)]
Custom = Annotated[dict[CustomKey, CustomValue], Field(max_length=20)]


class Page(Body):
    url: Url
    title: Text512 = ""


class SkillNeed(Body):
    skill: Name
    min_level: Annotated[int, Field(ge=1, le=5)] = 1


class FirstMessage(Body):
    client_message_id: ClientMessageId
    text: MessageText


class Identity(Body):
    """A logged-in customer's identity, signed by the brand (domain/identity.py checks the signature)."""

    external_id: Text320 = ""
    name: Text320 = ""
    email: Text320 = ""
    signature: Text128 = ""
