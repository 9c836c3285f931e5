"""Live chat rules on in-memory ports: offers and their answers, closing, rating, transcript, dissuasion."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import Agent, AgentStatus, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.domain.settings import TenantSettings
from chalicelib.ports import Deps, Tenant
from chalicelib.services import agents, connections, conversations, offers, timers
from chalicelib.services.conversations import ChatRequest
from tests.unit.fakes import FakePush, FakeTimers, make_deps

AGREED = ChatRequest(consent=True)  # what the widget sends once the visitor agreed (ASYNC-6)

ALICE = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice", roles=frozenset({Role.AGENT}))
BOB = Principal("demo", "bob", PrincipalKind.AGENT, name="Bob", roles=frozenset({Role.AGENT}))


def visitor(n: int) -> Principal:
    return Principal("demo", f"v{n}", PrincipalKind.VISITOR)


@pytest.fixture
def deps() -> Deps:
    d = make_deps("demo")
    for who in (ALICE, BOB):
        d.agents.put(Agent(tenant="demo", id=who.id, name=who.name))
        connections.connect(d, who, f"{who.id}-1")
    return d


def frames_of(deps: Deps, connection_id: str, kind: str) -> list[dict[str, object]]:
    assert isinstance(deps.push, FakePush)
    return [f for f in deps.push.to(connection_id) if f["type"] == kind]


def fire_armed(deps: Deps, kind: str, times: int = 1) -> list[bool]:
    """Deliver every armed timer of a kind, `times` times each (delivery is at least once)."""
    assert isinstance(deps.timers, FakeTimers)
    fired = []
    for timer, _ in [t for t in deps.timers.armed if t[0].kind == kind]:
        body = json.dumps({"kind": timer.kind, "tenant": timer.tenant, **timer.payload})
        fired += [timers.fire(deps, body) for _ in range(times)]
    return fired


def status_of(deps: Deps, who: Principal) -> AgentStatus:
    agent = deps.agents.get("demo", who.id)
    assert agent is not None
    return agent.status


def offer_to(deps: Deps, who: Principal) -> dict[str, str]:
    offer = frames_of(deps, f"{who.id}-1", "offer")[-1]["offer"]
    assert isinstance(offer, dict)
    return offer


def test_an_offer_carries_a_countdown_and_the_visitor_context(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    request = conversations.ChatRequest(consent=True, page={"url": "https://shop/bike", "title": "Bike"},
                                        custom={"cart": 3}, visitor_name="Zoé", visitor_email="zoe@example.org",
                                        ip="203.0.113.9")
    conversations.start_conversation(deps, visitor(1), None, request)
    (frame,) = frames_of(deps, "alice-1", "offer")
    offer, conversation = frame["offer"], frame["conversation"]
    assert isinstance(offer, dict) and isinstance(conversation, dict)
    assert offer["expires_at"] == "2026-11-21T09:00:30Z" and offer["reject_allowed"] is True
    assert conversation["visitor"] == {"name": "Zoé", "email": "zoe@example.org", "ip": "203.0.113.9",
                                       "external_id": "", "verified": False}
    assert conversation["custom"] == {"cart": "3"} and conversation["page"]["url"] == "https://shop/bike"


def test_a_rejected_offer_sets_the_agent_away_and_goes_to_the_next_agent(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    deps.clock.advance(seconds=1)  # type: ignore[attr-defined]
    agents.set_status(deps, BOB, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    offers.reject(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    assert status_of(deps, ALICE) is AgentStatus.AWAY
    assert frames_of(deps, "alice-1", "offer.withdrawn")[0]["reason"] == "rejected"
    assert offer_to(deps, BOB)["conversation_id"] == c.id
    alice = deps.agents.get("demo", "alice")
    assert alice is not None and alice.active == 0


def test_reject_is_refused_when_the_tenant_disables_it(deps: Deps) -> None:
    deps.tenants.put(Tenant("demo", "Demo", TenantSettings(reject_allowed=False)))
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    offer = offer_to(deps, ALICE)
    assert offer["reject_allowed"] is False
    with pytest.raises(Forbidden):
        offers.reject(deps, ALICE, c.id, offer["id"])
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and stored.status is ConversationStatus.OFFERED


def test_an_unanswered_offer_is_withdrawn_by_its_timer_once(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    deps.clock.advance(seconds=1)  # type: ignore[attr-defined]
    agents.set_status(deps, BOB, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    assert fire_armed(deps, "offer.expired", times=2) == [True, False]  # the second delivery changes nothing
    assert status_of(deps, ALICE) is AgentStatus.AWAY
    assert frames_of(deps, "alice-1", "offer.withdrawn")[0]["reason"] == "timeout"
    assert offer_to(deps, BOB)["conversation_id"] == c.id


def test_a_late_timer_after_accepting_does_nothing(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    assert fire_armed(deps, "offer.expired") == [False]
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and stored.status is ConversationStatus.ASSIGNED and stored.agent_id == "alice"
    assert status_of(deps, ALICE) is AgentStatus.AVAILABLE


def test_an_old_offer_id_cannot_be_accepted(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    with pytest.raises(Conflict):
        offers.accept(deps, ALICE, c.id, "not-the-offer")
    with pytest.raises(NotFound):  # an offer made to Alice is not Bob's to take
        offers.accept(deps, BOB, c.id, offer_to(deps, ALICE)["id"])


def test_an_agent_with_six_chats_gets_no_seventh_offer(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    for n in range(7):
        conversations.start_conversation(deps, visitor(n), None, AGREED)
    assert len(frames_of(deps, "alice-1", "offer")) == 6
    seventh = deps.conversations.open_for_visitor("demo", "v6")[0]
    assert seventh.status is ConversationStatus.WAITING
    assert frames_of(deps, f"{ALICE.id}-1", "offer")[-1]["offer"]["conversation_id"] != seventh.id  # type: ignore


def test_closing_frees_the_slot_and_offers_the_next_waiting_chat_at_once(deps: Deps) -> None:
    deps.agents.put(Agent(tenant="demo", id="alice", name="Alice", capacity=1))
    agents.set_status(deps, ALICE, "available")
    first = conversations.start_conversation(deps, visitor(1), "v1-conn", AGREED)
    second = conversations.start_conversation(deps, visitor(2), None, AGREED)
    offers.accept(deps, ALICE, first.id, offer_to(deps, ALICE)["id"])
    closed = conversations.close_conversation(deps, ALICE, first.id, "Resolved", "asked about delivery")
    assert closed.status is ConversationStatus.CLOSED and closed.wrap_up is not None
    assert closed.wrap_up.disposition == "Resolved" and closed.wrap_up.saved_as == "case"
    assert frames_of(deps, "v1-conn", "conversation.closed")
    assert offer_to(deps, ALICE)["conversation_id"] == second.id
    assert deps.conversations.open_for_visitor("demo", "v1") == []


def test_a_disposition_must_come_from_the_tenant_list_and_may_be_required(deps: Deps) -> None:
    deps.tenants.put(Tenant("demo", "Demo", replace(TenantSettings(), disposition_required=True)))
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    with pytest.raises(MissingField):
        conversations.close_conversation(deps, ALICE, c.id)
    with pytest.raises(InvalidInput) as wrong:
        conversations.close_conversation(deps, ALICE, c.id, "Whatever")
    assert wrong.value.field == "disposition"
    assert conversations.close_conversation(deps, ALICE, c.id, "Not resolved", saved_as="draft").wrap_up is not None


def test_a_closed_chat_is_rated_once(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    with pytest.raises(Conflict):
        conversations.rate(deps, visitor(1), c.id, 5)  # not closed yet
    offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    conversations.close_conversation(deps, ALICE, c.id, "Resolved")
    with pytest.raises(InvalidInput):
        conversations.rate(deps, visitor(1), c.id, 6)
    assert conversations.rate(deps, visitor(1), c.id, 4, "quick, thanks") == 4
    with pytest.raises(Conflict):
        conversations.rate(deps, visitor(1), c.id, 1)
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and (stored.rating, stored.rating_comment) == (4, "quick, thanks")


def test_the_transcript_escapes_html_and_lists_every_message(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    conversations.send_message(deps, visitor(1), None, c.id, "m1", "<img src=x onerror=alert(1)>")
    conversations.send_message(deps, ALICE, None, c.id, "r1", "Hello & welcome")
    kind, text = conversations.transcript(deps, visitor(1), c.id, "text")
    assert kind.startswith("text/plain") and "You: <img src=x onerror=alert(1)>" in text and "Alice: Hello" in text
    kind, page = conversations.transcript(deps, visitor(1), c.id, "html")
    assert kind.startswith("text/html") and "<img" not in page and "&lt;img src=x" in page and "&amp; welcome" in page


def test_typing_reaches_the_other_side_only(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), "v1-conn", AGREED)
    offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    conversations.typing(deps, visitor(1), "v1-conn", c.id, True)
    assert frames_of(deps, "alice-1", "typing")[0]["typing"] is True
    assert frames_of(deps, "v1-conn", "typing") == []


def synchronous(deps: Deps) -> None:
    """The tenant's only group lets nobody wait (threshold 0): live chat only, no asynchronous conversation."""
    tenant = deps.tenants.get("demo")
    assert tenant is not None
    groups = {g: replace(group, threshold=0) for g, group in tenant.routing.groups.items()}
    deps.tenants.put(replace(tenant, routing=replace(tenant.routing, groups=groups)))


