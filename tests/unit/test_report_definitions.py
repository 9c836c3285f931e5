"""The reports' definitions (docs/reports.md) on hand-written conversation histories, table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.reports.definitions import (
    QueueEpisode,
    QueueOutcome,
    Span,
    abandonment,
    closures,
    contacts,
    cycles,
    first_responses,
    full_resolution,
    queue_answer_times,
    queue_episodes,
    reply_times,
    service_level,
)
from chalicelib.domain.reports.events import (
    AgentMessageSent,
    BotMessageSent,
    ContactEnded,
    ContactEndReason,
    ContactStarted,
    ConversationClosed,
    ConversationReopened,
    ConversationStarted,
    Enqueued,
    Event,
    HandedOffToHuman,
    LaterOption,
    OptedForLater,
    VisitorLeftWhileQueued,
    VisitorMessageReceived,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def start(m: float, by_agent: bool = False) -> ConversationStarted:
    return ConversationStarted(at(m), by_agent)


def visitor(m: float) -> VisitorMessageReceived:
    return VisitorMessageReceived(at(m))


def bot(m: float) -> BotMessageSent:
    return BotMessageSent(at(m))


def agent(m: float, who: str = "alice", public: bool = True, automatic: bool = False) -> AgentMessageSent:
    return AgentMessageSent(at(m), who, public, automatic)


def handoff(m: float) -> HandedOffToHuman:
    return HandedOffToHuman(at(m))


def close(m: float) -> ConversationClosed:
    return ConversationClosed(at(m))


def reopen(m: float) -> ConversationReopened:
    return ConversationReopened(at(m))


FIRST_RESPONSE_CASES: list[tuple[str, list[Event], list[tuple[float, float, str]]]] = [
    ("the first human answer to the first visitor message", [start(0), visitor(1), agent(3)], [(1, 3, "alice")]),
    ("a bot's message before the handoff does not stop it: it runs from the handoff, the visitor waiting then",
     [start(0), visitor(1), bot(1.5), handoff(2), agent(5)], [(2, 5, "alice")]),
    ("after a handoff with nobody waiting, from the first visitor message after it",
     [start(0), bot(0.5), handoff(1), visitor(2), agent(4)], [(2, 4, "alice")]),
    ("a greeting or automatic bot message never stops it", [start(0), visitor(1), bot(2), agent(6)], [(1, 6, "alice")]),
    ("an automatic message in the agent's name never stops it",
     [start(0), visitor(1), agent(1.1, automatic=True), agent(3)], [(1, 3, "alice")]),
    ("a note for agents only never stops it", [start(0), visitor(1), agent(2, public=False), agent(4)],
     [(1, 4, "alice")]),
    ("an agent's message before the visitor wrote is no response", [start(0), agent(1), visitor(2), agent(5)],
     [(2, 5, "alice")]),
    ("a conversation an agent started has none", [start(0, by_agent=True), agent(0), visitor(2), agent(3)], []),
    ("a reopen starts a new cycle with its own first response",
     [start(0), visitor(1), agent(2), close(5), reopen(60), visitor(61), agent(70, "bob"), close(80)],
     [(1, 2, "alice"), (61, 70, "bob")]),
    ("a handoff after the first human answer changes nothing",
     [start(0), visitor(1), agent(2), handoff(3), visitor(4), agent(5)], [(1, 2, "alice")]),
    ("no human answer, no first response", [start(0), visitor(1), bot(2), close(3)], []),
    ("credited to the agent who answered", [start(0), visitor(1), agent(4, "bob")], [(1, 4, "bob")]),
    ("events given out of order are read in time order", [agent(3), visitor(1), start(0)], [(1, 3, "alice")]),
]


@pytest.mark.parametrize(("events", "expected"), [(e, x) for _, e, x in FIRST_RESPONSE_CASES],
                         ids=[name for name, _, _ in FIRST_RESPONSE_CASES])
def test_first_response_time(events: list[Event], expected: list[tuple[float, float, str]]) -> None:
    found = [(c.first_response, c.responder) for c in cycles(events) if c.first_response is not None]
    assert [(r.start, r.stop, who) for r, who in found] == [(at(a), at(b), who) for a, b, who in expected]
    assert first_responses(events) == tuple(Span(at(a), at(b)) for a, b, _ in expected)


RESOLUTION_CASES: list[tuple[str, list[Event], list[tuple[float, float] | None], tuple[float, float] | None]] = [
    ("from the first visitor message, not the creation", [start(0), bot(1), visitor(10), agent(12), close(30)],
     [(10, 30)], (10, 30)),
    ("a reopen starts a new cycle; full resolution spans both",
     [start(0), visitor(1), agent(2), close(5), reopen(60), visitor(61), agent(70), close(80)],
     [(1, 5), (61, 80)], (1, 80)),
    ("an open cycle has no resolution yet", [start(0), visitor(1), close(5), reopen(60), visitor(61)],
     [(1, 5), None], None),
    ("a cycle without a visitor message has none", [start(0, by_agent=True), agent(1), close(2)], [None], None),
    ("a repeated close changes nothing", [start(0), visitor(1), close(5), close(9)], [(1, 5)], (1, 5)),
]


@pytest.mark.parametrize(("events", "expected", "full"), [(e, x, f) for _, e, x, f in RESOLUTION_CASES],
                         ids=[name for name, *_ in RESOLUTION_CASES])
def test_resolution_time_per_cycle(events: list[Event], expected: list[tuple[float, float] | None],
                                   full: tuple[float, float] | None) -> None:
    assert [c.resolution for c in cycles(events)] == [None if x is None else Span(at(x[0]), at(x[1]))
                                                      for x in expected]
    assert full_resolution(events) == (None if full is None else Span(at(full[0]), at(full[1])))


def test_cycles_are_numbered_and_remember_who_opened_them() -> None:
    found = cycles([start(0, by_agent=True), agent(1), close(2), reopen(10), visitor(11), close(12)])
    assert [(c.number, c.opened_at, c.by_agent, c.closed_at) for c in found] == [
        (1, at(0), True, at(2)), (2, at(10), False, at(12))]


def test_contact_handle_time_and_agent_first_response() -> None:
    events: list[Event] = [
        start(0), visitor(0.5), Enqueued(at(0.5), "sales"), ContactStarted(at(1), "alice", "sales"),
        agent(2, "bob"),  # not the contact's agent: not its answer
        agent(3, "alice"), ContactEnded(at(5), "alice", ContactEndReason.TRANSFER),
        ContactStarted(at(6), "bob", "sales"), ContactEnded(at(6), "alice", ContactEndReason.CLOSE),  # stale
        ContactEnded(at(10), "bob", ContactEndReason.CLOSE), close(10),
    ]
    found = contacts(events)
    assert [(c.agent_id, c.queue, c.handle, c.reason, c.agent_first_response) for c in found] == [
        ("alice", "sales", Span(at(1), at(5)), ContactEndReason.TRANSFER, Span(at(1), at(3))),
        ("bob", "sales", Span(at(6), at(10)), ContactEndReason.CLOSE, None),
    ]
    assert [c.handle.seconds for c in found] == [240.0, 240.0]


QUEUE_CASES: list[tuple[str, list[Event], list[tuple[float, float, QueueOutcome, bool]]]] = [
    ("answered when an agent accepts", [Enqueued(at(0), "q"), ContactStarted(at(2), "alice")],
     [(0, 2, QueueOutcome.ANSWERED, False)]),
    ("the visitor leaving is an abandonment", [Enqueued(at(0), "q"), VisitorLeftWhileQueued(at(3))],
     [(0, 3, QueueOutcome.ABANDONED, False)]),
    ("a dissuaded visitor is an abandonment, marked", [Enqueued(at(0), "q"), VisitorLeftWhileQueued(at(5), True)],
     [(0, 5, QueueOutcome.ABANDONED, True)]),
    ("asking for a callback is not an abandonment",
     [Enqueued(at(0), "q"), OptedForLater(at(1), LaterOption.CALLBACK)], [(0, 1, QueueOutcome.CALLBACK, False)]),
    ("leaving a message is not an abandonment",
     [Enqueued(at(0), "q"), OptedForLater(at(1), LaterOption.MESSAGE)], [(0, 1, QueueOutcome.MESSAGE, False)]),
    ("a transfer to a queue is a second wait; a wait going on is not history",
     [Enqueued(at(0), "q"), Enqueued(at(0.5), "q"), ContactStarted(at(1), "alice"), Enqueued(at(4), "r")],
     [(0, 1, QueueOutcome.ANSWERED, False)]),
]


@pytest.mark.parametrize(("events", "expected"), [(e, x) for _, e, x in QUEUE_CASES],
                         ids=[name for name, _, _ in QUEUE_CASES])
def test_queue_episodes(events: list[Event], expected: list[tuple[float, float, QueueOutcome, bool]]) -> None:
    assert [(e.wait, e.outcome, e.dissuaded) for e in queue_episodes(events)] == [
        (Span(at(a), at(b)), outcome, dissuaded) for a, b, outcome, dissuaded in expected]


def _episode(seconds: float, outcome: QueueOutcome) -> QueueEpisode:
    return QueueEpisode("q", Span(T0, T0 + timedelta(seconds=seconds)), outcome)


EPISODES = [_episode(10, QueueOutcome.ANSWERED), _episode(20, QueueOutcome.ANSWERED),
            _episode(30, QueueOutcome.ABANDONED), _episode(45, QueueOutcome.CALLBACK),
            _episode(100, QueueOutcome.ANSWERED)]


@pytest.mark.parametrize(("threshold", "met"), [(5, 0), (10, 1), (29.9, 2), (30, 3), (60, 4), (100, 5)])
def test_service_level_counts_every_removal_within_x_over_all_waits(threshold: float, met: int) -> None:
    level = service_level(EPISODES, threshold)
    assert (level.part, level.whole) == (met, 5)
    assert level.percent == pytest.approx(100 * met / 5)


def test_abandonment_rate_leaves_callbacks_out_and_answer_times_are_answered_waits() -> None:
    rate = abandonment(EPISODES)
    assert (rate.part, rate.whole, rate.percent) == (1, 5, 20.0)
    assert queue_answer_times(EPISODES) == (10.0, 20.0, 100.0)
    assert service_level([], 30).share is None


def test_a_span_never_runs_backwards() -> None:
    with pytest.raises(ValueError):
        Span(at(2), at(1))


REPLY_CASES: list[tuple[str, list[Event], list[tuple[float, float]]]] = [
    ("each human answer ends the wait begun by the first unanswered visitor message",
     [start(0), visitor(1), visitor(2), agent(3), visitor(4), bot(5), agent(8), agent(9)], [(1, 3), (4, 8)]),
    ("a handoff while the visitor waits moves the start", [start(0), visitor(1), bot(2), handoff(4), agent(6)],
     [(4, 6)]),
    ("automatic and private messages answer nothing",
     [start(0), visitor(1), agent(2, automatic=True), agent(3, public=False), agent(7)], [(1, 7)]),
    ("a close ends a wait unanswered; the reopened cycle waits anew",
     [start(0), visitor(1), close(2), reopen(10), visitor(12), agent(15)], [(12, 15)]),
    ("an agent-started conversation has replies, though no first response",
     [start(0, by_agent=True), agent(0), visitor(2), agent(5)], [(2, 5)]),
]


@pytest.mark.parametrize(("events", "expected"), [(e, x) for _, e, x in REPLY_CASES],
                         ids=[name for name, _, _ in REPLY_CASES])
def test_reply_times(events: list[Event], expected: list[tuple[float, float]]) -> None:
    assert reply_times(events) == tuple(Span(at(a), at(b)) for a, b in expected)


@pytest.mark.parametrize(("events", "expected"), [(e, x) for _, e, x in FIRST_RESPONSE_CASES],
                         ids=[name for name, _, _ in FIRST_RESPONSE_CASES])
def test_a_first_response_is_the_first_reply_of_its_cycle(events: list[Event],
                                                          expected: list[tuple[float, float, str]]) -> None:
    replies = reply_times(events)
    for response in first_responses(events):
        assert response == next(r for r in replies if r.stop == response.stop)


def test_closures_count_closes_and_distinct_conversations_on_the_tenants_day() -> None:
    paris = ZoneInfo("Europe/Paris")
    closes = [("c1", datetime(2026, 12, 7, 8, 0, tzinfo=UTC)), ("c1", datetime(2026, 12, 7, 15, 0, tzinfo=UTC)),
              ("c2", datetime(2026, 12, 7, 22, 59, tzinfo=UTC)),
              ("c3", datetime(2026, 12, 7, 23, 0, tzinfo=UTC))]  # midnight in Paris: the 8th
    found = closures(closes, date(2026, 12, 7), paris)
    assert (found.closes, found.conversations) == (3, 2)
