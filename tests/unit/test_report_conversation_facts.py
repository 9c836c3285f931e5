"""A conversation's report facts, table by table (issue 15, domain/report_conversation_facts.py): each transition
of the state item finishes a contact, a wait, a first response or a survey answer, or nothing; the fact's day is its
stop event's date on the tenant's clock; the same write read twice is the same fact (its key)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.model import Conversation, ConversationStatus, EndSurvey, Snooze, WrapUp
from chalicelib.domain.report_conversation_facts import (
    contact_fact,
    conversation_facts,
    csat_fact,
    first_response_fact,
    nps_fact,
    wait_fact,
)
from chalicelib.domain.report_facts import ConversationChange, Measure

PARIS, AUCKLAND = ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Auckland")
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
S = ConversationStatus


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


WAITING = Conversation(tenant="acme", id="c1", visitor_id="v1", created_at=T0, status=S.WAITING, queue="sales",
                       status_at=T0, enqueued_at=T0)
OFFERED = replace(WAITING, status=S.OFFERED, status_at=at(1))
ASSIGNED = replace(WAITING, status=S.ASSIGNED, agent_id="ann", assigned_at=at(2), status_at=at(2))
CLOSED = replace(ASSIGNED, status=S.CLOSED, status_at=at(12), wrap_up=WrapUp(at(12)),
                 survey=EndSurvey(at(12), nps=True))


def measures(fact: object) -> tuple[tuple[str, float | None], ...]:
    assert fact is not None
    return tuple((m.metric, m.seconds) for m in fact.measures)  # type: ignore[attr-defined]


# --- contacts -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("new", "reason", "seconds"), [
    (CLOSED, "close", 600.0),
    (replace(ASSIGNED, status=S.SNOOZED, status_at=at(5), snooze=Snooze("z", at(300), True)), "snooze", 180.0),
    (replace(ASSIGNED, status=S.RESERVED, agent_id="bob", status_at=at(4)), "transfer", 120.0),
    (replace(ASSIGNED, status=S.WAITING, agent_id=None, status_at=at(3), enqueued_at=at(3)), "transfer", 60.0),
    (replace(ASSIGNED, agent_id="bob", assigned_at=at(7), status_at=at(7)), "transfer", 300.0),  # a call handed over
], ids=["close", "snooze", "transfer-to-agent", "transfer-to-queue", "hand-over"])
def test_a_contact_ends_when_the_conversation_leaves_the_agents_desk(new: Conversation, reason: str,
                                                                      seconds: float) -> None:
    fact = contact_fact(ConversationChange(ASSIGNED, new), PARIS)
    assert fact is not None
    assert (fact.kind, fact.agent_id, fact.cycle) == ("contact", "ann", int(at(2).timestamp() * 1000))
    assert measures(fact) == (("contacts", seconds), (f"contact_{reason}", None))


@pytest.mark.parametrize("change", [
    ConversationChange(ASSIGNED, replace(ASSIGNED, connections=frozenset({"x"}))),  # a desk connects: same contact
    ConversationChange(OFFERED, ASSIGNED),  # a contact starts
    ConversationChange(None, ASSIGNED),
    ConversationChange(ASSIGNED, replace(CLOSED, status_at=None, wrap_up=None)),  # no stop time known
], ids=["same-desk", "start", "no-old-image", "no-stop-time"])
def test_other_writes_end_no_contact(change: ConversationChange) -> None:
    assert contact_fact(change, PARIS) is None


# --- queue waits -----------------------------------------------------------------------------------------------------

def test_an_answered_wait_runs_from_entering_the_queue_to_the_offer_accepted() -> None:
    fact = wait_fact(ConversationChange(OFFERED, ASSIGNED), PARIS)
    assert fact is not None and (fact.kind, fact.agent_id, fact.queue) == ("wait", "ann", "sales")
    assert measures(fact) == (("waits", 120.0), ("answered", 120.0))


def test_a_dissuaded_visitor_is_an_abandoned_wait() -> None:
    gone = replace(WAITING, status=S.DISSUADED, status_at=at(5), wrap_up=WrapUp(at(5)))
    fact = wait_fact(ConversationChange(WAITING, gone), PARIS)
    assert fact is not None and fact.agent_id == ""
    assert measures(fact) == (("waits", 300.0), ("abandoned", 300.0))


def test_a_transfer_to_a_queue_is_a_new_wait_with_its_own_key() -> None:
    back = replace(WAITING, status_at=at(20), enqueued_at=at(20))
    again = replace(ASSIGNED, agent_id="bob", assigned_at=at(21), status_at=at(21))
    first = wait_fact(ConversationChange(OFFERED, ASSIGNED), PARIS)
    second = wait_fact(ConversationChange(back, again), PARIS)
    assert first is not None and second is not None and first.cycle != second.cycle
    assert measures(second) == (("waits", 60.0), ("answered", 60.0))


@pytest.mark.parametrize("change", [
    ConversationChange(WAITING, OFFERED),  # offered: still waiting
    ConversationChange(OFFERED, replace(WAITING, status_at=at(3))),  # the offer expired: still the same wait
    ConversationChange(replace(OFFERED, enqueued_at=None), ASSIGNED),  # an item from before enqueued_at
], ids=["offered", "offer-expired", "no-start"])
def test_other_writes_end_no_wait(change: ConversationChange) -> None:
    assert wait_fact(change, PARIS) is None


# --- first response ------------------------------------------------------------------------------------------------

def test_the_first_response_runs_from_the_first_visitor_message_to_the_first_human_answer() -> None:
    answered = replace(ASSIGNED, first_reply_at=at(3.5), first_reply_by="ann")
    fact = first_response_fact(ConversationChange(ASSIGNED, answered), PARIS)
    assert fact is not None and (fact.kind, fact.agent_id, fact.at) == ("first_response", "ann", at(3.5))
    assert measures(fact) == (("first_responses", 210.0),)
    later = replace(answered, status=S.CLOSED)
    assert first_response_fact(ConversationChange(answered, later), PARIS) is None  # kept once


def test_a_call_has_no_first_response() -> None:
    call = replace(ASSIGNED, medium="outbound_call")
    assert first_response_fact(ConversationChange(call, replace(call, first_reply_at=at(3))), PARIS) is None


def test_the_first_response_counts_on_the_answers_day_in_the_tenants_zone() -> None:
    """Asked at 23:50 in Paris, answered at 00:10: it belongs to the answer's day."""
    asked = replace(ASSIGNED, created_at=datetime(2026, 12, 6, 22, 50, tzinfo=UTC))
    answered = replace(asked, first_reply_at=datetime(2026, 12, 6, 23, 10, tzinfo=UTC), first_reply_by="ann")
    fact = first_response_fact(ConversationChange(asked, answered), PARIS)
    assert fact is not None and fact.day == date(2026, 12, 7)