def waiting_after_a_reject(deps: Deps) -> str:
    """A synchronous chat that waits: offered to Alice, who rejects it (it goes back to its place)."""
    synchronous(deps)
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), "v1-conn", AGREED)
    offers.reject(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and stored.status is ConversationStatus.WAITING and not stored.asynchronous
    return c.id


def test_a_chat_waiting_past_the_maximum_is_dissuaded_once(deps: Deps) -> None:
    conversation_id = waiting_after_a_reject(deps)
    assert isinstance(deps.timers, FakeTimers)
    (_, fire_at), = [t for t in deps.timers.armed if t[0].kind == "wait.expired"]
    stored = deps.conversations.get("demo", conversation_id)
    assert stored is not None
    assert fire_at == stored.created_at + timedelta(seconds=TenantSettings().max_wait_seconds)
    assert fire_armed(deps, "wait.expired", times=2) == [True, False]
    stored = deps.conversations.get("demo", conversation_id)
    assert stored is not None and stored.status is ConversationStatus.DISSUADED
    (frame,) = frames_of(deps, "v1-conn", "conversation.dissuaded")
    assert "come back" in str(frame["texts"])
    assert deps.conversations.open_for_visitor("demo", "v1") == []


def test_an_asynchronous_conversation_is_never_dissuaded(deps: Deps) -> None:
    """ASYNC-11: with a group that lets conversations wait, only an agent closes it; no maximum-wait timer."""
    c = conversations.start_conversation(deps, visitor(1), "v1-conn", AGREED)
    assert c.asynchronous and c.status is ConversationStatus.WAITING
    assert fire_armed(deps, "wait.expired") == []
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and stored.status is ConversationStatus.WAITING


def test_nothing_can_be_written_into_a_dissuaded_conversation(deps: Deps) -> None:
    conversation_id = waiting_after_a_reject(deps)
    fire_armed(deps, "wait.expired")
    with pytest.raises(Conflict):
        conversations.send_message(deps, visitor(1), "v1-conn", conversation_id, "late", "still there?")


def test_an_offer_timing_out_leaves_an_offline_agent_offline(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    conversations.start_conversation(deps, visitor(1), None, AGREED)
    agents.set_status(deps, ALICE, "offline")
    assert fire_armed(deps, "offer.expired") == [True]
    assert status_of(deps, ALICE) is AgentStatus.OFFLINE


def test_an_expired_offer_cannot_be_accepted_even_before_its_timer_runs(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    deps.clock.advance(seconds=31)  # type: ignore[attr-defined]
    with pytest.raises(Conflict, match="expired"):
        offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])


def test_a_desk_that_reconnects_is_not_subscribed_to_a_pending_offer(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), "v1-conn", AGREED)
    connections.connect(deps, ALICE, "alice-2")
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and "alice-2" not in stored.connections
    offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    connections.connect(deps, ALICE, "alice-3")
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and "alice-3" in stored.connections


