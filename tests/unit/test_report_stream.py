"""The report consumer's pure parts (issue 15): a stream record read as a change (the adapter's boundary), a change
turned into a fact (the first transition: a conversation closed), buckets, and a batch's partial failure.

tests/fixtures/aws-events/dynamodb-stream-event.json is a DynamoDB stream event as Lambda delivers it (public test
data of aws-powertools/powertools-lambda-python, tests/events/dynamoStreamEvent.json): its envelope is the one the
handler reads; its items (keyed `Id`) are none of Guichet's, so they are ignored. Guichet's own records are that
envelope with images written by the table's item model.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.dynamodb.items import ConversationItem, MessageItem
from chalicelib.adapters.dynamodb.stream_records import change_of
from chalicelib.domain.model import Conversation, ConversationStatus, WrapUp
from chalicelib.domain.report_facts import (
    ConversationChange,
    Fact,
    Measure,
    MetricCounts,
    closed_fact,
    local_day,
)
from chalicelib.domain.reports.distributions import BUCKETS, bucket_of
from chalicelib.services import report_stream
from tests.unit.fakes import make_deps
from tests.unit.fakes_reports import FakeReports

SAMPLE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "aws-events" /
                     "dynamodb-stream-event.json").read_text())
PARIS, AUCKLAND = ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Auckland")
CREATED = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def conversation(status: ConversationStatus, *, closed_at: datetime | None = None, medium: str = "chat",
                 agent: str | None = "ann") -> Conversation:
    return Conversation(tenant="acme", id="c1", visitor_id="v1", created_at=CREATED, status=status, queue="sales",
                        agent_id=agent, medium=medium, wrap_up=WrapUp(closed_at) if closed_at else None)


ASSIGNED = conversation(ConversationStatus.ASSIGNED)
CLOSED = conversation(ConversationStatus.CLOSED, closed_at=CREATED + timedelta(minutes=45))


# --- the first transition: a conversation closed -----------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "closes"), [
    (ASSIGNED, CLOSED, True),
    (None, CLOSED, True),  # its creation missed (a record older than the consumer): the close still counts
    (CLOSED, replace(CLOSED, rating=5), False),  # the visitor rates it: no second close
    (conversation(ConversationStatus.WAITING), ASSIGNED, False),
    (ASSIGNED, conversation(ConversationStatus.SNOOZED), False),
    (conversation(ConversationStatus.WAITING), conversation(ConversationStatus.DISSUADED,
                                                            closed_at=CREATED + timedelta(minutes=5)), False),
    (CLOSED, None, False),  # deleted
], ids=["assigned-closed", "first-seen-closed", "rated-after", "accepted", "snoozed", "dissuaded", "deleted"])
def test_only_the_write_that_closes_a_conversation_makes_a_fact(old: Conversation | None, new: Conversation | None,
                                                                 closes: bool) -> None:
    fact = closed_fact(ConversationChange(old, new), PARIS)
    assert (fact is not None) == closes


def test_the_closed_fact_carries_its_dimensions_its_count_and_its_resolution_seconds() -> None:
    fact = closed_fact(ConversationChange(ASSIGNED, CLOSED), PARIS)
    assert fact == Fact(tenant="acme", kind="closed", subject_id="c1", cycle=1, day=date(2026, 12, 6),
                        at=CREATED + timedelta(minutes=45), queue="sales", agent_id="ann", channel="chat",
                        measures=(Measure("closed"), Measure("resolution", 2700.0, 2700.0)))
    assert fact.dimensions() == (("tenant", "acme"), ("queue", "sales"), ("agent", "ann"), ("channel", "chat"))


@pytest.mark.parametrize(("medium", "channel"), [("chat", "chat"), ("inbound_call", "call"), ("outbound_call", "call"),
                                                 ("email", "email")])
def test_the_channel_is_the_mediums(medium: str, channel: str) -> None:
    fact = closed_fact(ConversationChange(None, replace(CLOSED, medium=medium)), PARIS)
    assert fact is not None and fact.channel == channel


def test_a_fact_without_an_agent_is_not_counted_under_an_agent() -> None:
    fact = closed_fact(ConversationChange(None, replace(CLOSED, agent_id=None)), PARIS)
    assert fact is not None and [d for d, _ in fact.dimensions()] == ["tenant", "queue", "channel"]


@pytest.mark.parametrize(("closed_at", "zone", "day"), [
    (datetime(2026, 12, 6, 22, 59, tzinfo=UTC), PARIS, date(2026, 12, 6)),  # 23:59 in Paris
    (datetime(2026, 12, 6, 23, 0, tzinfo=UTC), PARIS, date(2026, 12, 7)),  # midnight in Paris
    (datetime(2026, 12, 6, 10, 59, tzinfo=UTC), AUCKLAND, date(2026, 12, 6)),  # 23:59 NZDT (UTC+13)
    (datetime(2026, 12, 6, 11, 0, tzinfo=UTC), AUCKLAND, date(2026, 12, 7)),
    (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), PARIS, date(2026, 3, 29)),  # the spring-forward day ends at 22:00Z
    (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), PARIS, date(2026, 3, 30)),
], ids=["paris-2359", "paris-midnight", "auckland-2359", "auckland-midnight", "paris-dst-last", "paris-dst-next"])
def test_the_day_is_the_close_date_on_the_tenants_clock(closed_at: datetime, zone: ZoneInfo, day: date) -> None:
    assert local_day(closed_at, zone) == day
    fact = closed_fact(ConversationChange(None, replace(CLOSED, created_at=closed_at - timedelta(minutes=1),
                                                        wrap_up=WrapUp(closed_at))), zone)
    assert fact is not None and fact.day == day


@pytest.mark.parametrize(("seconds", "bucket"), [
    (0, 0), (0.4, 0), (5, 1), (5.001, 1), (45, 5), (60, 6), (61, 6), (3600, 13), (172799, 17), (172800, 18),
])
def test_a_fact_counts_in_the_definitions_buckets(seconds: float, bucket: int) -> None:
    """The aggregates count in the metric definitions' buckets (an edge belongs to the bucket it starts), so that
    merged aggregates and the facts' exact figures speak of the same distribution."""
    assert bucket_of(seconds) == bucket
    assert BUCKETS == 19