# --- surveys --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rating", "expected"), [
    (5, ("csat_answers", "csat_5", "csat_satisfied")),
    (4, ("csat_answers", "csat_4", "csat_satisfied")),
    (3, ("csat_answers", "csat_3")),
    (1, ("csat_answers", "csat_1")),
])
def test_a_rating_counts_once_and_4_or_5_as_satisfied(rating: int, expected: tuple[str, ...]) -> None:
    rated = replace(CLOSED, rating=rating, rated_at=datetime(2026, 12, 6, 11, 30, tzinfo=UTC))
    fact = csat_fact(ConversationChange(CLOSED, rated), AUCKLAND)
    assert fact is not None and fact.day == date(2026, 12, 7)  # 11:30 UTC is 00:30 the next day in Auckland
    assert tuple(m.metric for m in fact.measures) == expected
    assert csat_fact(ConversationChange(rated, replace(rated, nps=9, nps_at=at(20))), PARIS) is None


@pytest.mark.parametrize(("score", "group"), [(10, "nps_promoters"), (9, "nps_promoters"), (8, "nps_passives"),
                                              (7, "nps_passives"), (6, "nps_detractors"), (0, "nps_detractors")])
def test_an_nps_answer_counts_in_its_group(score: int, group: str) -> None:
    answered = replace(CLOSED, nps=score, nps_at=at(20))
    fact = nps_fact(ConversationChange(CLOSED, answered), PARIS)
    assert fact is not None and fact.measures == (Measure("nps_answers"), Measure(f"nps_{score}"), Measure(group))


# --- all of them at once ---------------------------------------------------------------------------------------------

def test_a_close_finishes_the_contact_and_the_conversation_and_sends_the_surveys() -> None:
    facts = conversation_facts(ConversationChange(ASSIGNED, CLOSED), PARIS)
    assert [(f.kind, [m.metric for m in f.measures]) for f in facts] == [
        ("closed", ["closed", "resolution", "csat_sent", "nps_asked"]),
        ("contact", ["contacts", "contact_close"]),
    ]


def test_the_same_write_read_twice_gives_the_same_facts() -> None:
    change = ConversationChange(OFFERED, replace(ASSIGNED, first_reply_at=at(2.5), first_reply_by="ann"))
    assert conversation_facts(change, PARIS) == conversation_facts(change, PARIS)
    assert [f.kind for f in conversation_facts(change, PARIS)] == ["wait", "first_response"]
