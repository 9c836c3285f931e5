"""The DynamoDB adapters against moto's server: keys, conditions and the one-query read before a send."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    Message,
    Offer,
    PrincipalKind,
    Sender,
    WrapUp,
)
from chalicelib.domain.routing import Channel, Group
from chalicelib.ports import AssignmentLost, SeqTaken

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def conversation(tenant: str, cid: str, visitor: str = "v1") -> Conversation:
    return Conversation(tenant=tenant, id=cid, visitor_id=visitor, created_at=NOW, connections=frozenset({"vc"}))


def message(tenant: str, cid: str, seq: int, client_id: str = "m") -> Message:
    return Message(tenant, cid, seq, f"{client_id}{seq}", Sender(PrincipalKind.VISITOR, "v1"), f"text {seq}", NOW)


def test_a_message_number_is_taken_once(tenant: str) -> None:
    repo = bootstrap.container().deps.conversations
    repo.create(conversation(tenant, "c1"))
    repo.put_message(message(tenant, "c1", 1))
    with pytest.raises(SeqTaken):
        repo.put_message(message(tenant, "c1", 1, "other"))
    assert [m.text for m in repo.messages(tenant, "c1", 0, 10)] == ["text 1"]


def test_the_view_for_send_has_the_conversation_and_every_message_after_the_cursor(tenant: str) -> None:
    repo = bootstrap.container().deps.conversations
    repo.create(conversation(tenant, "c1"))
    for seq in range(1, 31):
        repo.put_message(message(tenant, "c1", seq))
    view = repo.view_for_send(tenant, "c1", 12)
    assert view is not None and view.conversation.connections == {"vc"}
    assert [m.seq for m in view.recent] == list(range(30, 12, -1))
    newest_only = repo.view_for_send(tenant, "c1", 30)
    assert newest_only is not None and [m.seq for m in newest_only.recent] == [30]
    # a cursor beyond the newest message still yields the newest, so the next number is never wrong
    ahead = repo.view_for_send(tenant, "c1", 99)
    assert ahead is not None and [m.seq for m in ahead.recent][:1] == [30]


def test_a_visitor_has_one_open_conversation(tenant: str) -> None:
    repo = bootstrap.container().deps.conversations
    repo.create(conversation(tenant, "c1"))
    with pytest.raises(Conflict):
        repo.create(conversation(tenant, "c2"))
    assert [c.id for c in repo.open_for_visitor(tenant, "v1")] == ["c1"]
    assert repo.get(tenant, "c2") is None


def test_tenants_do_not_see_each_other(tenant: str) -> None:
    repo = bootstrap.container().deps.conversations
    repo.create(conversation(tenant, "c1"))
    assert repo.get(f"{tenant}x", "c1") is None
    assert repo.view_for_send(f"{tenant}x", "c1", None) is None


def ready(tenant: str) -> list[str]:
    """The default group's ready list for chats, best first."""
    return bootstrap.container().deps.routing.ready(tenant, Group("default"), Channel.CHAT, None, 5)


def queued(tenant: str) -> list[str]:
    return [c.id for c in bootstrap.container().deps.conversations.waiting_in(tenant, "default", 5)]


def enqueue(c: Conversation) -> Conversation:
    placed = bootstrap.container().deps.routing.enqueue(c, Group("default"))
    assert placed is not None
    return placed


def offer(agent_id: str, n: int = 1) -> Offer:
    return Offer(id=f"o{n}", agent_id=agent_id, expires_at=NOW + timedelta(seconds=30))


