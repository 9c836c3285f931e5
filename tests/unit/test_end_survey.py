"""The widget's end screen survey (issue 15) on in-memory ports: the `nps_enabled` setting, what a close sends, the
NPS answer's rules (visitor only, closed only, asked only, once, 0 to 10), and the answers' times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain import settings as rules
from chalicelib.domain.end_survey import end_survey, nps_score
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, MissingField, NotFound
from chalicelib.domain.model import Agent, Conversation, EndSurvey, Principal, PrincipalKind, Role
from chalicelib.domain.settings import TenantSettings
from chalicelib.ports import Deps, Tenant
from chalicelib.services import agents, connections, conversations, frames, offers, surveys
from chalicelib.services.conversations import ChatRequest
from tests.unit.fakes import FakeClock, FakePush, make_deps

ALICE = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice", roles=frozenset({Role.AGENT}))
VISITOR = Principal("demo", "v1", PrincipalKind.VISITOR)
OTHER_VISITOR = Principal("demo", "v2", PrincipalKind.VISITOR)
CLOSED_AT = datetime(2026, 11, 21, 9, 5, tzinfo=UTC)
_NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False),
])
def test_nps_enabled_is_a_boolean_setting_off_by_default(value: bool, expected: bool) -> None:
    assert TenantSettings().nps_enabled is False
    changed = rules.updated(TenantSettings(), {"nps_enabled": value})
    assert changed.nps_enabled is expected
    assert changed.to_json()["nps_enabled"] is expected
    assert rules.from_json(changed.to_json()).nps_enabled is expected  # as stored and read back


@pytest.mark.parametrize("value", ["true", 1, 0, None, [], {}])
def test_nps_enabled_refuses_anything_but_true_or_false_naming_it(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.updated(TenantSettings(), {"nps_enabled": value})
    assert refused.value.field == "nps_enabled"


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (6, 6), (9, 9), (10, 10)])
def test_an_nps_score_is_an_integer_from_0_to_10(value: int, expected: int) -> None:
    assert nps_score(value) == expected


@pytest.mark.parametrize(("value", "error"), [
    (None, MissingField), (-1, InvalidInput), (11, InvalidInput), (9.0, InvalidInput), ("9", InvalidInput),
    (True, InvalidInput), (False, InvalidInput), ([9], InvalidInput),
])
def test_a_bad_nps_score_is_refused_naming_score(value: object, error: type[DomainError]) -> None:
    with pytest.raises(error) as refused:
        nps_score(value)
    assert refused.value.field == "score"


@pytest.mark.parametrize(("medium", "nps_enabled", "expected"), [
    ("chat", False, EndSurvey(CLOSED_AT, nps=False)),
    ("chat", True, EndSurvey(CLOSED_AT, nps=True)),
    ("email", True, EndSurvey(CLOSED_AT, nps=True)),
    ("inbound_call", True, None),  # a callback's call: the visitor is on the phone, no end screen
])
def test_the_end_survey_of_a_close(medium: str, nps_enabled: bool, expected: EndSurvey | None) -> None:
    conversation = Conversation("demo", "c1", "v1", _NOW, medium=medium)
    assert end_survey(TenantSettings(nps_enabled=nps_enabled), conversation, CLOSED_AT) == expected


def _deps(nps_enabled: bool) -> Deps:
    deps = make_deps("demo")
    deps.tenants.put(Tenant("demo", "Demo", replace(TenantSettings(), nps_enabled=nps_enabled)))
    deps.agents.put(Agent(tenant="demo", id=ALICE.id, name=ALICE.name))
    connections.connect(deps, ALICE, "alice-1")
    connections.connect(deps, VISITOR, "v1-1")
    return deps


def _chat(deps: Deps) -> str:
    """A chat of VISITOR on Alice's desk."""
    agents.set_status(deps, ALICE, "available")
    started = conversations.start_conversation(deps, VISITOR, "v1-1", ChatRequest(consent=True))
    assert isinstance(deps.push, FakePush)
    offer = [f for f in deps.push.to("alice-1") if f["type"] == "offer"][-1]["offer"]
    offers.accept(deps, ALICE, started.id, offer["id"])
    return started.id


def _closed_chat(deps: Deps) -> str:
    conversation_id = _chat(deps)
    assert isinstance(deps.clock, FakeClock)
    deps.clock.current = CLOSED_AT
    conversations.close_conversation(deps, ALICE, conversation_id, "Resolved")
    return conversation_id


