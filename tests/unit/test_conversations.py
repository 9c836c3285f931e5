"""The slice on in-memory ports: a visitor's message reaches an Available agent and the reply comes back."""

from dataclasses import replace

import pytest

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.model import Agent, AgentStatus, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from chalicelib.services import agents, connections, conversations, offers
from chalicelib.services.conversations import ChatRequest
from tests.unit.fakes import FakeConversations, FakePush, make_deps

AGREED = ChatRequest(consent=True)  # what the widget sends once the visitor agreed (ASYNC-6)

VISITOR = Principal("demo", "v1", PrincipalKind.VISITOR)
ALICE = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice", roles=frozenset({Role.AGENT}))
BOB = Principal("demo", "bob", PrincipalKind.AGENT, name="Bob", roles=frozenset({Role.AGENT}))


@pytest.fixture
def deps() -> Deps:
    d = make_deps("demo")
    for who in (ALICE, BOB):
        d.agents.put(Agent(tenant="demo", id=who.id, name=who.name))
    connections.connect(d, VISITOR, "vis-1")
    connections.connect(d, ALICE, "alice-1")
    return d


def push(deps: Deps) -> FakePush:
    assert isinstance(deps.push, FakePush)
    return deps.push


def accept_offers(deps: Deps, agent: Principal, connection_id: str) -> list[str]:
    """The agent accepts every offer pushed to their connection so far."""
    accepted = []
    for frame in push(deps).to(connection_id):
        if frame["type"] == "offer":
            offer = frame["offer"]
            stored = deps.conversations.get("demo", offer["conversation_id"])
            if stored is not None and stored.offer is not None and stored.offer.id == offer["id"]:
                offers.accept(deps, agent, offer["conversation_id"], offer["id"])
                accepted.append(offer["conversation_id"])
    return accepted


def test_a_conversation_waits_while_no_agent_is_available(deps: Deps) -> None:
    conversation = conversations.start_conversation(deps, VISITOR, "vis-1", ChatRequest(consent=True, page={"url": "https://shop/x",
                                                                                              "title": "X"}))
    assert conversation.status is ConversationStatus.WAITING
    assert conversation.connections == {"vis-1"}
    assert conversation.page is not None and conversation.page.url == "https://shop/x"


def test_an_agent_who_becomes_available_takes_the_waiting_conversation(deps: Deps) -> None:
    waiting = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    agent = agents.set_status(deps, ALICE, "available")
    assert agent.active == 1  # the offer holds one slot
    assert accept_offers(deps, ALICE, "alice-1") == [waiting.id]
    stored = deps.conversations.get("demo", waiting.id)
    assert stored is not None and stored.agent_id == "alice" and stored.connections == {"vis-1", "alice-1"}
    assigned = [f for f in push(deps).to("alice-1") if f["type"] == "conversation.assigned"]
    assert assigned[0]["conversation"]["id"] == waiting.id
    updated = [f for f in push(deps).to("vis-1") if f["type"] == "conversation.updated"]
    assert updated[0]["conversation"]["agent"] == {"id": "alice", "name": "Alice"}


def test_a_new_conversation_goes_to_the_longest_idle_available_agent(deps: Deps) -> None:
    agents.set_status(deps, BOB, "available")
    deps.clock.advance(seconds=5)  # type: ignore[attr-defined]
    agents.set_status(deps, ALICE, "available")
    conversation = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    assert conversation.offer is not None and conversation.offer.agent_id == "bob"


def test_an_away_agent_gets_nothing(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "away")
    conversation = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    assert conversation.status is ConversationStatus.WAITING


def test_starting_twice_returns_the_open_conversation(deps: Deps) -> None:
    first = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    assert conversations.start_conversation(deps, VISITOR, "vis-1", AGREED).id == first.id


