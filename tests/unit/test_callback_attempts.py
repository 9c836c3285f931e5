"""A callback's attempts (CB-8) and expiry (CB-3), chalicelib/domain/callbacks/attempts.py: 5 attempts 5 minutes
apart then not reached, voicemail connects, an agent who does not answer costs the visitor no attempt, and a callback
no agent takes within the maximum delay expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.callbacks.attempts import (
    DEFAULT_MAX_DELAY_SECONDS,
    Next,
    Outcome,
    RetryPolicy,
    Step,
    after_attempt,
    attempt_times,
    expired,
    expires_at,
)

NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return NINE.replace(hour=hour, minute=minute, second=second)


def test_five_attempts_five_minutes_apart_by_default() -> None:
    assert attempt_times(NINE) == (at(9, 0), at(9, 5), at(9, 10), at(9, 15), at(9, 20))


def test_the_attempts_follow_the_tenants_settings() -> None:
    assert attempt_times(NINE, RetryPolicy(attempts=3, spacing_seconds=120)) == (at(9, 0), at(9, 2), at(9, 4))
    assert attempt_times(NINE, RetryPolicy(attempts=1)) == (NINE,)


@pytest.mark.parametrize("outcome", [Outcome.NO_ANSWER, Outcome.BUSY, Outcome.FAILED])
def test_a_visitor_not_reached_is_called_at_9_05_9_10_9_15_9_20_then_the_callback_is_not_reached(
        outcome: Outcome) -> None:
    steps = [after_attempt(outcome, n, first_due=NINE, started_at=due)
             for n, due in enumerate(attempt_times(NINE), start=1)]
    assert steps == [
        Step(Next.RETRY, 2, at(9, 5)),
        Step(Next.RETRY, 3, at(9, 10)),
        Step(Next.RETRY, 4, at(9, 15)),
        Step(Next.RETRY, 5, at(9, 20)),
        Step(Next.NOT_REACHED, 5),
    ]


def test_a_retry_stays_on_the_first_attempts_grid_when_the_attempt_started_a_little_late() -> None:
    # Attempt 2 was due at 9:05 and dialled at 9:05:04, or at 9:07:30 after waiting for an agent: the next is still
    # due at 9:10, as the widget said, since the visitor gets at least half the spacing in between.
    assert after_attempt(Outcome.BUSY, 2, first_due=NINE, started_at=at(9, 5, 4)) == Step(Next.RETRY, 3, at(9, 10))
    assert after_attempt(Outcome.BUSY, 2, first_due=NINE, started_at=at(9, 7, 30)) == Step(Next.RETRY, 3, at(9, 10))


def test_an_attempt_that_waited_long_for_an_agent_pushes_the_next_one_a_full_spacing_later() -> None:
    # Attempt 2 was due at 9:05 but no agent was free until 9:08: the visitor is not called again at 9:10.
    assert after_attempt(Outcome.NO_ANSWER, 2, first_due=NINE, started_at=at(9, 8)) == Step(Next.RETRY, 3, at(9, 13))
    # Attempt 1 waited until 9:04: the grid's 9:05 would call straight back, so 9:09; later ones go on from there.
    step = after_attempt(Outcome.BUSY, 1, first_due=NINE, started_at=at(9, 4))
    assert step == Step(Next.RETRY, 2, at(9, 9))
    assert after_attempt(Outcome.BUSY, 2, first_due=NINE, started_at=at(9, 9)) == Step(Next.RETRY, 3, at(9, 14))


@pytest.mark.parametrize("attempt", [1, 3, 5])
def test_answered_by_both_is_connected_at_any_attempt(attempt: int) -> None:
    assert after_attempt(Outcome.ANSWERED, attempt, first_due=NINE, started_at=NINE) == Step(Next.CONNECTED, attempt)


@pytest.mark.parametrize("attempt", [1, 5])
def test_a_voicemail_that_answers_counts_as_connected_and_is_not_retried(attempt: int) -> None:
    assert after_attempt(Outcome.VOICEMAIL, attempt, first_due=NINE, started_at=NINE) == Step(Next.CONNECTED, attempt)


@pytest.mark.parametrize("attempt", [1, 2, 5])
def test_an_agent_who_does_not_answer_is_not_a_failed_attempt_for_the_visitor(attempt: int) -> None:
    # Even on the last attempt: the same attempt goes to the next agent, the callback is not "not reached".
    step = after_attempt(Outcome.AGENT_NO_ANSWER, attempt, first_due=NINE, started_at=NINE)
    assert step == Step(Next.NEXT_AGENT, attempt)


def test_agents_who_do_not_answer_then_a_visitor_who_does_not_leave_the_visitor_four_more_attempts() -> None:
    step = after_attempt(Outcome.AGENT_NO_ANSWER, 1, first_due=NINE, started_at=NINE)
    step = after_attempt(Outcome.AGENT_NO_ANSWER, step.attempt, first_due=NINE, started_at=at(9, 0, 30))
    step = after_attempt(Outcome.NO_ANSWER, step.attempt, first_due=NINE, started_at=NINE)
    assert step == Step(Next.RETRY, 2, at(9, 5))


@pytest.mark.parametrize("attempt", [0, 6, -1])
def test_an_attempt_number_outside_the_policy_is_a_programming_error(attempt: int) -> None:
    with pytest.raises(ValueError, match=f"attempt {attempt} is not one of 1 to 5"):
        after_attempt(Outcome.BUSY, attempt, first_due=NINE, started_at=NINE)


def test_with_one_attempt_a_busy_visitor_is_not_reached_at_once() -> None:
    one = RetryPolicy(attempts=1)
    assert after_attempt(Outcome.BUSY, 1, first_due=NINE, started_at=NINE, policy=one) == Step(Next.NOT_REACHED, 1)


def test_a_callback_no_agent_takes_within_the_maximum_delay_expires() -> None:
    assert DEFAULT_MAX_DELAY_SECONDS == 600
    assert expires_at(NINE) == at(9, 10)
    assert not expired(NINE, at(9, 9, 59))
    assert expired(NINE, at(9, 10))
    assert expires_at(NINE, 90) == at(9, 1, 30)
    assert not expired(NINE, NINE + timedelta(seconds=89), 90)
    assert expired(NINE, NINE + timedelta(seconds=90), 90)


def test_a_retry_waits_for_an_agent_from_its_own_due_time() -> None:
    retry = after_attempt(Outcome.NO_ANSWER, 1, first_due=NINE, started_at=NINE)
    assert retry.due_at == at(9, 5)
    assert expires_at(retry.due_at, 120) == at(9, 7)
    assert not expired(retry.due_at, at(9, 6), 120)  # 6 minutes after the first, 1 after the retry was due