def _stored(deps: Deps, conversation_id: str) -> Conversation:
    found = deps.conversations.get("demo", conversation_id)
    assert found is not None
    return found


@pytest.mark.parametrize("nps_enabled", [True, False])
def test_the_close_stores_the_survey_sent_and_tells_the_visitor_whether_nps_is_asked(nps_enabled: bool) -> None:
    deps = _deps(nps_enabled)
    conversation_id = _closed_chat(deps)
    stored = _stored(deps, conversation_id)
    assert stored.survey == EndSurvey(CLOSED_AT, nps=nps_enabled)
    view = frames.for_visitor(stored)
    assert (view["nps_asked"], view["nps"]) == (nps_enabled, None)
    assert isinstance(deps.push, FakePush)
    closed = next(f for f in deps.push.to("v1-1") if f["type"] == "conversation.closed")
    assert closed["conversation"]["nps_asked"] is nps_enabled  # the frame the widget's end screen follows


def test_the_visitor_answers_nps_once_and_the_score_and_its_time_are_stored() -> None:
    deps = _deps(True)
    conversation_id = _closed_chat(deps)
    assert isinstance(deps.clock, FakeClock)
    deps.clock.advance(minutes=2)
    assert surveys.answer_nps(deps, VISITOR, conversation_id, 9) == 9
    stored = _stored(deps, conversation_id)
    assert (stored.nps, stored.nps_at) == (9, datetime(2026, 11, 21, 9, 7, tzinfo=UTC))
    assert frames.for_visitor(stored)["nps"] == 9
    deps.clock.advance(minutes=1)
    with pytest.raises(Conflict) as twice:
        surveys.answer_nps(deps, VISITOR, conversation_id, 3)  # a second answer is refused, as a second rating is
    assert twice.value.field == "score"
    assert (_stored(deps, conversation_id).nps, _stored(deps, conversation_id).nps_at) == (9, stored.nps_at)


def test_the_rating_stores_its_time() -> None:
    deps = _deps(False)
    conversation_id = _closed_chat(deps)
    assert isinstance(deps.clock, FakeClock)
    deps.clock.advance(seconds=30)
    conversations.rate(deps, VISITOR, conversation_id, 5)
    stored = _stored(deps, conversation_id)
    assert (stored.rating, stored.rated_at) == (5, datetime(2026, 11, 21, 9, 5, 30, tzinfo=UTC))


@pytest.mark.parametrize(("who", "error"), [
    (ALICE, Forbidden),  # the agent of the chat
    (OTHER_VISITOR, NotFound),  # another visitor: not theirs to see
    (Principal("other", "v1", PrincipalKind.VISITOR), NotFound),  # the same id in another tenant
])
def test_only_the_conversations_visitor_answers(who: Principal, error: type[DomainError]) -> None:
    deps = _deps(True)
    conversation_id = _closed_chat(deps)
    with pytest.raises(error):
        surveys.answer_nps(deps, who, conversation_id, 9)
    assert _stored(deps, conversation_id).nps is None


def test_an_open_chat_cannot_be_answered_yet() -> None:
    deps = _deps(True)
    conversation_id = _chat(deps)
    with pytest.raises(Conflict) as refused:
        surveys.answer_nps(deps, VISITOR, conversation_id, 9)
    assert refused.value.field == "score" and "not closed" in str(refused.value)
    assert _stored(deps, conversation_id).nps is None


def test_a_chat_closed_with_nps_off_is_not_answered_even_once_the_tenant_turns_it_on() -> None:
    deps = _deps(False)
    conversation_id = _closed_chat(deps)
    deps.tenants.put(Tenant("demo", "Demo", replace(TenantSettings(), nps_enabled=True)))
    with pytest.raises(Conflict) as refused:
        surveys.answer_nps(deps, VISITOR, conversation_id, 9)
    assert refused.value.field == "score" and "does not ask" in str(refused.value)
    assert _stored(deps, conversation_id).nps is None


def test_a_bad_score_is_refused_before_the_conversations_state() -> None:
    deps = _deps(True)
    conversation_id = _chat(deps)  # open: a bad score still says `score` is bad, not that the chat is open
    with pytest.raises(InvalidInput) as refused:
        surveys.answer_nps(deps, VISITOR, conversation_id, 11)
    assert refused.value.field == "score" and "0 to 10" in str(refused.value)
