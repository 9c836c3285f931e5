"""A conversation's report facts (issue 15): what one write to its state item finished, read from the item's old
and new images alone (docs/reports.md, "Fields the stream consumer needs").

- `closed`: the write to `closed`; day of the close; `closed`, `resolution` (s), `csat_sent`, `nps_asked`.
- `contact`: off an agent's desk (`assigned` to any other status, or to another agent); day of the end;
  `contacts` (handle s), `contact_<reason>` (close, snooze, transfer, end).
- `wait`: a wait in a queue ends, answered (to `assigned`) or abandoned (to `dissuaded`); day of the end;
  `waits` (s), and `answered` (s) or `abandoned` (s).
- `first_response`: the conversation's first agent message is kept; day of the answer; `first_responses` (s).
- `csat`: the visitor rated it; day of the rating; `csat_answers`, `csat_<1..5>`, `csat_satisfied`.
- `nps`: the visitor answered the NPS question; day of the answer; `nps_answers`, `nps_<0..10>`, `nps_promoters`,
  `nps_passives`, `nps_detractors`.

Each fact is keyed by (kind, conversation, cycle); a contact's and a wait's "cycle" is their start in epoch
milliseconds, so that each contact and wait of a conversation is a fact of its own and a redelivered write the same.
An asynchronous conversation's wait counts too, until an agent takes it: the item cannot tell when a visitor who
may leave (ASYNC-9) did leave, so its long waits show in the queue figures (docs/reports.md says so).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.model import Conversation, ConversationStatus
from chalicelib.domain.report_facts import ConversationChange, Fact, Measure, channel_of, closed_fact, local_day

CONTACTS = "contacts"
WAITS, ANSWERED, ABANDONED = "waits", "answered", "abandoned"
FIRST_RESPONSES = "first_responses"
CSAT_ANSWERS, CSAT_SATISFIED = "csat_answers", "csat_satisfied"
NPS_ANSWERS, NPS_PROMOTERS, NPS_PASSIVES, NPS_DETRACTORS = "nps_answers", "nps_promoters", "nps_passives", \
    "nps_detractors"

_WAITING = (ConversationStatus.WAITING, ConversationStatus.OFFERED, ConversationStatus.RESERVED)
_CONTACT_END = {ConversationStatus.CLOSED: "close", ConversationStatus.SNOOZED: "snooze",
                ConversationStatus.RESERVED: "transfer", ConversationStatus.WAITING: "transfer",
                ConversationStatus.ASSIGNED: "transfer"}


def conversation_facts(change: ConversationChange, zone: ZoneInfo) -> list[Fact]:
    """Every fact one write to a conversation's state item brings (none for most writes)."""
    found: list[Fact] = []
    for transition in _TRANSITIONS:
        fact = transition(change, zone)
        if fact is not None:
            found.append(fact)
    return found


def contact_fact(change: ConversationChange, zone: ZoneInfo) -> Fact | None:
    """A contact (one stay on an agent's desk) ended: its handle time, from the offer accepted to the end."""
    old, new = change.old, change.new
    if old is None or new is None or old.status is not ConversationStatus.ASSIGNED:
        return None
    if old.agent_id is None or old.assigned_at is None:
        return None
    same_desk = new.status is ConversationStatus.ASSIGNED and new.agent_id == old.agent_id \
        and new.assigned_at == old.assigned_at
    if same_desk:
        return None
    stop = _changed_at(new)
    if stop is None:
        return None
    reason = _CONTACT_END.get(new.status, "end")
    seconds = _seconds(old.assigned_at, stop)
    return _fact("contact", old, _millis(old.assigned_at), stop, zone, old.agent_id,
                 (Measure(CONTACTS, seconds, seconds), Measure(f"contact_{reason}")))


