"""Report facts and their day aggregates (the `ReportStore` port, issue 15) in the one table.

Items (docs/data-model.md):
- a fact: ``T#<t>#FACT#<day>`` / ``<kind>#<subject>#<cycle>``: its stop time ``at``, ``queue``, ``agent``,
  ``channel`` and ``m``, a map metric -> {``s``: calendar seconds, ``bh``: opening-hours seconds}. Never changed.
- an aggregate: ``T#<t>#AGG#<dimension>#<id>`` / ``<day>`` (dimension: tenant, queue, agent, channel): per metric
  ``<metric>:n``, ``<metric>:sum``, ``<metric>:sum_bh`` and ``<metric>:b00`` .. ``<metric>:b18`` (the buckets of
  domain/report_facts.py). One item per dimension id and day holds every metric's counters; a dimension id's days
  are one partition, sorted.

Writing a fact is ONE TransactWriteItems: the fact's Put on the condition ``attribute_not_exists(pk)``, and an
UpdateItem ``ADD`` on each of its aggregates. A stream record delivered again cancels on the fact's condition, and
then nothing at all is added: exactly-once counting without a marker table. The counters' attribute names are data
(one per metric and bucket), which PynamoDB's declared models do not fit: this module speaks the low-level API,
with the client and table every model shares (as adapters/rate_limits.py does).

Reads: a day's facts are one Query (a page per MB). A range's aggregates of one dimension id (the tenant, a queue,
an agent) are one Query on its partition between two days: a 90-day and a 365-day range cost the same request (a
year of a busy dimension is a few hundred KB, one page), whatever the tenant's history, and a table per agent costs a
request per agent, whatever the range. No monthly roll-up items, which would double every fact's write cost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.adapters.aws import error_code
from chalicelib.adapters.dynamodb.table import _Meta, connection
from chalicelib.domain.report_facts import Counters, Fact, Measure, MetricCounts, counts_of, merged
from chalicelib.domain.reports.distributions import BUCKETS
from chalicelib.ports.reports import AggregateKey

log = logging.getLogger("guichet.reports")

CONFLICT_RETRIES = 4  # aggregates are hot items: concurrent transactions on them cancel with TransactionConflict
_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


def fact_pk(tenant: str, day: date) -> str:
    return f"T#{tenant}#FACT#{day.isoformat()}"


def fact_sk(fact: Fact) -> str:
    return f"{fact.kind}#{fact.subject_id}#{fact.cycle}"


def aggregate_pk(tenant: str, dimension: str, dimension_id: str) -> str:
    return f"T#{tenant}#AGG#{dimension}#{dimension_id}"


class DynamoReports:
    """Facts and day aggregates (issue 15): one transaction per stream record's facts, exactly once."""

    def record(self, fact: Fact) -> bool:
        return self.record_all([fact])

    def record_all(self, facts: Sequence[Fact]) -> bool:
        """The facts of one item's change, in one transaction: their Puts, and one ADD per aggregate they share (a
        close's `closed` and `contact` facts add to the same four items once). A redelivered change finds its first
        fact stored: all or nothing, since a change's facts are derived from it alone."""
        if not facts:
            return True
        request = _transaction(facts)
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                connection().client.transact_write_items(TransactItems=request)
                return True
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                codes = [str(r.get("Code", "")) for r in exc.response.get("CancellationReasons", [])]
                if codes and codes[0] == "ConditionalCheckFailed":
                    return False  # the fact is stored already: a redelivered record
                if "TransactionConflict" not in codes or attempt == CONFLICT_RETRIES:
                    raise
                time.sleep(0.02 * 2 ** attempt)  # another fact of the day is being added to the same aggregates
        raise AssertionError("unreachable")

    def facts(self, tenant: str, day: date) -> list[Fact]:
        return [_fact_from(tenant, day, item) for item in _query(fact_pk(tenant, day))]

    def day_aggregates(self, tenant: str, day: date) -> dict[tuple[str, str], Counters]:
        """Every aggregate of one day: its facts name them (every aggregate of a day comes from a fact of that day),
        then one Query each."""
        keys = {pair for fact in self.facts(tenant, day) for pair in fact.dimensions()}
        found = self.aggregates(tenant, [day], sorted(keys))
        return {(dimension, dimension_id): counters for (_, dimension, dimension_id), counters in found.items()}

    def aggregates(self, tenant: str, days: Sequence[date],
                   keys: Sequence[tuple[str, str]]) -> dict[AggregateKey, Counters]:
        wanted = set(days)
        if not wanted:
            return {}
        first, last = min(wanted).isoformat(), max(wanted).isoformat()
        found: dict[AggregateKey, Counters] = {}
        for dimension, dimension_id in dict.fromkeys(keys):
            for item in _query(aggregate_pk(tenant, dimension, dimension_id), between=(first, last)):
                day = date.fromisoformat(str(item["sk"]))
                if day in wanted:
                    found[(day, dimension, dimension_id)] = _counters_from(item)
        return found