def test_messages_get_increasing_sequence_numbers_and_reach_the_other_side(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    accept_offers(deps, ALICE, "alice-1")
    first = conversations.send_message(deps, VISITOR, "vis-1", c.id, "m1", "Hello")
    reply = conversations.send_message(deps, ALICE, "alice-1", c.id, "r1", "Hi, how can I help?", first.seq)
    assert (first.seq, reply.seq) == (1, 2)
    to_agent = [f["message"]["text"] for f in push(deps).to("alice-1") if f["type"] == "message"]
    to_visitor = [f["message"]["text"] for f in push(deps).to("vis-1") if f["type"] == "message"]
    assert to_agent == ["Hello"]  # the sender's own connection gets the ack, not a copy
    assert to_visitor == ["Hi, how can I help?"]


def test_a_resent_message_is_stored_once(deps: Deps) -> None:
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    first = conversations.send_message(deps, VISITOR, "vis-1", c.id, "same-id", "Hello", 0)
    again = conversations.send_message(deps, VISITOR, "vis-2", c.id, "same-id", "Hello", 0)
    assert again == first
    assert isinstance(deps.conversations, FakeConversations) and deps.conversations.puts == 1


def test_a_resend_is_recognised_even_after_many_later_messages(deps: Deps) -> None:
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    accept_offers(deps, ALICE, "alice-1")
    first = conversations.send_message(deps, VISITOR, "vis-1", c.id, "early", "Hello", 0)
    for n in range(30):
        conversations.send_message(deps, ALICE, "alice-1", c.id, f"r{n}", "...", None)
    assert conversations.send_message(deps, VISITOR, "vis-1", c.id, "early", "Hello", 0) == first


def test_a_gone_connection_is_forgotten_and_the_others_still_receive(deps: Deps) -> None:
    connections.connect(deps, VISITOR, "vis-2")
    agents.set_status(deps, ALICE, "available")
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    accept_offers(deps, ALICE, "alice-1")
    push(deps).gone.add("vis-1")
    conversations.send_message(deps, ALICE, "alice-1", c.id, "r1", "Still there?")
    assert [f["message"]["text"] for f in push(deps).to("vis-2") if f["type"] == "message"] == ["Still there?"]
    stored = deps.conversations.get("demo", c.id)
    assert stored is not None and "vis-1" not in stored.connections and "vis-2" in stored.connections
    assert "vis-1" not in deps.connections.of(VISITOR)


def test_only_participants_write(deps: Deps) -> None:
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    stranger = Principal("demo", "v2", PrincipalKind.VISITOR)
    with pytest.raises(NotFound):
        conversations.send_message(deps, stranger, "x", c.id, "m1", "hi")
    with pytest.raises(NotFound):
        conversations.send_message(deps, BOB, "x", c.id, "m1", "hi")
    other_tenant = Principal("acme", "v1", PrincipalKind.VISITOR)
    with pytest.raises(NotFound):
        conversations.send_message(deps, other_tenant, "x", c.id, "m1", "hi")


def test_a_too_long_message_is_refused_and_nothing_is_stored(deps: Deps) -> None:
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    with pytest.raises(InvalidInput) as refused:
        conversations.send_message(deps, VISITOR, "vis-1", c.id, "m1", "x" * 1941)
    assert refused.value.field == "text"
    assert conversations.history(deps, VISITOR, c.id, 0) == []


def test_a_closed_conversation_takes_no_message(deps: Deps) -> None:
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    assert isinstance(deps.conversations, FakeConversations)
    deps.conversations.items[("demo", c.id)] = replace(c, status=ConversationStatus.CLOSED)
    with pytest.raises(Conflict):
        conversations.send_message(deps, VISITOR, "vis-1", c.id, "m1", "hi")


def test_agents_cannot_start_conversations(deps: Deps) -> None:
    with pytest.raises(Forbidden):
        conversations.start_conversation(deps, ALICE, "alice-1", AGREED)


def test_history_returns_what_came_after_a_sequence(deps: Deps) -> None:
    c = conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    for n in range(5):
        conversations.send_message(deps, VISITOR, "vis-1", c.id, f"m{n}", f"text {n}")
    assert [m.seq for m in conversations.history(deps, VISITOR, c.id, "3")] == [4, 5]
    with pytest.raises(InvalidInput):
        conversations.history(deps, VISITOR, c.id, "-1")


def test_an_agent_at_capacity_is_not_given_more(deps: Deps) -> None:
    deps.agents.put(Agent(tenant="demo", id="alice", name="Alice", capacity=1))
    agents.set_status(deps, ALICE, "available")
    conversations.start_conversation(deps, VISITOR, "vis-1", AGREED)
    second = conversations.start_conversation(deps, Principal("demo", "v2", PrincipalKind.VISITOR), None, AGREED)
    assert second.status is ConversationStatus.WAITING
    agent = deps.agents.get("demo", "alice")
    assert agent is not None and agent.active == 1 and agent.status is AgentStatus.AVAILABLE


def test_an_unknown_status_names_the_field(deps: Deps) -> None:
    with pytest.raises(InvalidInput) as refused:
        agents.set_status(deps, ALICE, "busy")
    assert refused.value.field == "status"