def wait_fact(change: ConversationChange, zone: ZoneInfo) -> Fact | None:
    """A wait in a queue ended: answered when an agent accepted it, abandoned when the visitor was sent away
    (dissuaded, the tenant's maximum wait)."""
    old, new = change.old, change.new
    if old is None or new is None or old.status not in _WAITING or old.enqueued_at is None:
        return None
    if new.status is ConversationStatus.ASSIGNED:
        stop, outcome, agent = new.assigned_at or _changed_at(new), ANSWERED, new.agent_id or ""
    elif new.status is ConversationStatus.DISSUADED:
        stop, outcome, agent = _changed_at(new), ABANDONED, ""
    else:
        return None
    if stop is None:
        return None
    seconds = _seconds(old.enqueued_at, stop)
    return _fact("wait", old, _millis(old.enqueued_at), stop, zone, agent,
                 (Measure(WAITS, seconds, seconds), Measure(outcome, seconds, seconds)))


def first_response_fact(change: ConversationChange, zone: ZoneInfo) -> Fact | None:
    """The conversation's first human answer was kept: the time from the visitor's first message (the
    conversation's creation) to it, credited to the agent who wrote it. A call has none."""
    old, new = change.old, change.new
    if new is None or new.first_reply_at is None or channel_of(new.medium) == "call":
        return None
    if old is not None and old.first_reply_at is not None:
        return None
    seconds = _seconds(new.created_at, new.first_reply_at)
    return _fact("first_response", new, 1, new.first_reply_at, zone, new.first_reply_by,
                 (Measure(FIRST_RESPONSES, seconds, seconds),))


def csat_fact(change: ConversationChange, zone: ZoneInfo) -> Fact | None:
    """The visitor rated the conversation (1 to 5): counted on the rating's day, 4 and 5 as satisfied."""
    old, new = change.old, change.new
    if new is None or new.rating is None or new.rated_at is None or (old is not None and old.rating is not None):
        return None
    measures = [Measure(CSAT_ANSWERS), Measure(f"csat_{new.rating}")]
    if new.rating >= 4:
        measures.append(Measure(CSAT_SATISFIED))
    return _fact("csat", new, 1, new.rated_at, zone, new.agent_id or "", tuple(measures))


def nps_fact(change: ConversationChange, zone: ZoneInfo) -> Fact | None:
    """The visitor answered the NPS question (0 to 10): promoters 9-10, passives 7-8, detractors 0-6."""
    old, new = change.old, change.new
    if new is None or new.nps is None or new.nps_at is None or (old is not None and old.nps is not None):
        return None
    group = NPS_PROMOTERS if new.nps >= 9 else NPS_PASSIVES if new.nps >= 7 else NPS_DETRACTORS
    return _fact("nps", new, 1, new.nps_at, zone, new.agent_id or "",
                 (Measure(NPS_ANSWERS), Measure(f"nps_{new.nps}"), Measure(group)))


def _fact(kind: str, conversation: Conversation, cycle: int, stop: datetime, zone: ZoneInfo, agent_id: str,
          measures: tuple[Measure, ...]) -> Fact:
    at = stop.astimezone(UTC)
    return Fact(tenant=conversation.tenant, kind=kind, subject_id=conversation.id, cycle=cycle,
                day=local_day(at, zone), at=at, queue=conversation.queue, agent_id=agent_id,
                channel=channel_of(conversation.medium), measures=measures)


def _changed_at(conversation: Conversation) -> datetime | None:
    """When the write changed the status: `status_at`, or the close for an item written before it existed."""
    if conversation.status_at is not None:
        return conversation.status_at
    return conversation.wrap_up.closed_at if conversation.wrap_up is not None else None


def _seconds(start: datetime, stop: datetime) -> float:
    return max(0.0, (stop.astimezone(UTC) - start.astimezone(UTC)).total_seconds())


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_TRANSITIONS: tuple[Callable[[ConversationChange, ZoneInfo], Fact | None], ...] = (
    closed_fact, contact_fact, wait_fact, first_response_fact, csat_fact, nps_fact)
