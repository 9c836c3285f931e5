"""The callbacks view (issue 15; docs/reports.md, "The report API") on hand-built day counters: the figures are the
range's counts, a day without callbacks shows zeros, slots are their local ranges, attempts run from 1."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.report_facts import MetricCounts
from chalicelib.domain.reports.distributions import BUCKETS
from chalicelib.domain.reports.report_data import ReportData
from chalicelib.services.report_callbacks import callbacks_view

PARIS = ZoneInfo("Europe/Paris")
FIRST = date(2026, 12, 1)
DAYS = [FIRST + timedelta(days=n) for n in range(3)]


def n(count: int, seconds: float | None = None) -> MetricCounts:
    total = float(seconds or 0) * count
    return MetricCounts(count, total, total, (0,) * BUCKETS)


BY_DAY = {
    DAYS[0]: {"requested": n(4), "booked": n(3), "booked_slot:09:00-10:00": n(2), "booked_slot:14:00-15:00": n(1),
              "connected": n(2, 60), "connected_attempt:1": n(1), "connected_attempt:3": n(1), "recorded": n(1),
              "not_reached": n(1)},
    # DAYS[1]: nothing happened
    DAYS[2]: {"requested": n(1), "booked": n(1), "booked_slot:09:00-10:00": n(1), "expired": n(1),
              "cancelled": n(2), "left_while_waiting": n(1)},
}


def data(by_day: dict[date, dict[str, MetricCounts]] = BY_DAY, queue: str | None = None) -> ReportData:
    return ReportData(zone=PARIS, start=DAYS[0], end=DAYS[-1], queue=queue, days=DAYS, by_day=by_day,
                      by_dimension={}, facts=[])


def test_the_figures_are_the_ranges_counts_in_the_agreed_order() -> None:
    found = callbacks_view(data())
    assert [(f["key"], f["value"], f["unit"], f["approximate"]) for f in found["figures"]] == [
        ("requested", 5, "count", False), ("booked", 4, "count", False), ("connected", 2, "count", False),
        ("not_reached", 1, "count", False), ("expired", 1, "count", False), ("cancelled", 2, "count", False),
        ("left_while_waiting", 1, "count", False), ("recorded", 1, "count", False)]
    assert {k: found[k] for k in ("view", "time_zone", "from", "to", "queue", "exact")} == {
        "view": "callbacks", "time_zone": "Europe/Paris", "from": "2026-12-01", "to": "2026-12-03", "queue": None,
        "exact": True}


def test_per_day_has_a_row_for_every_day_with_zeros_on_a_day_without_callbacks() -> None:
    [per_day] = [t for t in callbacks_view(data())["tables"] if t["key"] == "per_day"]
    assert [c["key"] for c in per_day["columns"]] == [
        "day", "requested", "booked", "connected", "not_reached", "expired", "cancelled", "left_while_waiting",
        "recorded"]
    assert per_day["columns"][0]["unit"] == "date" and {c["unit"] for c in per_day["columns"][1:]} == {"count"}
    assert per_day["rows"] == [
        ["2026-12-01", 4, 3, 2, 1, 0, 0, 0, 1],
        ["2026-12-02", 0, 0, 0, 0, 0, 0, 0, 0],
        ["2026-12-03", 1, 1, 0, 0, 1, 2, 1, 0],
    ]


def test_per_slot_counts_the_bookings_of_each_local_range_earliest_first() -> None:
    [per_slot] = [t for t in callbacks_view(data())["tables"] if t["key"] == "per_slot"]
    assert [c["key"] for c in per_slot["columns"]] == ["slot", "booked"]
    assert per_slot["rows"] == [["09:00-10:00", 3], ["14:00-15:00", 1]]


def test_per_attempt_runs_from_the_first_attempt_to_the_last_that_connected_with_zeros_between() -> None:
    [per_attempt] = [t for t in callbacks_view(data())["tables"] if t["key"] == "per_attempt"]
    assert per_attempt["rows"] == [[1, 1], [2, 0], [3, 1]]


def test_no_callbacks_at_all_gives_zeros_and_empty_slot_and_attempt_tables() -> None:
    found = callbacks_view(data({}, queue="sales"))
    assert [f["value"] for f in found["figures"]] == [0] * 8
    tables = {t["key"]: t["rows"] for t in found["tables"]}
    assert tables == {"per_day": [[d.isoformat(), 0, 0, 0, 0, 0, 0, 0, 0] for d in DAYS], "per_slot": [],
                      "per_attempt": []}
    assert found["queue"] == "sales"


def test_each_chart_draws_columns_of_one_of_the_views_tables() -> None:
    found = callbacks_view(data())
    columns = {t["key"]: [c["key"] for c in t["columns"]] for t in found["tables"]}
    assert [c["key"] for c in found["charts"]] == ["requested_connected", "booked_per_slot", "connected_per_attempt"]
    for chart in found["charts"]:
        assert chart["x"] in columns[chart["table"]]
        assert set(chart["series"]) <= set(columns[chart["table"]])
    assert found["charts"][0]["series"] == ["requested", "connected"]
