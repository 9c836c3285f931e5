"""The `callbacks` report view (issue 15; docs/reports.md, "Callbacks" and "The report API"): requested, booked,
connected, not reached, expired, cancelled, left while waiting and recorded, per day, per slot and per attempt.

A pure function of `ReportData`: every callback figure is a counter (domain/report_callback_facts.py), and counters
are exact at any range, so the view reads the day counters (`by_day`: the tenant's, or the queue's) and never the
facts. A day without callbacks shows zeros: a count is never null.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.report_callback_facts import BOOKED_SLOT, CONNECTED_ATTEMPT
from chalicelib.domain.report_facts import Counters, merged
from chalicelib.domain.reports.report_data import ReportData, chart, column, figure, table, view

VIEW = "callbacks"

#: The view's figures, in the order shown: (key = the counter's metric, label).
FIGURES: tuple[tuple[str, str], ...] = (
    ("requested", "Requested"),
    ("booked", "Booked"),
    ("connected", "Connected"),
    ("not_reached", "Not reached"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
    ("left_while_waiting", "Left while waiting"),
    ("recorded", "Recorded"),
)


def callbacks_view(data: ReportData) -> dict[str, Any]:
    """The JSON of the callbacks view: figures over the range, and the tables `per_day`, `per_slot`, `per_attempt`
    with their charts."""
    total = merged(*data.by_day.values())
    figures = [figure(key, label, _count(total, key), "count") for key, label in FIGURES]
    tables = [_per_day(data), _per_slot(total), _per_attempt(total)]
    charts = [chart("requested_connected", "Requested and connected per day", "per_day", "day",
                    ["requested", "connected"]),
              chart("booked_per_slot", "Booked per slot", "per_slot", "slot", ["booked"]),
              chart("connected_per_attempt", "Connected per attempt", "per_attempt", "attempt", ["connected"])]
    return view(VIEW, data, figures, tables, charts)


def _per_day(data: ReportData) -> dict[str, Any]:
    columns = [column("day", "Day", "date"), *(column(key, label, "count") for key, label in FIGURES)]
    rows = [[day.isoformat(), *(_count(data.by_day.get(day, {}), key) for key, _ in FIGURES)] for day in data.days]
    return table("per_day", "Per day", columns, rows)


def _per_slot(total: Counters) -> dict[str, Any]:
    """Booked per slot's local time range ("09:00-10:00"), earliest first."""
    slots = sorted(metric.removeprefix(BOOKED_SLOT) for metric in total if metric.startswith(BOOKED_SLOT))
    rows = [[slot, _count(total, BOOKED_SLOT + slot)] for slot in slots]
    return table("per_slot", "Booked per slot", [column("slot", "Slot", "text"), column("booked", "Booked", "count")],
                 rows)


def _per_attempt(total: Counters) -> dict[str, Any]:
    """Connected on attempt 1, 2 ... up to the last attempt that connected one, zeros in between."""
    attempts = [int(metric.removeprefix(CONNECTED_ATTEMPT)) for metric in total
                if metric.startswith(CONNECTED_ATTEMPT) and metric.removeprefix(CONNECTED_ATTEMPT).isdigit()]
    last = max(attempts, default=0)
    rows = [[n, _count(total, f"{CONNECTED_ATTEMPT}{n}")] for n in range(1, last + 1)]
    return table("per_attempt", "Connected per attempt",
                 [column("attempt", "Attempt", "count"), column("connected", "Connected", "count")], rows)


def _count(counters: Counters, metric: str) -> int:
    found = counters.get(metric)
    return found.n if found is not None else 0
