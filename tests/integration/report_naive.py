"""The report figures computed a second, naive way (issue 15's oracle): plain loops over the driver's event log
(tests/integration/report_history.py), straight from docs/reports.md's definitions.

Nothing here calls `chalicelib/domain/reports` or the report facts: the event log is walked once into
`Observation`s (one per contact, queue wait, first response, close, survey answer), each with its day on the
tenant's clock, its queue and its agent; a figure is then a count, a share, a mean or a nearest-rank percentile of the
observations of a day, a queue, an agent or a range. Shares and means are rounded as "The report API" shows them
(percentages to 0.01, seconds to 0.001).

Who a figure is credited to (docs/reports.md): a contact to its agent and the queue it was taken from; a wait to the
queue it waited in and the agent who took it; a first response to the agent who wrote it, in the conversation's queue
then; a close, its resolution, the surveys it sent and their answers to the agent who closed it and its queue then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.integration.report_history import Event

#: docs/reports.md, "Exact and approximate": the buckets' lower edges in seconds (the last one is open).
EDGES: tuple[int, ...] = (0, 5, 10, 20, 30, 45, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800,
                          86_400, 172_800)

EXPERIENCE_KEYS = ("csat", "csat_answers", "csat_sent", "csat_response_rate", "nps", "nps_answers", "nps_asked",
                   "nps_response_rate", "first_response_median", "first_response_p90", "first_response_mean",
                   "resolution_median", "resolution_p90", "resolution_mean")
CONVERSATION_KEYS = ("closed", "conversations", "contacts", "handle_median", "handle_p90", "handle_mean", "waits",
                     "answered", "abandoned", "abandonment_rate", "service_level", "queue_answer_mean", "sales",
                     "sales_credited")
QUANTILE_KEYS = frozenset(k for k in EXPERIENCE_KEYS + CONVERSATION_KEYS if k.endswith(("_median", "_p90")))


@dataclass(frozen=True)
class Observation:
    """One finished thing. kinds: `contact`, `wait` (`outcome` answered or abandoned), `first_response`, `closed`
    (`seconds`: its resolution), `csat_sent`, `nps_asked`, `csat` and `nps` (`score`)."""

    kind: str
    conversation: str
    day: date
    queue: str
    agent: str
    seconds: float | None = None
    score: int | None = None
    outcome: str = ""


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def observations(log: Iterable[Event], zone: ZoneInfo) -> list[Observation]:
    """Walk the log, conversation by conversation, in the order things happened."""
    found: list[Observation] = []
    by_conversation: dict[str, list[Event]] = {}
    for event in log:
        by_conversation.setdefault(event.conversation, []).append(event)
    for cid, events in by_conversation.items():
        found += _walk(cid, events, zone)
    return found


def _walk(cid: str, events: list[Event], zone: ZoneInfo) -> list[Observation]:
    """One conversation's observations, from its events in order."""
    found: list[Observation] = []
    first_visitor: datetime | None = None
    answered = False
    queue = ""
    waiting: tuple[datetime, str] | None = None  # since when, in which queue
    contact: tuple[datetime, str, str] | None = None  # since when, agent, queue

    def seen(kind: str, at: datetime, in_queue: str, agent: str, **more: Any) -> None:
        found.append(Observation(kind, cid, local_date(at, zone), in_queue, agent, **more))

    for e in events:
        if e.kind == "visitor" and first_visitor is None:
            first_visitor = e.at
        elif e.kind == "enqueued":
            waiting = waiting or (e.at, e.queue)  # waiting already: the same wait
            queue = e.queue
        elif e.kind == "accepted":
            if waiting is not None:
                seen("wait", e.at, waiting[1], e.agent, seconds=seconds(waiting[0], e.at), outcome="answered")
                waiting = None
            contact = (e.at, e.agent, e.queue)
            queue = e.queue
        elif e.kind == "agent":
            # The first public human answer after the visitor's first message (none was written before it).
            if first_visitor is not None and not answered and e.at >= first_visitor:
                seen("first_response", e.at, queue, e.agent, seconds=seconds(first_visitor, e.at))
                answered = True
        elif e.kind == "ended":
            if contact is not None:
                seen("contact", e.at, contact[2], contact[1], seconds=seconds(contact[0], e.at))
                contact = None
        elif e.kind == "left":  # the visitor gave up waiting
            if waiting is not None:
                seen("wait", e.at, waiting[1], "", seconds=seconds(waiting[0], e.at), outcome="abandoned")
                waiting = None
        elif e.kind == "closed":
            assert first_visitor is not None
            seen("closed", e.at, e.queue, e.agent, seconds=seconds(first_visitor, e.at))
        elif e.kind == "survey_sent":
            seen("csat_sent", e.at, e.queue, e.agent)
            if e.value:
                seen("nps_asked", e.at, e.queue, e.agent)
        elif e.kind in ("rated", "nps"):
            seen("csat" if e.kind == "rated" else "nps", e.at, e.queue, e.agent, score=e.value)
        elif e.kind == "cb_requested":  # a callback booked in a slot: `outcome` is the slot's time range
            seen("cb_requested", e.at, "", "", outcome=e.value)
        elif e.kind == "cb_cancelled":
            seen("cb_cancelled", e.at, "", "")
    return found


def seconds(start: datetime, stop: datetime) -> float:
    return (stop - start).total_seconds()


# --- figures ------------------------------------------------------------------------------------------------------


def nearest_rank(values: Sequence[float], percentile: int) -> float:
    """The value at rank ceil(p/100 x n), 1-based, of the sorted values (integer arithmetic: no rounding)."""
    rank = (percentile * len(values) + 99) // 100
    return sorted(values)[rank - 1]


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def durations(key: str, values: list[float]) -> dict[str, Any]:
    if not values:
        return {f"{key}_median": None, f"{key}_p90": None, f"{key}_mean": None}
    return {f"{key}_median": nearest_rank(values, 50), f"{key}_p90": nearest_rank(values, 90),
            f"{key}_mean": round(sum(values) / len(values), 3)}


