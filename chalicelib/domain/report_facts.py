"""Report facts and the day's counters they add to (issue 15, research M2): the pure part of the stream consumer.

A *fact* is one finished thing (a conversation closed, later a contact, a cycle, a callback, a survey): immutable,
keyed by what it is about (`kind`, `subject_id`, `cycle`), so that a stream record delivered twice yields the same
fact and the store can refuse the second (its "attribute does not exist" condition). Its day is the stop event's
date on the tenant's clock.

Each fact adds to one *aggregate* per dimension (`tenant`, `queue`, `agent`, `channel`) and day: per metric a count
`n`, the sum of its durations in calendar seconds (`sum`) and in opening-hours seconds (`sum_bh`), and fixed
log-spaced bucket counts (`domain/reports/distributions.py`: one set of edges for the facts, the aggregates and
the reads), from which long ranges merge approximate medians.

Transitions are derived from the old and new images of ONE item (the only order DynamoDB Streams guarantees), so
the item itself carries every timestamp a fact needs: the consumer never joins items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.model import Conversation, ConversationStatus
from chalicelib.domain.reports.distributions import BUCKETS, bucket_of
from chalicelib.domain.reports.periods import report_day
from chalicelib.domain.routing.media import Medium

#: The dimensions every fact is counted under, in this order.
DIMENSIONS: tuple[str, ...] = ("tenant", "queue", "agent", "channel")

CLOSED = "closed"  # the kind of fact of a closed conversation, and its metric (a count)
RESOLUTION = "resolution"  # first visitor message to close (docs/reports.md, "Resolution time")
CSAT_SENT = "csat_sent"  # an end screen offering the rating went out with the close
NPS_ASKED = "nps_asked"  # ... and it asked the NPS question too


@dataclass(frozen=True)
class Measure:
    """One metric's value in a fact: it counts once, with its duration when the metric has one."""

    metric: str
    seconds: float | None = None
    business_seconds: float | None = None


@dataclass(frozen=True)
class Fact:
    tenant: str
    kind: str
    subject_id: str  # the conversation (callback, survey...) the fact is about
    cycle: int  # 1, then one more per reopen: each cycle is a fact of its own
    day: date  # the stop event's date on the tenant's clock
    at: datetime  # the stop event, UTC
    queue: str
    agent_id: str
    channel: str
    measures: tuple[Measure, ...]

    def dimensions(self) -> tuple[tuple[str, str], ...]:
        """(dimension, id) pairs the fact is counted under; an empty id (no agent) is not counted."""
        ids = {"tenant": self.tenant, "queue": self.queue, "agent": self.agent_id, "channel": self.channel}
        return tuple((dim, ids[dim]) for dim in DIMENSIONS if ids[dim])


@dataclass(frozen=True)
class MetricCounts:
    """A metric's counters in one aggregate (a day and a dimension), or merged over several."""

    n: int = 0
    total: float = 0.0  # `sum`: calendar seconds
    total_bh: float = 0.0  # `sum_bh`: opening-hours seconds
    buckets: tuple[int, ...] = field(default_factory=lambda: (0,) * BUCKETS)

    def plus(self, other: MetricCounts) -> MetricCounts:
        return MetricCounts(self.n + other.n, self.total + other.total, self.total_bh + other.total_bh,
                            tuple(a + b for a, b in zip(self.buckets, other.buckets, strict=True)))


Counters = Mapping[str, MetricCounts]  # metric -> its counts


def counts_of(measure: Measure) -> MetricCounts:
    """What one measure adds to its metric's counters."""
    buckets = [0] * BUCKETS
    if measure.seconds is not None:
        buckets[bucket_of(measure.seconds)] = 1
    return MetricCounts(1, measure.seconds or 0.0, measure.business_seconds or 0.0, tuple(buckets))


def merged(*many: Counters) -> dict[str, MetricCounts]:
    """Counters of several days or dimensions added up, metric by metric."""
    out: dict[str, MetricCounts] = {}
    for counters in many:
        for metric, counts in counters.items():
            out[metric] = out.get(metric, MetricCounts()).plus(counts)
    return out


# --- transitions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationChange:
    """A conversation's state item before and after one write (None: absent before, or deleted)."""

    old: Conversation | None
    new: Conversation | None


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The date of `moment` on the tenant's clock (the report day of a stop event: domain/reports/periods.py)."""
    return report_day(moment, zone)


def closed_fact(change: ConversationChange, zone: ZoneInfo) -> Fact | None:
    """The fact of a conversation that became closed in this write; None for any other write.

    It counts the close (`closed`), its resolution (`resolution`: the first visitor message, which is the
    conversation's creation, to the close; a call has none), and the end-screen surveys it sent (`csat_sent`,
    `nps_asked`). No opening hours exist yet, so every second is an opening-hours second until they do (M1)."""
    old, new = change.old, change.new
    if new is None or new.status is not ConversationStatus.CLOSED or new.wrap_up is None:
        return None
    if old is not None and old.status is ConversationStatus.CLOSED:
        return None  # a later write to a closed conversation (its rating, say) closes nothing
    closed_at = new.wrap_up.closed_at.astimezone(UTC)
    measures = [Measure(CLOSED)]
    if channel_of(new.medium) != "call":
        seconds = max(0.0, (closed_at - new.created_at.astimezone(UTC)).total_seconds())
        measures.append(Measure(RESOLUTION, seconds, seconds))
    if new.survey is not None:
        measures.append(Measure(CSAT_SENT))
        if new.survey.nps:
            measures.append(Measure(NPS_ASKED))
    return Fact(tenant=new.tenant, kind=CLOSED, subject_id=new.id, cycle=1, day=local_day(closed_at, zone),
                at=closed_at, queue=new.queue, agent_id=new.agent_id or "", channel=channel_of(new.medium),
                measures=tuple(measures))


def channel_of(medium: str) -> str:
    """The channel a conversation's medium is reported under: chat, call or email."""
    try:
        return Medium(medium).channel.value
    except ValueError:
        return medium or "chat"



# --- sales (ASYNC-12) --------------------------------------------------------------------------------------------

SALES, SALES_CREDITED = "sales", "sales_credited"


@dataclass(frozen=True)
class SaleRecorded:
    """A sale the brand reported, as its item was written: when, and the agent it was credited to ("" for none)."""

    tenant: str
    order_id: str
    at: datetime
    agent_id: str


def sale_fact(sale: SaleRecorded, zone: ZoneInfo) -> Fact:
    """A reported sale counts on its day; a credited one also as `sales_credited`, under the agent credited."""
    at = sale.at.astimezone(UTC)
    measures = (Measure(SALES), Measure(SALES_CREDITED)) if sale.agent_id else (Measure(SALES),)
    return Fact(tenant=sale.tenant, kind="sale", subject_id=sale.order_id, cycle=1, day=local_day(at, zone), at=at,
                queue="", agent_id=sale.agent_id, channel="", measures=measures)
