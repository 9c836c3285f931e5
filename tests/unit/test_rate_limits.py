"""Per-visitor limits on in-memory ports: sessions, conversations and messages over the limit are refused with
RateLimited (its retry time) and store nothing; agents are never limited."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import rate_limits
from chalicelib.domain.errors import InvalidInput, RateLimited
from chalicelib.domain.model import ConversationStatus, Message, Principal, PrincipalKind, Role, Sender
from chalicelib.domain.settings import TenantSettings, updated
from chalicelib.ports import Deps
from chalicelib.services import conversations, visitors
from chalicelib.services.conversations import ChatRequest
from tests.unit.fakes import FakeConversations, FakeKeys, FakeRateLimits, make_deps

VISITOR = Principal("demo", "v1", PrincipalKind.VISITOR)
AGENT = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice", roles=frozenset({Role.AGENT}))
START = datetime(2026, 11, 21, 9, 0, 10, tzinfo=UTC)  # ten seconds into a minute and into an hour


def deps_with(**limits: int) -> Deps:
    deps = make_deps("demo")
    tenant = deps.tenants.get("demo")
    assert tenant is not None
    deps.tenants.put(replace(tenant, settings=replace(TenantSettings(consent_required=False), **limits)))
    deps.clock.current = START  # type: ignore[attr-defined]
    return deps


def stored(deps: Deps) -> int:
    assert isinstance(deps.conversations, FakeConversations)
    return deps.conversations.puts


def open_conversation(deps: Deps, first: str | None = None) -> str:
    message = {"client_message_id": "first", "text": first} if first else None
    return conversations.start_conversation(deps, VISITOR, "conn-v", ChatRequest(message=message)).id


def write(deps: Deps, conversation_id: str, n: int, who: Principal = VISITOR, prefix: str = "m") -> None:
    for i in range(n):
        conversations.send_message(deps, who, None, conversation_id, f"{prefix}{i}", f"line {i}")


def test_a_visitor_over_the_message_limit_is_refused_until_the_next_minute_and_nothing_is_stored() -> None:
    deps = deps_with(visitor_messages_per_minute=5)
    conversation_id = open_conversation(deps)
    write(deps, conversation_id, 5)

    with pytest.raises(RateLimited) as refused:
        conversations.send_message(deps, VISITOR, None, conversation_id, "sixth", "one too many")
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after == 50  # the minute ends 50 s after START
    assert stored(deps) == 5
    assert [m.client_message_id for m in deps.conversations.messages("demo", conversation_id, 0, 50)] == [
        "m0", "m1", "m2", "m3", "m4"]

    deps.clock.advance(seconds=50)  # type: ignore[attr-defined]
    assert conversations.send_message(deps, VISITOR, None, conversation_id, "sixth", "now it goes").seq == 6


def test_agents_messages_are_not_limited_and_do_not_reset_the_visitors_count() -> None:
    deps = deps_with(visitor_messages_per_minute=5)
    conversation_id = open_conversation(deps)
    assert isinstance(deps.conversations, FakeConversations)
    conversation = deps.conversations.items[("demo", conversation_id)]
    deps.conversations.items[("demo", conversation_id)] = replace(conversation, status=ConversationStatus.ASSIGNED,
                                                                  agent_id=AGENT.id)
    write(deps, conversation_id, 3)
    write(deps, conversation_id, 12, who=AGENT, prefix="a")  # more than the visitor may send, and in between
    write(deps, conversation_id, 2, prefix="n")

    with pytest.raises(RateLimited):
        conversations.send_message(deps, VISITOR, None, conversation_id, "late", "sixth of the minute")
    assert stored(deps) == 17


def test_the_first_message_of_a_new_conversation_counts() -> None:
    deps = deps_with(visitor_messages_per_minute=5)
    conversation_id = open_conversation(deps, first="hello")
    write(deps, conversation_id, 4)

    with pytest.raises(RateLimited):
        conversations.send_message(deps, VISITOR, None, conversation_id, "extra", "sixth")


def test_a_resend_of_a_stored_message_is_answered_even_over_the_limit() -> None:
    deps = deps_with(visitor_messages_per_minute=5)
    conversation_id = open_conversation(deps)
    write(deps, conversation_id, 5)

    again = conversations.send_message(deps, VISITOR, None, conversation_id, "m4", "line 4")
    assert again.seq == 5
    assert stored(deps) == 5


def test_a_visitor_over_the_conversation_limit_gets_no_conversation() -> None:
    deps = deps_with(visitor_conversations_per_hour=2)
    for _ in range(2):
        conversation = conversations.start_conversation(deps, VISITOR, "conn-v", ChatRequest())
        assert deps.conversations.dissuade(conversation, START)  # it ends: the visitor may start another

    with pytest.raises(RateLimited) as refused:
        conversations.start_conversation(
            deps, VISITOR, "conn-v", ChatRequest(message={"client_message_id": "c", "text": "hello?"}))
    assert refused.value.retry_after == 3600 - 10
    assert isinstance(deps.conversations, FakeConversations)
    assert len(deps.conversations.items) == 2
    assert stored(deps) == 0  # nor its first message
    assert deps.conversations.open_for_visitor("demo", VISITOR.id) == []

    other = Principal("demo", "v2", PrincipalKind.VISITOR)  # counted per visitor
    assert conversations.start_conversation(deps, other, "conn-2", ChatRequest()).visitor_id == "v2"


def test_the_open_conversation_returned_again_is_not_counted() -> None:
    deps = deps_with(visitor_conversations_per_hour=1)
    first = conversations.start_conversation(deps, VISITOR, "conn-v", ChatRequest())
    for _ in range(3):  # another tab, a reload: the same conversation
        assert conversations.start_conversation(deps, VISITOR, "conn-w", ChatRequest()).id == first.id


def session(deps: Deps, source_ip: str, previous: str | None = None) -> visitors.VisitorSession:
    return visitors.open_session("demo", previous, tenants=deps.tenants, secrets=FakeKeys(), ids=deps.ids,
                                 clock=deps.clock, rate_limits=deps.rate_limits, source_ip=source_ip)


def test_new_visitors_count_against_their_address_and_known_visitors_against_their_id() -> None:
    deps = deps_with(visitor_sessions_per_hour=10)
    known = session(deps, "203.0.113.7")
    for _ in range(9):
        session(deps, "203.0.113.7")

    with pytest.raises(RateLimited) as refused:
        session(deps, "203.0.113.7")
    assert refused.value.retry_after == 3600 - 10
    assert session(deps, "198.51.100.1").visitor_id  # another address
    assert session(deps, "203.0.113.7", previous=known.token).visitor_id == known.visitor_id  # a known visitor

    for _ in range(9):  # the known visitor's own sessions have a limit too
        session(deps, "198.51.100.9", previous=known.token)
    with pytest.raises(RateLimited):
        session(deps, "198.51.100.9", previous=known.token)


def test_ipv6_visitors_of_one_subscriber_network_share_a_count() -> None:
    deps = deps_with(visitor_sessions_per_hour=10)
    for host in range(10):
        session(deps, f"2001:db8:1:2::{host + 1:x}")
    with pytest.raises(RateLimited):
        session(deps, "2001:db8:1:2:ffff::1")  # same /64
    assert session(deps, "2001:db8:1:3::1").visitor_id  # another /64


def test_the_counters_keep_no_address() -> None:
    deps = deps_with()
    session(deps, "203.0.113.7")
    assert isinstance(deps.rate_limits, FakeRateLimits)
    [(tenant, kind, key, _)] = deps.rate_limits.counts
    assert (tenant, kind) == ("demo", rate_limits.SESSIONS)
    assert "203.0.113" not in key and key.startswith("ip-")


def test_without_a_rate_limits_port_nothing_is_counted() -> None:
    deps = replace(deps_with(visitor_sessions_per_hour=10), rate_limits=None)
    for _ in range(11):
        session(deps, "203.0.113.7")


def message(seq: int, at: datetime) -> Message:
    return Message("demo", "c1", seq, f"m{seq}", Sender(PrincipalKind.VISITOR, "v1"), "hi", at)


def test_the_pace_continues_within_the_minute_and_restarts_after_it() -> None:
    newest = message(7, START)
    assert rate_limits.pace_before([message(6, START), newest], 4, START + timedelta(seconds=49)) == 4
    assert rate_limits.pace_before([newest], 4, START + timedelta(seconds=50)) == 0  # next minute
    assert rate_limits.pace_before([], 4, START) == 0  # no message yet
    # A writer whose clock runs a little behind the newest message's keeps counting (never forgets a message).
    assert rate_limits.pace_before([newest], 4, START - timedelta(seconds=11)) == 4


@pytest.mark.parametrize(("name", "low", "high"), [("visitor_sessions_per_hour", 10, 100_000),
                                                  ("visitor_conversations_per_hour", 1, 1_000),
                                                  ("visitor_messages_per_minute", 5, 600)])
def test_each_limit_is_a_setting_with_a_range(name: str, low: int, high: int) -> None:
    assert getattr(updated(TenantSettings(), {name: low}), name) == low
    assert getattr(updated(TenantSettings(), {name: high}), name) == high
    for bad in (low - 1, high + 1, "30", 2.5, True):
        with pytest.raises(InvalidInput) as refused:
            updated(TenantSettings(), {name: bad})
        assert refused.value.field == name