# --- writing ----------------------------------------------------------------------------------------------------


def _transaction(facts: Sequence[Fact]) -> list[dict[str, Any]]:
    table = _Meta.table_name
    actions: list[dict[str, Any]] = []
    added: dict[tuple[str, str, str, date], dict[str, MetricCounts]] = {}
    for fact in facts:
        measures = {m.metric: {k: v for k, v in (("s", _number(m.seconds)), ("bh", _number(m.business_seconds)))
                               if v is not None} for m in fact.measures}
        item = {"pk": fact_pk(fact.tenant, fact.day), "sk": fact_sk(fact), "at": fact.at.isoformat(),
                "queue": fact.queue, "agent": fact.agent_id, "channel": fact.channel, "m": measures}
        actions.append({"Put": {"TableName": table, "Item": {k: _serialize(v) for k, v in item.items()},
                                "ConditionExpression": "attribute_not_exists(pk)"}})
        counters = merged(*({m.metric: counts_of(m)} for m in fact.measures))
        for dimension, dimension_id in fact.dimensions():
            key = (fact.tenant, dimension, dimension_id, fact.day)
            added[key] = merged(added.get(key, {}), counters)
    for (tenant, dimension, dimension_id, day), counters in added.items():
        names, values, adds = _additions(counters)
        actions.append({"Update": {
            "TableName": table, "Key": {"pk": {"S": aggregate_pk(tenant, dimension, dimension_id)},
                                        "sk": {"S": day.isoformat()}},
            "UpdateExpression": "ADD " + ", ".join(adds),
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}})
    return actions


def _additions(counters: Counters) -> tuple[dict[str, str], dict[str, Any], list[str]]:
    """The ADD clauses of an aggregate: per metric its count, and its sums and buckets when it has durations."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds: list[str] = []
    for index, (metric, counts) in enumerate(sorted(counters.items())):
        parts: list[tuple[str, Decimal | int]] = [("n", counts.n)]
        if any(counts.buckets):
            parts += [("sum", _number(counts.total) or 0), ("sum_bh", _number(counts.total_bh) or 0)]
            parts += [(f"b{i:02d}", c) for i, c in enumerate(counts.buckets) if c]
        for part, value in parts:
            key = f"{index}_{part}"
            names[f"#a{key}"] = f"{metric}:{part}"
            values[f":v{key}"] = _serialize(value)
            adds.append(f"#a{key} :v{key}")
    return names, values, adds


def _number(seconds: float | None) -> Decimal | None:
    """Seconds to the millisecond, as DynamoDB numbers must be (no binary float)."""
    return None if seconds is None else Decimal(str(round(seconds, 3)))


# --- reading ----------------------------------------------------------------------------------------------------


def _query(pk: str, between: tuple[str, str] | None = None) -> Iterator[dict[str, Any]]:
    client = connection().client
    kwargs: dict[str, Any] = {"TableName": _Meta.table_name, "KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": pk}}}
    if between is not None:
        kwargs["KeyConditionExpression"] += " AND sk BETWEEN :first AND :last"
        kwargs["ExpressionAttributeValues"].update({":first": {"S": between[0]}, ":last": {"S": between[1]}})
    while True:
        page = client.query(**kwargs)
        for raw in page.get("Items", []):
            yield {name: _deserialize(value) for name, value in raw.items()}
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _fact_from(tenant: str, day: date, item: dict[str, Any]) -> Fact:
    kind, subject_id, cycle = str(item["sk"]).rsplit("#", 2)
    measures = tuple(Measure(metric, _float(values.get("s")), _float(values.get("bh")))
                     for metric, values in sorted(dict(item.get("m") or {}).items()))
    return Fact(tenant=tenant, kind=kind, subject_id=subject_id, cycle=int(cycle), day=day,
                at=datetime.fromisoformat(str(item["at"])), queue=str(item.get("queue", "")),
                agent_id=str(item.get("agent", "")), channel=str(item.get("channel", "")), measures=measures)


def _counters_from(item: dict[str, Any]) -> Counters:
    raw: dict[str, dict[str, Any]] = {}
    for name, value in item.items():
        metric, colon, part = name.rpartition(":")
        if colon:
            raw.setdefault(metric, {})[part] = value
    counters: dict[str, MetricCounts] = {}
    for metric, parts in raw.items():
        buckets = tuple(int(parts.get(f"b{i:02d}", 0)) for i in range(BUCKETS))
        counters[metric] = MetricCounts(int(parts.get("n", 0)), float(parts.get("sum", 0)),
                                        float(parts.get("sum_bh", 0)), buckets)
    return counters


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