def test_offers_reserve_slots_and_only_one_agent_holds_a_conversation(tenant: str) -> None:
    deps = bootstrap.container().deps
    deps.agents.put(Agent(tenant=tenant, id="a1", name="Ann", capacity=1))
    deps.agents.put(Agent(tenant=tenant, id="a2", name="Bo"))
    ann = deps.agents.set_status(tenant, "a1", AgentStatus.AVAILABLE, NOW)
    bo = deps.agents.set_status(tenant, "a2", AgentStatus.AVAILABLE, NOW)
    assert sorted(ready(tenant)) == ["a1", "a2"]
    deps.conversations.create(conversation(tenant, "c1", "v1"))
    deps.conversations.create(conversation(tenant, "c2", "v2"))
    assert queued(tenant) == []  # created, not queued yet
    c1, c2 = enqueue(conversation(tenant, "c1", "v1")), enqueue(conversation(tenant, "c2", "v2"))
    assert queued(tenant) == ["c1", "c2"]
    assert deps.conversations.waiting_ahead(c2) == 1
    deps.assignments.offer(c1, ann, offer("a1"), NOW)
    with pytest.raises(AssignmentLost) as taken:
        deps.assignments.offer(c1, bo, offer("a2", 2), NOW)
    assert taken.value.reason == "conversation_taken"
    with pytest.raises(AssignmentLost) as full:  # the offer holds Ann's only slot
        deps.assignments.offer(c2, ann, offer("a1", 3), NOW)
    assert full.value.reason == "agent_unavailable"
    stale = replace(ann, active=0)  # an agent read before the offer: their revision is gone
    with pytest.raises(AssignmentLost) as changed:
        deps.assignments.offer(c2, stale, offer("a1", 4), NOW)
    assert changed.value.reason == "agent_unavailable"
    assert ready(tenant) == ["a2"]  # Ann is full: out of the index
    assert queued(tenant) == ["c2"]
    with pytest.raises(AssignmentLost):
        deps.assignments.accept(conversation(tenant, "c1", "v1"), ann, "wrong-offer", ["ac"], NOW)
    deps.assignments.accept(conversation(tenant, "c1", "v1"), ann, "o1", ["ac"], NOW)
    stored = deps.conversations.get(tenant, "c1")
    assert stored is not None and stored.status is ConversationStatus.ASSIGNED and stored.agent_id == "a1"
    assert stored.connections == {"vc", "ac"} and stored.offer is None
    assert [c.id for c in deps.conversations.open_for_agent(tenant, "a1")] == ["c1"]


def test_a_withdrawn_offer_returns_to_its_place_and_the_agent_goes_away(tenant: str) -> None:
    deps = bootstrap.container().deps
    deps.agents.put(Agent(tenant=tenant, id="a1", name="Ann"))
    ann = deps.agents.set_status(tenant, "a1", AgentStatus.AVAILABLE, NOW)
    first, second = conversation(tenant, "c1", "v1"), conversation(tenant, "c2", "v2")
    deps.conversations.create(first)
    deps.conversations.create(replace(second, created_at=NOW + timedelta(seconds=5)))
    first = enqueue(first)
    enqueue(replace(second, created_at=NOW + timedelta(seconds=5)))
    deps.assignments.offer(first, ann, offer("a1"), NOW)
    held = deps.agents.get(tenant, "a1")
    assert held is not None and held.active == 1
    deps.assignments.withdraw(first, held, "o1", set_away=True, now=NOW)
    with pytest.raises(AssignmentLost):  # a second withdrawal (a late timer) finds nothing
        deps.assignments.withdraw(first, held, "o1", set_away=True, now=NOW)
    back = deps.agents.get(tenant, "a1")
    assert back is not None and (back.status, back.active) == (AgentStatus.AWAY, 0)
    assert queued(tenant) == ["c1", "c2"]  # its original place
    assert ready(tenant) == []
    assert deps.conversations.open_for_agent(tenant, "a1") == []


def test_closing_frees_the_slot_and_the_visitor(tenant: str) -> None:
    deps = bootstrap.container().deps
    deps.agents.put(Agent(tenant=tenant, id="a1", name="Ann", capacity=1))
    ann = deps.agents.set_status(tenant, "a1", AgentStatus.AVAILABLE, NOW)
    c = conversation(tenant, "c1", "v1")
    deps.conversations.create(c)
    deps.assignments.offer(c, ann, offer("a1"), NOW)
    deps.assignments.accept(c, ann, "o1", [], NOW)
    with pytest.raises(Conflict):
        deps.conversations.rate(tenant, "c1", 5, "", NOW)  # not closed yet
    full = deps.agents.get(tenant, "a1")
    assert full is not None
    deps.assignments.close(c, full, WrapUp(closed_at=NOW, disposition="Resolved", notes="ok"))
    freed = deps.agents.get(tenant, "a1")
    assert freed is not None and freed.active == 0
    assert ready(tenant) == ["a1"]
    assert deps.conversations.open_for_visitor(tenant, "v1") == []
    deps.conversations.rate(tenant, "c1", 5, "great", NOW)
    with pytest.raises(Conflict):
        deps.conversations.rate(tenant, "c1", 1, "", NOW)
    stored = deps.conversations.get(tenant, "c1")
    assert stored is not None and stored.wrap_up is not None and stored.wrap_up.disposition == "Resolved"
    assert stored.rating == 5
    deps.conversations.create(conversation(tenant, "c3", "v1"))  # the visitor may start again