# --- the boundary: a stream record read as a change --------------------------------------------------------------


def record(sequence: str, old: Any | None, new: Any | None, keys: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sample's envelope around Guichet's images (typed JSON, as the item models write them)."""
    out: dict[str, Any] = copy.deepcopy(SAMPLE["Records"][1])
    stream = out["dynamodb"]
    stream["SequenceNumber"] = sequence
    stream["Keys"] = keys or {"pk": {"S": "T#acme#CONV#c1"}, "sk": {"S": "STATE"}}
    for name, image in (("OldImage", old), ("NewImage", new)):
        stream.pop(name, None)
        if image is not None:
            stream[name] = image.serialize()
    return out


def state(status: ConversationStatus, closed_at: datetime | None = None) -> ConversationItem:
    return ConversationItem("T#acme#CONV#c1", "STATE", status=status.value, queue="sales", visitor_id="v1",
                            agent_id="ann", created_at=CREATED, closed_at=closed_at, medium="chat")


def test_a_conversation_record_reads_as_the_conversation_before_and_after() -> None:
    change = change_of(record("300", state(ConversationStatus.ASSIGNED),
                              state(ConversationStatus.CLOSED, CREATED + timedelta(minutes=45))))
    assert change is not None and change.old is not None and change.new is not None
    assert (change.old.tenant, change.old.id, change.old.status) == ("acme", "c1", ConversationStatus.ASSIGNED)
    assert change.new.status is ConversationStatus.CLOSED
    assert change.new.wrap_up is not None and change.new.wrap_up.closed_at == CREATED + timedelta(minutes=45)
    assert closed_fact(change, PARIS) == closed_fact(ConversationChange(ASSIGNED, CLOSED), PARIS)


def test_records_of_other_items_are_ignored() -> None:
    message = MessageItem("T#acme#CONV#c1", "MSG#0000000001", client_message_id="m1", sender_kind="visitor",
                          sender_id="v1", text="hi", sent_at_ms=1)
    assert [change_of(r) for r in SAMPLE["Records"]] == [None, None]  # not Guichet's items
    assert change_of(record("301", None, message, {"pk": {"S": "T#acme#CONV#c1"}, "sk": {"S": "MSG#0000000001"}})) \
        is None
    fact_keys = {"pk": {"S": "T#acme#FACT#2026-12-06"}, "sk": {"S": "closed#c1#1"}}
    assert change_of(record("302", None, None, fact_keys)) is None


# --- a batch -----------------------------------------------------------------------------------------------------


def closing(sequence: str, conversation_id: str) -> tuple[str, dict[str, Any]]:
    def item(status: ConversationStatus, closed_at: datetime | None = None) -> ConversationItem:
        made = state(status, closed_at)
        made.pk = f"T#acme#CONV#{conversation_id}"
        return made

    raw = record(sequence, item(ConversationStatus.ASSIGNED),
                 item(ConversationStatus.CLOSED, CREATED + timedelta(minutes=2)))
    raw["dynamodb"]["Keys"]["pk"] = {"S": f"T#acme#CONV#{conversation_id}"}
    return sequence, raw


def test_a_batch_counts_each_close_once_even_when_delivered_again() -> None:
    deps = replace(make_deps("acme"), reports=FakeReports())
    batch = [closing("1", "c1"), (SAMPLE["Records"][0]["dynamodb"]["SequenceNumber"], SAMPLE["Records"][0]),
             closing("2", "c2")]

    first = report_stream.consume(deps, batch, change_of)
    again = report_stream.consume(deps, batch, change_of)

    assert (first.recorded, first.repeated, first.ignored, first.response()) == (2, 0, 1, {"batchItemFailures": []})
    assert (again.recorded, again.repeated, again.ignored) == (0, 2, 1)
    assert deps.reports is not None
    day = deps.reports.day_aggregates("acme", date(2026, 12, 6))  # 22:02 UTC is 23:02 in Paris (the default clock)
    buckets = [0] * BUCKETS
    buckets[bucket_of(120)] = 2
    assert day[("queue", "sales")] == {"closed": MetricCounts(2), "resolution": MetricCounts(2, 240.0, 240.0,
                                                                                          tuple(buckets))}


class BrokenOnce(FakeReports):
    def __init__(self, subject: str) -> None:
        super().__init__()
        self.subject = subject

    def record(self, fact: Fact) -> bool:
        if fact.subject_id == self.subject:
            self.subject = ""
            raise ConnectionError("injected")
        return super().record(fact)


def test_a_failing_record_stops_the_batch_and_is_the_one_reported() -> None:
    store = BrokenOnce("c2")
    deps = replace(make_deps("acme"), reports=store)
    batch = [closing("1", "c1"), closing("2", "c2"), closing("3", "c3")]

    failed = report_stream.consume(deps, batch, change_of)
    retried = report_stream.consume(deps, batch[1:], change_of)  # Lambda resumes from the failed record

    assert failed.response() == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert failed.recorded == 1  # c3 waits for the retry: one item's changes stay in order
    assert (retried.recorded, retried.failed) == (2, None)
    assert sorted(f.subject_id for f in store.facts("acme", date(2026, 12, 6))) == ["c1", "c2", "c3"]


def test_an_unreadable_image_is_a_failed_record_not_a_crash() -> None:
    deps = replace(make_deps("acme"), reports=FakeReports())
    sequence, raw = closing("9", "c9")
    raw["dynamodb"]["NewImage"]["created_at"] = {"S": "not a time"}
    assert report_stream.consume(deps, [(sequence, raw)], change_of).failed == "9"


def test_the_tenants_zone_is_its_settings_and_utc_when_it_is_gone() -> None:
    deps = make_deps("acme")
    assert report_stream.tenant_zone(deps, "acme") == PARIS  # the default slots' time zone
    assert report_stream.tenant_zone(deps, "gone") == ZoneInfo("UTC")


# --- sales (ASYNC-12) --------------------------------------------------------------------------------------------


def sale_item(agent: str | None) -> Any:
    from chalicelib.adapters.dynamodb.items import SaleItem

    return SaleItem("T#acme#SALE#o-1", "SALE", visitor_id="v1", amount="129.90", currency="EUR",
                    at=datetime(2026, 12, 6, 23, 30, tzinfo=UTC), agent_id=agent)


@pytest.mark.parametrize(("agent", "metrics"), [("ann", ["sales", "sales_credited"]), (None, ["sales"])])
def test_a_sale_written_is_a_fact_on_its_day_under_the_agent_credited(agent: str | None, metrics: list[str]) -> None:
    from chalicelib.domain.report_facts import SaleRecorded

    raw = record("400", None, sale_item(agent), keys={"pk": {"S": "T#acme#SALE#o-1"}, "sk": {"S": "SALE"}})
    assert raw["dynamodb"]["NewImage"]["t"] == {"S": "sale"}  # what the stream filter selects
    change = change_of(raw)
    assert change == SaleRecorded("acme", "o-1", datetime(2026, 12, 6, 23, 30, tzinfo=UTC), agent or "")
    [fact] = report_stream.facts_of(replace(make_deps("acme"), reports=FakeReports()), change)
    assert (fact.kind, fact.subject_id, fact.day, fact.agent_id) == ("sale", "o-1", date(2026, 12, 7), agent or "")
    assert [m.metric for m in fact.measures] == metrics
    assert fact.dimensions() == (("tenant", "acme"), *((("agent", agent),) if agent else ()))


def test_a_sale_item_changed_or_deleted_brings_nothing() -> None:
    keys = {"pk": {"S": "T#acme#SALE#o-1"}, "sk": {"S": "SALE"}}
    assert change_of(record("401", sale_item("ann"), sale_item("bob"), keys=keys)) is None
    assert change_of(record("402", sale_item("ann"), None, keys=keys)) is None
