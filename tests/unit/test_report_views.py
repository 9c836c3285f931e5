"""The Customer experience and Conversations views (issue 15, services/report_views.py) on hand-built data: exact
figures from facts up to 7 days, bucket estimates flagged approximate beyond, null (never 0) without data, and every
table row in its columns' order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.report_facts import Counters, Fact, Measure, counts_of, merged
from chalicelib.domain.reports.report_data import ReportData
from chalicelib.services import report_views

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 12, 7)


def fact(kind: str, subject: str, agent: str, *measures: Measure, day: date = DAY, queue: str = "sales") -> Fact:
    return Fact(tenant="acme", kind=kind, subject_id=subject, cycle=1, day=day,
                at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC), queue=queue, agent_id=agent,
                channel="chat", measures=measures)


def data_of(facts: list[Fact], days: list[date], exact: bool = True) -> ReportData:
    by_day: dict[date, Counters] = {}
    by_dimension: dict[tuple[str, str], Counters] = {}
    for f in facts:
        counters = {m.metric: counts_of(m) for m in f.measures}
        by_day[f.day] = merged(by_day.get(f.day, {}), counters)
        for key in f.dimensions():
            by_dimension[key] = merged(by_dimension.get(key, {}), counters)
    return ReportData(zone=PARIS, start=days[0], end=days[-1], queue=None, days=days, by_day=by_day,
                      by_dimension=by_dimension, facts=facts if exact else None)


def figures(report: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: f["value"] for f in report["figures"]}


def rows(report: dict[str, Any], key: str) -> list[dict[str, Any]]:
    found = next(t for t in report["tables"] if t["key"] == key)
    columns = [c["key"] for c in found["columns"]]
    return [dict(zip(columns, row, strict=True)) for row in found["rows"]]


SURVEYS = [
    fact("closed", "c1", "ann", Measure("closed"), Measure("resolution", 600, 600), Measure("csat_sent"),
         Measure("nps_asked")),
    fact("closed", "c2", "ann", Measure("closed"), Measure("resolution", 60, 60), Measure("csat_sent")),
    fact("closed", "c3", "bob", Measure("closed"), Measure("resolution", 3600, 3600), Measure("csat_sent"),
         Measure("nps_asked")),
    fact("csat", "c1", "ann", Measure("csat_answers"), Measure("csat_5"), Measure("csat_satisfied")),
    fact("csat", "c3", "bob", Measure("csat_answers"), Measure("csat_1")),
    fact("nps", "c1", "ann", Measure("nps_answers"), Measure("nps_10"), Measure("nps_promoters")),
    fact("nps", "c3", "bob", Measure("nps_answers"), Measure("nps_3"), Measure("nps_detractors")),
    fact("first_response", "c1", "ann", Measure("first_responses", 30, 30)),
    fact("first_response", "c2", "ann", Measure("first_responses", 10, 10)),
    fact("first_response", "c3", "bob", Measure("first_responses", 125, 125)),
]


def test_customer_experience_counts_shares_and_exact_nearest_rank_durations() -> None:
    report = report_views.experience(data_of(SURVEYS, [DAY]), {"ann": "Ann", "bob": "Bob"})

    got = figures(report)
    assert (got["csat"], got["csat_answers"], got["csat_sent"], got["csat_response_rate"]) == (50, 2, 3, 66.67)
    assert (got["nps"], got["nps_answers"], got["nps_asked"], got["nps_response_rate"]) == (0, 2, 2, 100)
    # 10, 30, 125: the median is the 2nd value, the p90 the 3rd (nearest rank), the mean 55.
    assert (got["first_response_median"], got["first_response_p90"], got["first_response_mean"]) == (30, 125, 55)
    assert (got["resolution_median"], got["resolution_p90"], got["resolution_mean"]) == (600, 3600, 1420)
    assert report["exact"] is True and all(f["approximate"] is False for f in report["figures"])
    per_agent = {row["agent"]: row for row in rows(report, "per_agent")}
    assert (per_agent["Ann"]["csat"], per_agent["Ann"]["first_response_median"]) == (100, 10)
    assert (per_agent["Bob"]["csat"], per_agent["Bob"]["nps"]) == (0, -100)


def test_a_day_without_data_has_null_figures_and_zero_counts() -> None:
    quiet = DAY + timedelta(days=1)
    report = report_views.experience(data_of(SURVEYS, [DAY, quiet]), {})

    [_, empty] = rows(report, "per_day")
    assert empty["day"] == quiet.isoformat()
    assert (empty["csat"], empty["nps"], empty["first_response_median"], empty["resolution_mean"]) == (
        None, None, None, None)
    assert (empty["csat_answers"], empty["csat_sent"]) == (0, 0)


def test_beyond_seven_days_quantiles_come_from_the_buckets_and_say_so() -> None:
    days = [DAY - timedelta(days=n) for n in range(29, -1, -1)]
    report = report_views.experience(data_of(SURVEYS, days, exact=False), {})

    by_key = {f["key"]: f for f in report["figures"]}
    assert report["exact"] is False
    assert by_key["first_response_mean"] == {"key": "first_response_mean", "label": "First response, mean",
                                             "value": 55, "unit": "seconds", "approximate": False}
    assert by_key["first_response_median"]["approximate"] is True
    assert 30 <= by_key["first_response_median"]["value"] < 45  # the 30 s value's bucket [30 s, 45 s)
    assert by_key["csat"]["approximate"] is False  # shares stay exact


def test_conversations_count_contacts_waits_abandonment_and_the_service_level() -> None:
    facts = [
        fact("closed", "c1", "ann", Measure("closed")),
        fact("contact", "c1", "ann", Measure("contacts", 300, 300), Measure("contact_close")),
        fact("contact", "c2", "ann", Measure("contacts", 100, 100), Measure("contact_transfer")),
        fact("wait", "c1", "ann", Measure("waits", 20, 20), Measure("answered", 20, 20)),
        fact("wait", "c2", "ann", Measure("waits", 30, 30), Measure("answered", 30, 30)),
        fact("wait", "c3", "", Measure("waits", 90, 90), Measure("abandoned", 90, 90)),
        fact("wait", "c4", "bob", Measure("waits", 31, 31), Measure("answered", 31, 31), queue="billing"),
    ]
    report = report_views.conversations(data_of(facts, [DAY]), {"ann": "Ann", "bob": "Bob"}, 30)

    got = figures(report)
    assert (got["closed"], got["contacts"], got["handle_median"], got["handle_mean"]) == (1, 2, 100, 200)
    assert (got["waits"], got["answered"], got["abandoned"], got["abandonment_rate"]) == (4, 3, 1, 25)
    assert got["service_level"] == 50  # 20 and 30 s are within 30 s ("within X includes X"); 31 and 90 are not
    assert got["queue_answer_mean"] == 27
    per_queue = {row["queue"]: row for row in rows(report, "per_queue")}
    assert (per_queue["billing"]["waits"], per_queue["billing"]["service_level"]) == (1, 0)
    assert (per_queue["sales"]["waits"], per_queue["sales"]["service_level"]) == (3, 66.67)
