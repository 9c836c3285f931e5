"""The SIP media application's (SMA) handler: one invocation in, the actions the call runs next out (issue 13,
CB-6 to CB-9; research/telephony.md, "What this means for Guichet").

`on_sma_event(deps, raw_event, flow)` translates the invocation (`domain.telephony.events.translate`), answers a
remembered invocation at once with its first answer, and otherwise decides and remembers the answer
(`deps.sma_invocations`, keyed by (TransactionId, Sequence)). The SMA retries an invocation it got no answer to within
5 s; the retry gets the same actions back and the decision, with its side effects, is not run again. Each invocation
costs one translation and one consistent read, plus one conditional write when it is new: well under 5 s.

What is handled here (`decide`, a table that is correct on its own):
- NEW_INBOUND_CALL: hung up, which is not charged (DG case-1). Guichet takes no inbound calls yet (no SIP rule
  routes any here: outbound only).
- NEW_OUTBOUND_CALL, CALL_ANSWERED, CALL_UPDATE_REQUESTED, HANGUP, ACTION_SUCCESSFUL and ACTION_FAILED: handed to
  `flow`, the callback's call flow (services/call_flow.py; the default answers no actions).
- RINGING, ACTION_INTERRUPTED, DIGITS_RECEIVED, INVALID_LAMBDA_RESPONSE and unknown types: no actions (the SMA
  ignores actions after RINGING and ACTION_INTERRUPTED).

Two deliveries of one invocation that race (the first still running when the retry lands) both reach `flow`: only
the first answer is kept, so the flow's own side effects are keyed on the callback and attempt (conditional
writes of services/call_attempts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.telephony.actions import SCHEMA_VERSION, Hangup, SmaAction, render
from chalicelib.domain.telephony.events import translate
from chalicelib.domain.telephony.model import (
    ActionFailed,
    ActionSucceeded,
    BadSmaEvent,
    CallAnswered,
    CallUpdateRequested,
    InvalidResponseReported,
    NewInboundCall,
    NewOutboundCall,
    SmaEvent,
)
from chalicelib.domain.telephony.model import (
    Hangup as HungUp,
)
from chalicelib.ports import Deps

log = logging.getLogger("guichet.calls")


@dataclass(frozen=True)
class CallAnswer:
    """What the call does next: `actions` in order (at most 10) and, when not None, the TransactionAttributes that
    replace the stored ones."""

    actions: Sequence[SmaAction] = ()
    attributes: Mapping[str, str] | None = field(default=None)


#: The callback flow: what a call Guichet placed does when it starts, is answered or is asked to act.
CallFlow = Callable[[SmaEvent], CallAnswer]

NOTHING = CallAnswer()
REFUSE_INBOUND = CallAnswer(actions=(Hangup(),))


def no_flow(event: SmaEvent) -> CallAnswer:
    """The flow until the callback flow plugs in: no actions (an answered party stays on a silent line until the
    caller hangs up; no call is placed yet, since nothing dials)."""
    return NOTHING


def on_sma_event(deps: Deps, raw_event: object, flow: CallFlow = no_flow) -> dict[str, Any]:
    """The SMA response to one invocation: the remembered one for a retried invocation, else the decided one,
    remembered first. A malformed invocation is logged (without its content) and answered with no actions."""
    try:
        event = translate(raw_event)
    except BadSmaEvent as exc:
        log.warning("an SMA invocation that is not one was answered with no actions", extra={"field": exc.field})
        return {"SchemaVersion": SCHEMA_VERSION, "Actions": []}
    if not _has_effects(event):  # always the same answer and nothing to repeat: nothing to remember either
        return render(NOTHING.actions)
    invocations = deps.sma_invocations
    if invocations is None:
        raise LookupError("SMA invocations are not wired (bootstrap)")
    remembered = invocations.remembered(event.key)
    if remembered is not None:
        return remembered
    answer = decide(event, flow)
    return invocations.remember(event.key, render(answer.actions, answer.attributes))


def _has_effects(event: SmaEvent) -> bool:
    """Whether the table may act on this event (and so must remember its answer): RINGING, ACTION_INTERRUPTED,
    DIGITS_RECEIVED and unknown types get no actions and change nothing, so a retried one needs no memory (two
    DynamoDB requests saved per such invocation)."""
    return isinstance(event, NewInboundCall | NewOutboundCall | CallAnswered | CallUpdateRequested | HungUp
                      | ActionSucceeded | ActionFailed | InvalidResponseReported)


def decide(event: SmaEvent, flow: CallFlow = no_flow) -> CallAnswer:
    """The table of the module docstring."""
    if isinstance(event, NewInboundCall):
        return REFUSE_INBOUND
    if isinstance(event, NewOutboundCall | CallAnswered | CallUpdateRequested | HungUp | ActionSucceeded
                  | ActionFailed):
        return flow(event)
    if isinstance(event, InvalidResponseReported):
        log.error("the SMA refused the previous response", extra={"error_type": event.error_type})
    return NOTHING
