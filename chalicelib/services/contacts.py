"""Customers' records (CHAT-8, OMNI-3): found with an offer, created by an agent for a new customer, and the chat
log saved on them as a case when the chat ends (CHAT-11)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import contacts as records
from chalicelib.domain.contacts import Case, Contact
from chalicelib.domain.errors import Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import Conversation, Principal, WrapUp
from chalicelib.ports import Deps
from chalicelib.services import frames


def lookup_for(deps: Deps, conversation: Conversation) -> Contact | None:
    """The visitor's record: by the brand-signed external id if verified, else by the email they gave.

    A verified visitor whose external id points nowhere is still looked up by email: a signed email is true."""
    visitor = conversation.visitor
    if visitor.external_id:
        found = deps.contacts.find(conversation.tenant, external_id=visitor.external_id)
        if found is not None:
            return found
    if visitor.email:
        return deps.contacts.find(conversation.tenant, email=visitor.email)
    return None


def create_contact(deps: Deps, agent: Principal, fields: dict[str, object]) -> Contact:
    """An agent creates the record of a new customer; Conflict if the email or external id is taken."""
    _agents_only(agent)
    contact = records.new_contact(agent.tenant, deps.ids.new_id(), deps.clock.now(), name=fields.get("name"),
                                  email=fields.get("email"), phone=fields.get("phone"),
                                  external_id=fields.get("external_id"))
    deps.contacts.create(contact)
    return contact


def card_for(deps: Deps, conversation: Conversation) -> dict[str, Any] | None:
    """What the offer shows of the visitor's record (CHAT-8): the contact and how many cases it holds, or None."""
    found = lookup_for(deps, conversation)
    if found is None:
        return None
    return frames.contact(found, len(deps.contacts.cases(found.tenant, found.id)))


def find_contact(deps: Deps, agent: Principal, email: object = None, external_id: object = None
                 ) -> tuple[Contact, int] | None:
    """The contact holding that email or external id, if any (by key), with how many cases it holds."""
    _agents_only(agent)
    wanted_email = records.valid_email(email)
    wanted_external = records.valid_external_id(external_id)
    if not wanted_email and not wanted_external:
        raise MissingField("email")
    found = deps.contacts.find(agent.tenant, email=wanted_email or None, external_id=wanted_external or None)
    return (found, len(deps.contacts.cases(agent.tenant, found.id))) if found else None


def contact_of(deps: Deps, agent: Principal, contact_id: object) -> tuple[Contact, list[Case]]:
    """A contact with its cases, newest first."""
    _agents_only(agent)
    contact = deps.contacts.get(agent.tenant, _contact_id(contact_id))
    if contact is None:
        raise NotFound("no such contact", field="contact_id")
    return contact, deps.contacts.cases(agent.tenant, contact.id)


def chosen_contact(deps: Deps, tenant: str, contact_id: object) -> Contact | None:
    """The contact an agent picked when ending a chat; an unknown id is refused (InvalidInput contact_id)."""
    if contact_id is None or contact_id == "":
        return None
    contact = deps.contacts.get(tenant, _contact_id(contact_id))
    if contact is None:
        raise InvalidInput("no such contact", field="contact_id")
    return contact


def save_case(deps: Deps, contact: Contact, conversation: Conversation, wrap_up: WrapUp) -> Case:
    case = records.new_case(contact, conversation.id, wrap_up.closed_at, disposition=wrap_up.disposition,
                            notes=wrap_up.notes, saved_as=wrap_up.saved_as)
    deps.contacts.add_case(case)
    return case


def _contact_id(value: object) -> str:
    if value is None or value == "":
        raise MissingField("contact_id")
    if not isinstance(value, str) or len(value) > 128:
        raise InvalidInput("'contact_id' must be a string", field="contact_id")
    return value


def _agents_only(principal: Principal) -> None:
    if not principal.is_agent:
        raise Forbidden("agents only")
