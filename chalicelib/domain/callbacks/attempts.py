"""A callback's attempts, retries and expiry (issue 13: CB-8, CB-3): when each attempt is due, what an attempt's
outcome means for the callback, and when a callback that no agent took expires.

An attempt calls the visitor once. It connects when both parties picked up; a voicemail that answers counts, since the
agent can leave a message (as Amazon Connect's queued callbacks count it). A visitor who does not answer, is busy or
whose call fails is called again `spacing_seconds` later, `attempts` times in all (9:00, 9:05 ... 9:20), and after
the last the callback ends as not reached. An agent who does not answer is not the visitor's failure: the agent goes
Away (routing's business) and the same attempt is offered to the next agent, keeping its number.

Attempts are due on the grid of the first one (9:00, 9:05 ...), so the widget's "next attempt at 9:05" holds even
when a call is placed a few seconds late. An attempt that started so late (it waited for an agent) that the grid
would call the visitor again within less than half the spacing pushes the next one to a full spacing after its own
start: a visitor who just hung up on a busy tone is not called straight back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

#: The settings' ranges (bounds included), for chalicelib/domain/settings.py: attempts in all, seconds between two
#: attempts, and the seconds a callback may wait for an agent (CB-3).
ATTEMPTS = (1, 10)
SPACING_SECONDS = (60, 3600)
MAX_DELAY_SECONDS = (60, 86_400)

#: CB-3 gives no default. An immediate callback promises a call "within the minute": past 10 minutes the visitor is
#: better told and offered a slot than left waiting.
DEFAULT_MAX_DELAY_SECONDS = 600


@dataclass(frozen=True)
class RetryPolicy:
    """CB-8's settings: `attempts` calls to the visitor in all, `spacing_seconds` apart."""

    attempts: int = 5
    spacing_seconds: int = 300

    @property
    def spacing(self) -> timedelta:
        return timedelta(seconds=self.spacing_seconds)


class Outcome(enum.StrEnum):
    """How one attempt ended, as the telephony reports it."""

    ANSWERED = "answered"  # the visitor and the agent both picked up
    VOICEMAIL = "voicemail"  # the visitor's voicemail answered
    NO_ANSWER = "no_answer"  # the visitor's phone rang out
    BUSY = "busy"
    FAILED = "failed"  # the call could not be placed or dropped before anyone answered
    AGENT_NO_ANSWER = "agent_no_answer"  # the agent's phone rang out (agent first) or the agent never picked up
    ACD_UNKNOWN_AGENT = "acd_unknown_agent"  # ACD mode (CB-5): no known agent id after the last try


#: The visitor was not reached by this attempt: it counts, and the next one is due.
FAILED_ATTEMPTS = frozenset({Outcome.NO_ANSWER, Outcome.BUSY, Outcome.FAILED, Outcome.ACD_UNKNOWN_AGENT})


class Next(enum.StrEnum):
    """What the callback does after an attempt."""

    CONNECTED = "connected"  # the call goes on; the callback ends with it
    RETRY = "retry"  # a new attempt is due at `Step.due_at`
    NOT_REACHED = "not_reached"  # the last attempt failed: the callback ends (agenda, email to the visitor)
    NEXT_AGENT = "next_agent"  # the same attempt goes to another agent; the visitor's count is unchanged


@dataclass(frozen=True)
class Step:
    """The decision after an attempt: `attempt` is the number of the attempt to run next (RETRY, NEXT_AGENT) or of
    the attempt that ended the callback (CONNECTED, NOT_REACHED); `due_at` is set for a RETRY only."""

    next: Next
    attempt: int
    due_at: datetime | None = None


def attempt_times(first_due: datetime, policy: RetryPolicy = RetryPolicy()) -> tuple[datetime, ...]:
    """When each attempt is due if each starts on time: the first at `first_due`, then every `spacing`."""
    return tuple(first_due + n * policy.spacing for n in range(policy.attempts))


def after_attempt(outcome: Outcome, attempt: int, *, first_due: datetime, started_at: datetime,
                  policy: RetryPolicy = RetryPolicy()) -> Step:
    """What follows attempt number `attempt` (1 for the first), which started at `started_at`, of a callback whose
    first attempt was due at `first_due`. A retry is due on the first attempt's grid, unless that is less than half
    the spacing after this attempt's start: then a full spacing after it."""
    if not 1 <= attempt <= policy.attempts:
        raise ValueError(f"attempt {attempt} is not one of 1 to {policy.attempts}")
    if outcome in (Outcome.ANSWERED, Outcome.VOICEMAIL):
        return Step(Next.CONNECTED, attempt)
    if outcome is Outcome.AGENT_NO_ANSWER:
        return Step(Next.NEXT_AGENT, attempt)
    if attempt == policy.attempts:
        return Step(Next.NOT_REACHED, attempt)
    on_grid = first_due + attempt * policy.spacing
    due_at = on_grid if on_grid - started_at >= policy.spacing / 2 else started_at + policy.spacing
    return Step(Next.RETRY, attempt + 1, due_at=due_at)


def expires_at(due_at: datetime, max_delay_seconds: int = DEFAULT_MAX_DELAY_SECONDS) -> datetime:
    """When a callback waiting for an agent expires (CB-3): `max_delay_seconds` after it was due, that is after its
    request (immediate), its booked time (scheduled) or its retry's due time: each wait for an agent has the same
    bound."""
    return due_at + timedelta(seconds=max_delay_seconds)


def expired(due_at: datetime, now: datetime, max_delay_seconds: int = DEFAULT_MAX_DELAY_SECONDS) -> bool:
    """Whether a callback that no agent has taken since `due_at` has expired at `now`: the visitor is told and
    offered a slot. A callback an agent took never expires."""
    return now >= expires_at(due_at, max_delay_seconds)
