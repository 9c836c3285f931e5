"""The port of report facts and their day aggregates (issue 15). The package's __init__ re-exports every name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the report modules load with the stream consumer, not at every cold start
    from chalicelib.domain.report_facts import Counters, Fact

#: (day, dimension, id) -> that day's counters of that dimension's id, e.g. (2026-12-06, "queue", "billing").
AggregateKey = tuple[date, str, str]


class ReportStore(Protocol):
    def record(self, fact: Fact) -> bool:
        """Store the fact and add it to its day's aggregates, all or nothing. False when the fact was stored
        already (a stream record delivered again): nothing changes and nothing is counted twice."""
        ...

    def record_all(self, facts: Sequence[Fact]) -> bool:
        """The facts of one item's change and their aggregates, all or nothing, in one write; False when they were
        stored already (the change delivered again)."""
        ...

    def facts(self, tenant: str, day: date) -> list[Fact]:
        """Every fact of one day on the tenant's clock (one Query, a page per MB)."""
        ...

    def day_aggregates(self, tenant: str, day: date) -> dict[tuple[str, str], Counters]:
        """Every aggregate of one day, by (dimension, id) (the day's facts name them; then a Query each)."""
        ...

    def aggregates(self, tenant: str, days: Sequence[date],
                   keys: Sequence[tuple[str, str]]) -> dict[AggregateKey, Counters]:
        """The aggregates of the given days and (dimension, id) pairs that exist: one Query per pair, between the
        first and the last day, whatever the range's length."""
        ...
