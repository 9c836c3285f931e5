"""Report facts of callbacks (issue 15): requested, booked per slot, connected on attempt n, and how each ended
(not reached, expired, cancelled, left while waiting) and whether it was recorded (docs/reports.md, "Callbacks";
what each end counts as: domain/reports/callback_figures.py).

The stream consumer sees one callback's item before and after each write (a `CallbackChange`). A callback's life
brings at most four facts, each keyed by what it is about, so that a record delivered again yields the same key and
the store refuses it:

- `cb_requested` (key cycle 1), when the item is created, on its `created_at` day: `requested`; a scheduled one
  also `booked` and `booked_slot:<its local range, 09:00-10:00>`;
- `cb_connected` (key cycle: the attempt), when `connected_at` is set (the CONNECTED transition), on its day:
  `connected`, with the wait, and `connected_attempt:<n>`;
- `cb_end` (key cycle 1), when the state becomes final, on the end's day (`since`): `not_reached`, `expired`,
  `cancelled` or `left_while_waiting`, and `recorded` for a recorded connected call (a connected call that was not
  recorded brings no end fact: its connection was counted);
- `cb_recorded` (key cycle 1), when a recording's key is written after the end, on the end's day: `recorded`.

Every other write (a phase, a hold, a consult, a retry...) changes nothing a report counts and brings no fact.
Metrics are counters (one per fact), except `connected`, which carries the visitor's wait: from the request (an
immediate callback) or the booked call time (a scheduled one) to the connection. Callbacks have no opening-hours
schedule of their own in the facts yet, so its opening-hours seconds are its calendar seconds (as `closed_fact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState
from chalicelib.domain.report_facts import Fact, Measure
from chalicelib.domain.reports.callback_figures import CallbackEnd, booked_slot, finished, is_final
from chalicelib.domain.reports.periods import report_day

CHANNEL = "call"

# The kinds of fact (the first part of a fact's key).
REQUESTED_FACT, CONNECTED_FACT, END_FACT, RECORDED_FACT = "cb_requested", "cb_connected", "cb_end", "cb_recorded"

# The metrics (counter names in the day aggregates; the callbacks view reads them: services/report_callbacks.py).
REQUESTED, BOOKED, CONNECTED, RECORDED = "requested", "booked", "connected", "recorded"
# ... and one per end but a connection, named as CallbackEnd: not_reached, expired, cancelled, left_while_waiting.
#: `booked_slot:09:00-10:00`: booked in a slot of that local time range (whatever its date).
BOOKED_SLOT = "booked_slot:"
#: `connected_attempt:2`: connected during the second attempt.
CONNECTED_ATTEMPT = "connected_attempt:"


@dataclass(frozen=True)
class CallbackChange:
    """A callback's item before and after one write (None: absent before, or deleted)."""

    tenant: str
    old: Callback | None
    new: Callback | None


def callback_facts(change: CallbackChange, zone: ZoneInfo) -> list[Fact]:
    """Every fact one write to a callback's item brings, on the tenant's clock `zone` (none for most writes)."""
    old, new = change.old, change.new
    if new is None:
        return []  # callbacks are never deleted; a deletion ends nothing
    found = [_requested(new, zone) if old is None else None, _connected(old, new, zone), _ended(old, new, zone),
             _recorded_late(old, new, zone)]
    return [fact for fact in found if fact is not None]


def slot_range(slot: str) -> str:
    """The local time range of a slot's key: "2026-12-07T09:00-10:00" -> "09:00-10:00" (a key without a date is
    itself)."""
    _, marker, hours = slot.partition("T")
    return hours if marker and hours else slot


def _requested(new: Callback, zone: ZoneInfo) -> Fact:
    measures = [Measure(REQUESTED)]
    slot = booked_slot(new)
    if slot is not None:
        measures += [Measure(BOOKED), Measure(BOOKED_SLOT + slot_range(slot))]
    return _fact(new, REQUESTED_FACT, 1, new.created_at, tuple(measures), zone, agent_id="")


def _connected_at(old: Callback | None, new: Callback) -> datetime | None:
    """When the callback connected, as this write shows it: its `connected_at`; for an item connected before the
    field existed, the CONNECTED transition's `since`."""
    if new.connected_at is not None:
        return new.connected_at
    if new.state is CallbackState.CONNECTED and (old is None or old.state is not CallbackState.CONNECTED):
        return new.since or new.created_at
    if old is not None and old.state is CallbackState.CONNECTED and new.state is CallbackState.ENDED:
        return old.connected_at or old.since
    return None


def _connected(old: Callback | None, new: Callback, zone: ZoneInfo) -> Fact | None:
    """The write that connected the callback: its `connected_at` appears (a second connection, after a transfer to
    a queue, keeps the first one's)."""
    if new.state is not CallbackState.CONNECTED and new.connected_at is None:
        return None
    if old is not None and _connected_at(None, old) is not None:
        return None  # connected before this write
    at = _connected_at(old, new)
    if at is None:
        return None
    due = new.at if new.mode is CallbackMode.SCHEDULED and new.at is not None else new.created_at
    wait = max(0.0, (_utc(at) - _utc(due)).total_seconds())
    attempt = max(new.attempt, 1)
    measures = (Measure(CONNECTED, wait, wait), Measure(f"{CONNECTED_ATTEMPT}{attempt}"))
    return _fact(new, CONNECTED_FACT, attempt, at, measures, zone, agent_id=new.agent_id)


def _ended(old: Callback | None, new: Callback, zone: ZoneInfo) -> Fact | None:
    """The write that made the callback final: how it ended, and whether it was recorded."""
    if not is_final(new) or (old is not None and is_final(old)):
        return None
    # Only an ENDED callback may have connected; one connected and then expired (transferred to a queue that
    # nobody took) counts as expired, its connection already counted.
    connected_at = _connected_at(old, new) if new.state is CallbackState.ENDED else None
    figures = finished(new, connected_at)
    measures = [Measure(figures.end.value)] if figures.end is not CallbackEnd.CONNECTED else []
    if figures.recorded:
        measures.append(Measure(RECORDED))
    if not measures:
        return None  # connected and not recorded: the connection was the fact
    agent = new.agent_id if figures.end is CallbackEnd.CONNECTED else ""
    return _fact(new, END_FACT, 1, figures.ended_at, tuple(measures), zone, agent_id=agent)


def _recorded_late(old: Callback | None, new: Callback, zone: ZoneInfo) -> Fact | None:
    """The recording's key written after the callback ended (the SMA's answer came after the hang-up): counted
    then, on the end's day."""
    if old is None or not is_final(old) or old.recording_key or not new.recording_key:
        return None
    if new.state is not CallbackState.ENDED or new.connected_at is None:
        return None
    return _fact(new, RECORDED_FACT, 1, new.since or new.created_at, (Measure(RECORDED),), zone,
                 agent_id=new.agent_id)


def _fact(callback: Callback, kind: str, cycle: int, at: datetime, measures: tuple[Measure, ...], zone: ZoneInfo,
          *, agent_id: str) -> Fact:
    """A fact of the callback, on the day of `at` on the tenant's clock; counted under the callback's group (set
    when its first attempt starts: a request has none yet), the agent given, and the call channel."""
    stop = _utc(at)
    return Fact(tenant=callback.tenant, kind=kind, subject_id=callback.id, cycle=cycle, day=report_day(stop, zone),
                at=stop, queue=callback.queue, agent_id=agent_id, channel=CHANNEL, measures=measures)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
