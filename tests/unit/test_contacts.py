"""Customers' records on in-memory ports (CHAT-8, CHAT-11): validation, lookup with the offer, creation by an
agent, and the chat log saved as a case on the record when the chat ends."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain import identity
from chalicelib.domain.contacts import new_contact
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, MissingField
from chalicelib.domain.model import Agent, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import agents, connections, contacts, conversations, offers
from tests.unit.fakes import FakePush, make_deps

ALICE = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice", roles=frozenset({Role.AGENT}))
VISITOR = Principal("demo", "v1", PrincipalKind.VISITOR)
SECRET = "brand-secret"


@pytest.fixture
def deps() -> Deps:
    d = make_deps("demo")
    d.agents.put(Agent(tenant="demo", id="alice", name="Alice"))
    connections.connect(d, ALICE, "alice-1")
    tenant = d.tenants.get("demo")
    assert tenant is not None
    d.tenants.put(replace(tenant, identity_secret=SECRET))
    return d


def last_offer(deps: Deps) -> dict[str, Any]:
    assert isinstance(deps.push, FakePush)
    return [f for f in deps.push.to("alice-1") if f["type"] == "offer"][-1]


def chat(deps: Deps, **request: Any) -> str:
    """A visitor starts a chat that Alice is offered and accepts; returns its id."""
    agents.set_status(deps, ALICE, "available")
    started = conversations.start_conversation(deps, VISITOR, None, conversations.ChatRequest(consent=True, **request))
    offer = last_offer(deps)["offer"]
    offers.accept(deps, ALICE, started.id, offer["id"])
    return started.id


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": "x" * 121}, "name"),
    ({"name": ""}, "name"),
    ({"name": 42}, "name"),
    ({"name": "Zoé", "email": "not-an-email"}, "email"),
    ({"name": "Zoé", "email": "a@b"}, "email"),
    ({"name": "Zoé", "phone": "+33 6 12-34"}, "phone"),
    ({"name": "Zoé", "phone": "1" * 33}, "phone"),
    ({"name": "Zoé", "external_id": "x" * 129}, "external_id"),
])
def test_a_malformed_field_is_refused_naming_it(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        new_contact("demo", "c1", None, **fields)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_wellformed_contact_keeps_its_fields() -> None:
    contact = new_contact("demo", "c1", None, name=" Zoé Martin ", email="Zoe@Example.org",  # type: ignore[arg-type]
                          phone="+33 6 12 34 56 78")
    assert (contact.name, contact.email, contact.phone, contact.external_id) == (
        "Zoé Martin", "Zoe@Example.org", "+33 6 12 34 56 78", "")
    assert len(new_contact("demo", "c2", None, name="x" * 120, phone="1" * 32).name) == 120  # type: ignore[arg-type]


# ---------------------------------------------------------------- create and look up


def test_an_agent_creates_a_record_and_a_second_one_cannot_claim_its_email(deps: Deps) -> None:
    created = contacts.create_contact(deps, ALICE, {"name": "Zoé", "email": "zoe@example.org", "phone": "0612"})
    assert deps.contacts.get("demo", created.id) == created
    with pytest.raises(Conflict) as taken:
        contacts.create_contact(deps, ALICE, {"name": "Other Zoé", "email": "ZOE@example.org"})
    assert taken.value.field == "email"
    found = contacts.find_contact(deps, ALICE, "Zoe@EXAMPLE.org")
    assert found == (created, 0)
    assert contacts.find_contact(deps, ALICE, "nobody@example.org") is None
    with pytest.raises(MissingField):
        contacts.find_contact(deps, ALICE)


def test_an_external_id_is_claimed_once(deps: Deps) -> None:
    contacts.create_contact(deps, ALICE, {"name": "Zoé", "external_id": "cust-42"})
    with pytest.raises(Conflict) as taken:
        contacts.create_contact(deps, ALICE, {"name": "Zed", "email": "zed@example.org", "external_id": "cust-42"})
    assert taken.value.field == "external_id"
    assert contacts.find_contact(deps, ALICE, "zed@example.org") is None  # nothing of the loser was stored


def test_visitors_cannot_create_or_read_records(deps: Deps) -> None:
    created = contacts.create_contact(deps, ALICE, {"name": "Zoé"})
    with pytest.raises(Forbidden):
        contacts.create_contact(deps, VISITOR, {"name": "Mallory"})
    with pytest.raises(Forbidden):
        contacts.contact_of(deps, VISITOR, created.id)


def test_the_offer_carries_the_record_found_by_the_visitors_email(deps: Deps) -> None:
    known = contacts.create_contact(deps, ALICE, {"name": "Zoé Martin", "email": "zoe@example.org"})
    agents.set_status(deps, ALICE, "available")
    conversations.start_conversation(deps, VISITOR, None,
                                     conversations.ChatRequest(consent=True, visitor_email="ZOE@example.org"))
    contact = last_offer(deps)["contact"]
    assert contact == {"id": known.id, "name": "Zoé Martin", "email": "zoe@example.org", "phone": "",
                       "external_id": "", "created_at": "2026-11-21T09:00:00Z", "case_count": 0}


def test_the_offer_carries_no_record_for_a_new_customer(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    conversations.start_conversation(deps, VISITOR, None,
                                     conversations.ChatRequest(consent=True, visitor_email="new@example.org"))
    assert last_offer(deps)["contact"] is None


def test_a_verified_visitor_is_found_by_external_id(deps: Deps) -> None:
    by_email = contacts.create_contact(deps, ALICE, {"name": "Someone", "email": "zoe@example.org"})
    by_id = contacts.create_contact(deps, ALICE, {"name": "Zoé Martin", "external_id": "cust-42"})
    signed = {"external_id": "cust-42", "name": "Zoé Martin", "email": "zoe@example.org",
              "signature": identity.sign(SECRET, "cust-42", "Zoé Martin", "zoe@example.org")}
    agents.set_status(deps, ALICE, "available")
    conversations.start_conversation(deps, VISITOR, None, conversations.ChatRequest(consent=True, identity=signed))
    contact = last_offer(deps)["contact"]
    assert contact["id"] == by_id.id != by_email.id


# ---------------------------------------------------------------- cases at close


def test_closing_saves_the_chat_as_a_case_on_the_record_the_agent_chose(deps: Deps) -> None:
    conversation_id = chat(deps, visitor_email="new@example.org")
    created = contacts.create_contact(deps, ALICE, {"name": "New Customer", "email": "other@example.org"})
    closed = conversations.close_conversation(deps, ALICE, conversation_id, None, "Wants a refund", "draft",
                                              created.id)
    assert closed.status is ConversationStatus.CLOSED
    contact, cases = contacts.contact_of(deps, ALICE, created.id)
    assert contact == created
    assert [(c.conversation_id, c.saved_as, c.notes, c.closed_at) for c in cases] == [
        (conversation_id, "draft", "Wants a refund", closed.wrap_up.closed_at if closed.wrap_up else None)]


def test_closing_saves_the_case_on_the_record_found_by_email(deps: Deps) -> None:
    settings = deps.tenants.get("demo")
    assert settings is not None
    known = contacts.create_contact(deps, ALICE, {"name": "Zoé", "email": "zoe@example.org"})
    conversation_id = chat(deps, visitor_email="zoe@example.org")
    assert last_offer(deps)["contact"]["id"] == known.id
    disposition = settings.settings.dispositions[0]
    conversations.close_conversation(deps, ALICE, conversation_id, disposition)
    (case,) = deps.contacts.cases("demo", known.id)
    assert (case.conversation_id, case.disposition, case.saved_as) == (conversation_id, disposition, "case")


def test_closing_without_any_record_saves_no_case(deps: Deps) -> None:
    conversation_id = chat(deps)
    conversations.close_conversation(deps, ALICE, conversation_id)
    assert deps.contacts.case_items == {}  # type: ignore[attr-defined]


def test_an_unknown_contact_is_refused_before_the_chat_closes(deps: Deps) -> None:
    conversation_id = chat(deps, visitor_email="zoe@example.org")
    with pytest.raises(InvalidInput) as refused:
        conversations.close_conversation(deps, ALICE, conversation_id, None, None, None, "no-such-contact")
    assert refused.value.field == "contact_id"
    still = deps.conversations.get("demo", conversation_id)
    assert still is not None and still.status is ConversationStatus.ASSIGNED
    agent = deps.agents.get("demo", "alice")
    assert agent is not None and agent.active == 1