def test_the_agents_transcript_names_the_visitor(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    offers.accept(deps, ALICE, c.id, offer_to(deps, ALICE)["id"])
    conversations.send_message(deps, visitor(1), None, c.id, "m1", "hi")
    assert "Visitor: hi" in conversations.transcript(deps, ALICE, c.id, "text")[1]
    assert "You: hi" in conversations.transcript(deps, visitor(1), c.id, "text")[1]


def test_an_identity_signed_by_the_brand_is_shown_as_verified(deps: Deps) -> None:
    from chalicelib.domain import identity

    secret = "brand-secret"
    tenant = deps.tenants.get("demo")
    assert tenant is not None
    deps.tenants.put(replace(tenant, identity_secret=secret))
    signed = {"external_id": "cust-42", "name": "Zoé Martin", "email": "zoe@example.org",
              "signature": identity.sign(secret, "cust-42", "Zoé Martin", "zoe@example.org")}
    c = conversations.start_conversation(deps, visitor(1), None, conversations.ChatRequest(
        consent=True, identity=signed, visitor_name="Someone Else"))
    assert (c.visitor.external_id, c.visitor.name, c.visitor.email) == ("cust-42", "Zoé Martin", "zoe@example.org")
    for forged in ({**signed, "name": "Mallory"}, {**signed, "signature": "00" * 32}, "cust-42"):
        with pytest.raises(InvalidInput) as refused:
            conversations.start_conversation(deps, visitor(2), None,
                                             conversations.ChatRequest(consent=True, identity=forged))
        assert refused.value.field == "identity"
    assert deps.conversations.open_for_visitor("demo", "v2") == []


def test_the_offered_agent_may_read_the_first_words_but_not_write(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, visitor(1), "v1-conn", AGREED)
    conversations.send_message(deps, visitor(1), "v1-conn", c.id, "m1", "Do you ship to Lyon?")
    assert [m.text for m in conversations.history(deps, ALICE, c.id, 0)] == ["Do you ship to Lyon?"]
    with pytest.raises(NotFound):
        conversations.history(deps, BOB, c.id, 0)
    with pytest.raises(NotFound):
        conversations.send_message(deps, ALICE, "alice-1", c.id, "r1", "Yes!")


def test_the_first_message_comes_with_the_offer_and_a_bad_one_stores_nothing(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    first = {"client_message_id": "m1", "text": "Is the Gravelo in stock?"}
    c = conversations.start_conversation(deps, visitor(1), "v1-conn",
                                         conversations.ChatRequest(consent=True, message=first))
    (frame,) = frames_of(deps, "alice-1", "offer")
    assert [m["text"] for m in frame["messages"]] == ["Is the Gravelo in stock?"]  # type: ignore[union-attr]
    again = conversations.send_message(deps, visitor(1), "v1-conn", c.id, "m1", "Is the Gravelo in stock?", 0)
    assert again.seq == 1  # the widget's resend of it is recognised, not stored twice
    with pytest.raises(InvalidInput) as refused:
        conversations.start_conversation(deps, visitor(2), None, conversations.ChatRequest(
            consent=True, message={"client_message_id": "m1", "text": "x" * 1941}))
    assert refused.value.field == "text"
    assert deps.conversations.open_for_visitor("demo", "v2") == []


def test_an_agent_gets_offers_only_from_queues_switched_on(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    off = agents.switch_queue(deps, ALICE, "default", False)
    assert off.queues_off == ("default",) and not off.can_take_chat
    c = conversations.start_conversation(deps, visitor(1), None, AGREED)
    assert c.status is ConversationStatus.WAITING and frames_of(deps, "alice-1", "offer") == []
    with pytest.raises(InvalidInput) as wrong:
        agents.switch_queue(deps, ALICE, "sales", True)  # not one of hers
    assert wrong.value.field == "queue"
    agents.switch_queue(deps, ALICE, "default", True)  # back on: she pulls the waiting chat at once
    assert offer_to(deps, ALICE)["conversation_id"] == c.id


def test_every_desk_of_the_agent_shows_the_slot_an_offer_holds(deps: Deps) -> None:
    connections.connect(deps, ALICE, "alice-2")  # a second tab
    agents.set_status(deps, ALICE, "available")
    conversations.start_conversation(deps, visitor(1), None, AGREED)
    for tab in ("alice-1", "alice-2"):
        status = frames_of(deps, tab, "agent.status")[-1]["agent"]
        assert isinstance(status, dict) and (status["active"], status["capacity"]) == (1, 6)
    assert frames_of(deps, "bob-1", "agent.status") == []
