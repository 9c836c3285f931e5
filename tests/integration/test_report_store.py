"""The report store's adapter (`DynamoReports`, issue 15) on moto's server: a fact and its aggregates are one
transaction, counted once; a year's aggregates cost at most a quarter's read plus 3 requests; a TransactionConflict
on the hot aggregates is retried, and a cancellation is read from its reasons, not its message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib.adapters.dynamodb.facts import DynamoReports
from chalicelib.adapters.dynamodb.table import connection
from chalicelib.domain.report_facts import Fact, Measure, MetricCounts
from chalicelib.domain.reports.distributions import BUCKETS, bucket_of
from tests.integration.conftest import Stack

FIRST = date(2026, 1, 1)


def fact(tenant: str, subject: str, day: date, seconds: float, *, queue: str = "sales", agent: str = "ann") -> Fact:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return Fact(tenant=tenant, kind="closed", subject_id=subject, cycle=1, day=day, at=at, queue=queue,
                agent_id=agent, channel="chat", measures=(Measure("closed", seconds, seconds / 2),))


def one(seconds: float, bh: float) -> MetricCounts:
    buckets = [0] * BUCKETS
    buckets[bucket_of(seconds)] = 1
    return MetricCounts(1, seconds, bh, tuple(buckets))


@contextmanager
def counted(operation: str) -> Iterator[list[str]]:
    """The `operation` requests made on the shared client while the block runs."""
    made: list[str] = []
    events = connection().client.meta.events

    def count(**_: Any) -> None:
        made.append(operation)

    events.register(f"before-call.dynamodb.{operation}", count)
    try:
        yield made
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", count)


def test_a_fact_is_stored_once_with_its_measures_and_counted_once(stack: Stack, tenant: str) -> None:
    store = DynamoReports()
    first = fact(tenant, "c1", FIRST, 75.5)

    assert store.record(first) is True
    assert store.record(first) is False  # a redelivered record: refused by the fact's condition
    assert store.record(fact(tenant, "c1", FIRST, 999)) is False  # same key: the first one stands

    assert store.facts(tenant, FIRST) == [first]
    assert store.day_aggregates(tenant, FIRST) == {
        (dim, dim_id): {"closed": one(75.5, 37.75)}
        for dim, dim_id in (("tenant", tenant), ("queue", "sales"), ("agent", "ann"), ("channel", "chat"))}


def test_a_changes_facts_are_one_transaction_sharing_their_aggregates(stack: Stack, tenant: str) -> None:
    """A close's two facts (the conversation closed, the contact ended): two Puts, and one ADD on each of the four
    aggregates they share; delivered again, nothing changes."""
    closed = fact(tenant, "c1", FIRST, 60)
    contact = replace(fact(tenant, "c1", FIRST, 0), kind="contact", cycle=7,
                      measures=(Measure("contacts", 30, 30), Measure("contact_close")))
    store = DynamoReports()
    sent: list[Any] = []

    def keep(**kwargs: Any) -> None:
        sent.append(kwargs["params"]["TransactItems"])

    events = connection().client.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", keep)
    try:
        assert store.record_all([closed, contact]) is True
        assert store.record_all([closed, contact]) is False
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", keep)

    assert [sorted(action) for action in sent[0]] == [["Put"], ["Put"]] + [["Update"]] * 4
    buckets = [0] * BUCKETS
    buckets[bucket_of(30)] = 1
    assert store.day_aggregates(tenant, FIRST)[("agent", "ann")] == {
        "closed": one(60, 30), "contacts": MetricCounts(1, 30, 30, tuple(buckets)), "contact_close": MetricCounts(1)}


def test_a_year_of_aggregates_costs_what_a_quarter_costs(stack: Stack, tenant: str) -> None:
    """One Query per dimension id between the range's first and last day: a year costs a quarter's requests."""
    store = DynamoReports()
    days = [FIRST + timedelta(days=n) for n in range(365)]
    for n, day in enumerate((days[0], days[89], days[200], days[364])):
        assert store.record(fact(tenant, f"c{n}", day, 60 * (n + 1), queue="billing" if n == 2 else "sales"))

    with counted("Query") as quarter_requests:
        quarter = store.aggregates(tenant, days[:90], [("queue", "sales")])
    with counted("Query") as year_requests:
        year = store.aggregates(tenant, days, [("queue", "sales"), ("queue", "billing")])

    assert quarter == {(days[0], "queue", "sales"): {"closed": one(60, 30)},
                       (days[89], "queue", "sales"): {"closed": one(120, 60)}}
    assert year == {**quarter, (days[200], "queue", "billing"): {"closed": one(180, 90)},
                    (days[364], "queue", "sales"): {"closed": one(240, 120)}}
    assert len(quarter_requests) == 1
    assert len(year_requests) == 2  # a Query per queue
    with counted("Query") as one_dimension_year:
        store.aggregates(tenant, days, [("queue", "sales")])
    assert len(one_dimension_year) == len(quarter_requests) == 1
    assert store.aggregates(tenant, days[1:89], [("queue", "sales")]) == {}  # the days between hold nothing


def cancelled(*codes: str) -> dict[str, Any]:
    return {"service_error_code": "TransactionCanceledException", "service_message": "cancelled",
            "modeled_fields": {"CancellationReasons": [{"Code": code} for code in codes]}}


def test_a_transaction_conflict_on_the_aggregates_is_retried(stack: Stack, tenant: str) -> None:
    store = DynamoReports()
    client = connection().client
    with Stubber(client) as stub:
        stub.add_client_error("transact_write_items", **cancelled("None", "TransactionConflict", "None", "None",
                                                                  "None"))
        stub.add_response("transact_write_items", {})
        assert store.record(fact(tenant, "c1", FIRST, 10)) is True
        stub.assert_no_pending_responses()
    with Stubber(client) as stub:
        stub.add_client_error("transact_write_items", **cancelled("ConditionalCheckFailed", "None", "None", "None",
                                                                  "None"))
        assert store.record(fact(tenant, "c1", FIRST, 10)) is False
    with Stubber(client) as stub:
        for _ in range(5):
            stub.add_client_error("transact_write_items", **cancelled("None", "TransactionConflict", "None", "None",
                                                                      "None"))
        with pytest.raises(ClientError):
            store.record(fact(tenant, "c1", FIRST, 10))  # still conflicting: the record fails, Lambda redelivers
        stub.assert_no_pending_responses()
