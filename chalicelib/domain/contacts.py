"""A customer's record (CHAT-8, OMNI-3) and the cases saved on it when a chat ends (CHAT-11). Pure data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain import emails
from chalicelib.domain.errors import InvalidInput, MissingField

MAX_NAME_CHARS = 120
MAX_PHONE_CHARS = 32
MAX_EXTERNAL_ID_CHARS = 128
MAX_NOTES_CHARS = 4000
SAVED_AS = ("case", "draft")

_PHONE = re.compile(r"^[0-9+ ]+$")


@dataclass(frozen=True)
class Contact:
    tenant: str
    id: str
    name: str
    email: str = ""
    phone: str = ""
    #: The brand's own customer id (the one it signs in the widget's identity), if known.
    external_id: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class Case:
    """A conversation's chat log saved on a contact's record, keyed by the conversation (one case per chat)."""

    tenant: str
    contact_id: str
    conversation_id: str
    disposition: str
    notes: str
    saved_as: str  # "case" or "draft"
    closed_at: datetime


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _text(name: str, value: object, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise InvalidInput(f"'{name}' must be a text of at most {limit} characters", field=name)
    return value.strip()


def valid_name(value: object) -> str:
    name = _text("name", value, MAX_NAME_CHARS)
    if not name:
        raise MissingField("name")
    return name


def valid_email(value: object) -> str:
    return emails.valid_email("email", value)


def valid_phone(value: object) -> str:
    phone = _text("phone", value, MAX_PHONE_CHARS)
    if phone and not _PHONE.match(phone):
        raise InvalidInput("'phone' may hold only digits, '+' and spaces", field="phone")
    return phone


def valid_external_id(value: object) -> str:
    return _text("external_id", value, MAX_EXTERNAL_ID_CHARS)


def new_contact(tenant: str, contact_id: str, created_at: datetime, *, name: object, email: object = None,
                phone: object = None, external_id: object = None) -> Contact:
    """A validated contact; each malformed field raises InvalidInput naming it."""
    return Contact(tenant=tenant, id=contact_id, name=valid_name(name), email=valid_email(email),
                   phone=valid_phone(phone), external_id=valid_external_id(external_id), created_at=created_at)


def new_case(contact: Contact, conversation_id: str, closed_at: datetime, *, disposition: str = "", notes: str = "",
             saved_as: str = "case") -> Case:
    if saved_as not in SAVED_AS:
        raise InvalidInput("'saved_as' must be 'case' or 'draft'", field="saved_as")
    if len(notes) > MAX_NOTES_CHARS:
        raise InvalidInput(f"'notes' must be a text of at most {MAX_NOTES_CHARS} characters", field="notes")
    return Case(tenant=contact.tenant, contact_id=contact.id, conversation_id=conversation_id,
                disposition=disposition, notes=notes, saved_as=saved_as, closed_at=closed_at)