def experience(obs: Sequence[Observation]) -> dict[str, Any]:
    ratings = [o.score for o in obs if o.kind == "csat" and o.score is not None]
    scores = [o.score for o in obs if o.kind == "nps" and o.score is not None]
    sent = sum(1 for o in obs if o.kind == "csat_sent")
    asked = sum(1 for o in obs if o.kind == "nps_asked")
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    row: dict[str, Any] = {
        "csat": share(sum(1 for r in ratings if r >= 4), len(ratings)), "csat_answers": len(ratings),
        "csat_sent": sent, "csat_response_rate": share(len(ratings), sent),
        "nps": round(100 * (promoters - detractors) / len(scores), 2) if scores else None,
        "nps_answers": len(scores), "nps_asked": asked, "nps_response_rate": share(len(scores), asked)}
    row.update(durations("first_response", [o.seconds for o in obs if o.kind == "first_response" and o.seconds
                                            is not None]))
    row.update(durations("resolution", [o.seconds for o in obs if o.kind == "closed" and o.seconds is not None]))
    return row


def conversations(obs: Sequence[Observation], sl: int) -> dict[str, Any]:
    closes = [o for o in obs if o.kind == "closed"]
    waits = [o for o in obs if o.kind == "wait"]
    answered = [o.seconds or 0.0 for o in waits if o.outcome == "answered"]
    abandoned = sum(1 for o in waits if o.outcome == "abandoned")
    row: dict[str, Any] = {"closed": len(closes), "conversations": len({o.conversation for o in closes}),
                           "contacts": sum(1 for o in obs if o.kind == "contact")}
    row.update(durations("handle", [o.seconds or 0.0 for o in obs if o.kind == "contact"]))
    row.update({"waits": len(waits), "answered": len(answered), "abandoned": abandoned,
                "abandonment_rate": share(abandoned, len(waits)),
                # "Within X" includes X itself.
                "service_level": share(sum(1 for o in waits if (o.seconds or 0.0) <= sl), len(waits)),
                "queue_answer_mean": round(sum(answered) / len(answered), 3) if answered else None,
                # Sales come from the shop's signed webhook (ASYNC-12), which this history never calls.
                "sales": 0, "sales_credited": 0})
    return row


CALLBACK_KEYS = ("requested", "booked", "connected", "not_reached", "expired", "cancelled", "left_while_waiting",
                 "recorded")


def callbacks(obs: Sequence[Observation]) -> dict[str, Any]:
    """Every callback of this history is booked at a time, and none is ever called: the other counts are 0."""
    requested = sum(1 for o in obs if o.kind == "cb_requested")
    return {key: 0 for key in CALLBACK_KEYS} | {
        "requested": requested, "booked": requested, "cancelled": sum(1 for o in obs if o.kind == "cb_cancelled")}


def callbacks_report(obs: Sequence[Observation], start: date, end: date) -> dict[str, Any]:
    """The callbacks view: figures, per day, booked per slot's time range (earliest first), connected per attempt."""
    chosen = [o for o in obs if start <= o.day <= end]
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    ranges = sorted({o.outcome for o in chosen if o.kind == "cb_requested"})
    return {"figures": callbacks(chosen),
            "per_day": {d.isoformat(): callbacks([o for o in chosen if o.day == d]) for d in days},
            "per_slot": {r: {"booked": sum(1 for o in chosen if o.kind == "cb_requested" and o.outcome == r)}
                         for r in ranges},
            "per_attempt": {}}


def figures(view: str, obs: Sequence[Observation], sl: int = 30) -> dict[str, Any]:
    return experience(obs) if view == "experience" else conversations(obs, sl)


def report(view: str, obs: Sequence[Observation], start: date, end: date, queue: str | None = None,
           sl: int = 30, names: dict[str, str] | None = None) -> dict[str, Any]:
    """What the read of `view` over start..end (of one queue, when given) must say: the range's figures, and the
    rows of its per-day, per-queue and per-agent tables, each a {key: value} dict."""
    names = names or {}
    chosen = [o for o in obs if start <= o.day <= end and (queue is None or o.queue == queue)]
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return {
        "figures": figures(view, chosen, sl),
        "per_day": {d.isoformat(): figures(view, [o for o in chosen if o.day == d], sl) for d in days},
        "per_queue": {q: figures(view, [o for o in chosen if o.queue == q], sl)
                      for q in sorted({o.queue for o in chosen if o.queue})},
        "per_agent": {names.get(a, a): figures(view, [o for o in chosen if o.agent == a], sl)
                      for a in sorted({o.agent for o in chosen if o.agent})},
    }


def as_read(answer: dict[str, Any]) -> dict[str, Any]:
    """A read's JSON (docs/reports.md, "The report API") in the same shape as `report`."""
    out: dict[str, Any] = {"figures": {f["key"]: f["value"] for f in answer["figures"]}}
    for found in answer["tables"]:
        keys = [c["key"] for c in found["columns"]]
        out[found["key"]] = {row[0]: dict(zip(keys[1:], row[1:], strict=True)) for row in found["rows"]}
    return out


def bucket(seconds: float) -> tuple[float, float]:
    """[lower, upper) of the bucket a duration falls in; the last one's upper bound is infinite."""
    index = max(i for i, edge in enumerate(EDGES) if edge <= seconds)
    return float(EDGES[index]), float(EDGES[index + 1]) if index + 1 < len(EDGES) else float("inf")
