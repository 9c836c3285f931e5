"""An in-memory twin of the ReportStore port: a fact is stored once, and only a new fact adds to its aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from chalicelib.domain.report_facts import Counters, Fact, MetricCounts, counts_of, merged
from chalicelib.ports import AggregateKey


class FakeReports:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, date, str], Fact] = {}
        self.counters: dict[tuple[str, date, str, str], dict[str, MetricCounts]] = {}

    def record(self, fact: Fact) -> bool:
        key = (fact.tenant, fact.day, f"{fact.kind}#{fact.subject_id}#{fact.cycle}")
        if key in self.stored:
            return False
        self.stored[key] = fact
        added = {m.metric: counts_of(m) for m in fact.measures}
        for dimension, dimension_id in fact.dimensions():
            at = (fact.tenant, fact.day, dimension, dimension_id)
            self.counters[at] = merged(self.counters.get(at, {}), added)
        return True

    def record_all(self, facts: Sequence[Fact]) -> bool:
        if any((f.tenant, f.day, f"{f.kind}#{f.subject_id}#{f.cycle}") in self.stored for f in facts):
            return False
        for fact in facts:
            self.record(fact)
        return True

    def facts(self, tenant: str, day: date) -> list[Fact]:
        return [f for (t, d, _), f in sorted(self.stored.items()) if (t, d) == (tenant, day)]

    def day_aggregates(self, tenant: str, day: date) -> dict[tuple[str, str], Counters]:
        return {(dim, i): c for (t, d, dim, i), c in self.counters.items() if (t, d) == (tenant, day)}

    def aggregates(self, tenant: str, days: Sequence[date],
                   keys: Sequence[tuple[str, str]]) -> dict[AggregateKey, Counters]:
        return {(d, dim, i): c for (t, d, dim, i), c in self.counters.items()
                if t == tenant and d in days and (dim, i) in keys}
