"""One model per REST body and query (app.py validates each request with one of these before calling a service).

The tenant's settings, its routing configuration and an agent's routing settings are objects whose every field is
checked by the domain (domain/settings.py, domain/routing/), which names the field at fault; the boundary gives
them the size, nesting and Unicode checks of every body (boundary.load_json).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib.boundary.fields import (
    Body,
    Custom,
    Email,
    Id,
    Identity,
    Moment,
    Name,
    Query,
    Seq,
    Text40,
    Text120,
    Text128,
    Text320,
    Text1000,
    Token,
    Url,
)
from chalicelib.domain.callbacks.audio import MAX_UPLOAD_CHARS
from chalicelib.domain.contacts import MAX_EXTERNAL_ID_CHARS, MAX_NAME_CHARS, MAX_PHONE_CHARS

Level = Annotated[int, Field(ge=1, le=5)]
PageSize = Annotated[int, Field(ge=1, le=200)]


def _number_text(value: object) -> object:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class Login(Body):
    username: Text128
    password: Annotated[str, StringConstraints(max_length=256)]


class OpenVisitorSession(Body):
    visitor_token: Token | None = None
    resume: Token | None = None
    callback_link: Token | None = None
    identity: Identity | None = None


class VisitorPreferences(Body):
    hide_history: bool


class Sale(Body):
    order_id: Text128
    amount: Annotated[str, BeforeValidator(_number_text), StringConstraints(max_length=32)] | None = None
    currency: Annotated[str, StringConstraints(max_length=3)] | None = None
    at: Moment | None = None
    visitor_id: Text128 | None = None
    external_id: Text320 | None = None


class AgentStatus(Body):
    status: Literal["available", "away", "offline"]


class Rating(Body):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Text1000 | None = None


class NpsAnswer(Body):
    score: Annotated[int, Field(ge=0, le=10)]


class Transfer(Body):
    to_agent: Id | None = None
    to_queue: Name | None = None


class NewContact(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NAME_CHARS)]
    email: Email | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_PHONE_CHARS)] | None = None
    external_id: Annotated[str, StringConstraints(strip_whitespace=True,
                                                  max_length=MAX_EXTERNAL_ID_CHARS)] | None = None


class NewCallback(Body):
    """The callbox (issue 13): the number as the visitor typed it (numbers.py reads it), a name, maybe an email,
    `when`: "now" or a slot's key, and "do not record me" (CB-9)."""

    phone: Text40
    name: Text120 | None = None
    email: Email | None = None
    when: Text40 | None = None
    conversation_id: Id | None = None
    do_not_record: bool = False
    language: Text40 | None = None


class AudioUpload(Body):
    """A WAV for calls (issue 13), as base64: the domain checks its header (domain/callbacks/audio.py)."""

    wav_base64: Annotated[str, StringConstraints(max_length=MAX_UPLOAD_CHARS)]


class DomainChecked(Body):
    """A JSON object whose fields the domain checks one by one (settings, routing): kept whole in `model_extra`."""

    model_config = ConfigDict(extra="allow")


# --- queries ----------------------------------------------------------------------------------------------------


class MessagesQuery(Query):
    after_seq: Seq | None = None
    limit: PageSize | None = None


class TranscriptQuery(Query):
    format: Literal["text", "html"] | None = None


class ContactsQuery(Query):
    email: Text320 | None = None
    external_id: Text128 | None = None


class ReportQuery(Query):
    """GET /tenants/{t}/reports/{view} (docs/reports.md, "The report API")."""

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    queue: Text40 | None = None
    sl: Annotated[int, Field(ge=1, le=86400)] = 30
    format: Literal["json", "csv"] = "json"
    table: Name | None = None


class AvailabilityQuery(Query):
    url: Url = ""  # as page.url: the page a chat starts from
    queue: Text40 = ""
    skill: Name | None = None
    level: Level = 1
    custom: Custom = {}  # from the custom.<name>=<value> parameters


# --- issue 13: moving a booking, the agenda ------------------------------------------------------------------------


class MoveCallback(Body):
    """The visitor moves their booking: `when` is the key of a slot offered now."""

    when: Text40


class AgendaQuery(Query):
    """The agenda's day on the tenant's clock (issue 13, CB-11); today when absent."""

    day: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None


# --- issue 16: the audit log ----------------------------------------------------------------------------------------


class AuditLogQuery(Query):
    """GET /tenants/{t}/audit: the domain checks each filter (chalicelib/domain/audit.py `query_from`)."""

    from_: Annotated[str, StringConstraints(max_length=32)] | None = Field(default=None, alias="from")
    to: Annotated[str, StringConstraints(max_length=32)] | None = None
    actor: Annotated[str, StringConstraints(max_length=128)] | None = None
    action: Annotated[str, StringConstraints(max_length=128)] | None = None
    cursor: Annotated[str, StringConstraints(max_length=512)] | None = None