def test_only_a_waiting_conversation_is_dissuaded(tenant: str) -> None:
    deps = bootstrap.container().deps
    deps.conversations.create(conversation(tenant, "c1", "v1"))
    c = enqueue(conversation(tenant, "c1", "v1"))
    assert queued(tenant) == ["c1"]
    assert deps.conversations.dissuade(c, NOW) is True
    assert deps.conversations.dissuade(c, NOW) is False
    stored = deps.conversations.get(tenant, "c1")
    assert stored is not None and stored.status is ConversationStatus.DISSUADED
    assert queued(tenant) == []
    assert deps.conversations.open_for_visitor(tenant, "v1") == []


def test_long_texts_come_back_exactly_whether_packed_or_not(tenant: str) -> None:
    import random

    from chalicelib.adapters.dynamodb import MessageItem

    repo = bootstrap.container().deps.conversations
    repo.create(conversation(tenant, "c1"))
    natural = ("Bonjour, ma commande n°4521 n'est pas arrivée — pouvez-vous vérifier ? " * 30)[:1940]
    rng = random.Random(3)
    noise = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(1940))  # 3-byte characters, little to pack
    for seq, text in ((1, natural), (2, noise), (3, "short <b>text</b> 😀")):
        repo.put_message(Message(tenant, "c1", seq, f"m{seq}", Sender(PrincipalKind.VISITOR, "v1"), text, NOW))
    assert [m.text for m in repo.messages(tenant, "c1", 0, 10)] == [natural, noise, "short <b>text</b> 😀"]
    stored = {int(item.sk[4:]): item for item in MessageItem.query(f"T#{tenant}#CONV#c1", MessageItem.sk >= "MSG#")}
    assert stored[1].packed_text is not None and stored[1].text is None  # deflated, being smaller
    assert len(stored[1].packed_text) < 600 < len(natural.encode())
    assert stored[3].packed_text is None and stored[3].text == "short <b>text</b> 😀"  # short texts stay text


def test_a_queue_switched_off_takes_the_agent_out_of_its_index(tenant: str) -> None:
    deps = bootstrap.container().deps
    deps.agents.put(Agent(tenant=tenant, id="a1", name="Ann"))
    deps.agents.set_status(tenant, "a1", AgentStatus.AVAILABLE, NOW)
    assert ready(tenant) == ["a1"]
    off = deps.agents.switch_queues(tenant, "a1", frozenset({"default"}))
    assert off.queues_off == ("default",)
    assert ready(tenant) == []
    stored = deps.agents.get(tenant, "a1")
    assert stored is not None and stored.queues_off == ("default",) and not stored.can_take_chat
    deps.agents.switch_queues(tenant, "a1", frozenset())
    assert ready(tenant) == ["a1"]


def test_tenant_settings_are_read_once_per_max_age_and_a_change_in_this_container_is_seen_at_once(
        tenant: str) -> None:
    from chalicelib.adapters.dynamodb import DynamoTenants

    clock = [100.0]
    this, other = DynamoTenants(5.0, lambda: clock[0]), DynamoTenants(5.0, lambda: clock[0])
    first = other.get(tenant)
    assert first is not None and first.settings.acceptance_seconds == 30
    changed = replace(first, settings=replace(first.settings, acceptance_seconds=12))
    this.put(changed)

    this_sees = this.get(tenant)
    stale = other.get(tenant)  # another warm container still holds what it read 0 s ago
    clock[0] += 5.0
    fresh = other.get(tenant)
    assert this_sees is not None and this_sees.settings.acceptance_seconds == 12
    assert stale is not None and stale.settings.acceptance_seconds == 30
    assert fresh is not None and fresh.settings.acceptance_seconds == 12
    assert other.get("t-unknown") is None
