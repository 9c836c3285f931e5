"""What a visitor's chat request carries (ChatRequest), and the checks of the loose values services receive: from
the boundary's models, and from timers, inbound email and other services that reach them without it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain import emails
from chalicelib.domain import messages as rules
from chalicelib.domain.errors import InvalidInput, MissingField
from chalicelib.domain.model import PageContext


@dataclass(frozen=True)
class ChatRequest:
    """What the widget sends with a chat request (CHAT-1): the page, the brand's custom data, the visitor's name."""

    page: object = None
    custom: object = None
    visitor_name: object = None
    visitor_email: object = None
    identity: object = None  # signed by the brand: see domain/identity.py
    #: The visitor's first message ({"client_message_id", "text"}): stored before the chat is offered, so the
    #: agent reads it with the offer.
    message: object = None
    ip: str = ""
    #: Routing context (ROUTE-1): the queue the page asks for, and a skill at a minimum level {skill, min_level}.
    queue: object = None
    skill: object = None
    #: The visitor agreed to the processing of what they write (ASYNC-6): required when the tenant asks for it.
    consent: object = None


def page(page: object) -> PageContext | None:
    if page is None:
        return None
    if not isinstance(page, dict):
        raise InvalidInput("'page' must be an object with 'url' and 'title'", field="page")
    url, title = page.get("url"), page.get("title", "")
    if not isinstance(url, str) or len(url) > 2048:
        raise InvalidInput("'page.url' must be a string of at most 2048 characters", field="page.url")
    if not isinstance(title, str) or len(title) > 512:
        raise InvalidInput("'page.title' must be a string of at most 512 characters", field="page.title")
    return PageContext(url=url, title=title)


def optional_text(name: str, value: object, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"'{name}' must be a text of at most {limit} characters", field=name)
    return value.strip()


def optional_email(value: object) -> str:
    return emails.valid_email("visitor_email", value)


def first_message(value: object) -> tuple[str, str] | None:
    """Checked before anything is stored, so a bad first message leaves no conversation behind."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("'message' must be an object with 'client_message_id' and 'text'", field="message")
    return rules.validate_client_message_id(value.get("client_message_id")), rules.validate_text(value.get("text"))


def custom(value: object) -> dict[str, str]:
    """The brand's custom data (CHAT-1): at most 20 short string fields."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 20 or not all(
            isinstance(k, str) and 0 < len(k) <= 40 and isinstance(v, str | int | float | bool) and len(str(v)) <= 200
            for k, v in value.items()):
        raise InvalidInput("'custom' must be an object of at most 20 fields of short values", field="custom")
    return {k: str(v) for k, v in value.items()}


def required_str(name: str, value: object) -> str:
    if value is None or value == "":
        raise MissingField(name)
    if not isinstance(value, str) or len(value) > 128:
        raise InvalidInput(f"'{name}' must be a string", field=name)
    return value


def optional_seq(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"'{name}' must be a non-negative integer", field=name)
    return value
