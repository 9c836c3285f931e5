"""The Customer experience and Conversations views (issue 15): pure functions of a `ReportData` that give the JSON of
docs/reports.md, "The report API". The Callbacks view is services/report_callbacks.py.

Durations: exact mean, median and p90 from the facts' values when the range is exact (7 days or less), otherwise
the exact mean (sum / count) beside the median and p90 read from the merged buckets, flagged approximate. Shares are
percentages rounded to 0.01, durations seconds rounded to 0.001; a figure without data is None, never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from chalicelib.domain.report_facts import Counters, MetricCounts
from chalicelib.domain.reports.distributions import approximate_quantile, bucket_bounds, summarise
from chalicelib.domain.reports.report_data import ReportData, chart, column, figure, table, view

Row = dict[str, Any]  # a figure key -> its value (one day, one queue, one agent, or the whole range)
Scope = tuple[str, ...]  # whose facts a row counts: ALL, ("day", "2026-12-07"), ("queue", "billing"), ("agent", "a-1")
ALL: Scope = ("all",)


def experience(data: ReportData, names: Mapping[str, str]) -> dict[str, Any]:
    """CSAT, NPS, first response and resolution, over the range, per day, per queue and per agent."""
    def figures_of(counters: Counters, scope: Scope) -> Row:
        row: Row = {}
        row.update(_share(counters, "csat", "csat_satisfied", "csat_answers"))
        row["csat_answers"] = _n(counters, "csat_answers")
        row["csat_sent"] = _n(counters, "csat_sent")
        row.update(_share(counters, "csat_response_rate", "csat_answers", "csat_sent"))
        answers = _n(counters, "nps_answers")
        row["nps"] = None if not answers else round(
            100 * (_n(counters, "nps_promoters") - _n(counters, "nps_detractors")) / answers, 2)
        row["nps_answers"] = answers
        row["nps_asked"] = _n(counters, "nps_asked")
        row.update(_share(counters, "nps_response_rate", "nps_answers", "nps_asked"))
        row.update(_durations(data, counters, "first_responses", "first_response", scope))
        row.update(_durations(data, counters, "resolution", "resolution", scope))
        return row

    return _view("experience", data, names, figures_of, EXPERIENCE_COLUMNS, [
        chart("satisfaction", "CSAT and NPS per day", "per_day", "day", ["csat", "nps"]),
        chart("speed", "First response and resolution per day (median)", "per_day", "day",
              ["first_response_median", "resolution_median"])])


def conversations(data: ReportData, names: Mapping[str, str], sl_seconds: int) -> dict[str, Any]:
    """Closed conversations, contacts and handle time, queue waits, abandonment, the service level at X, and the
    sales reported and credited to agents (ASYNC-12: by the sale's day; a sale belongs to no queue)."""
    def figures_of(counters: Counters, scope: Scope) -> Row:
        row: Row = {"closed": _n(counters, "closed"), "conversations": _n(counters, "closed"),
                    "contacts": _n(counters, "contacts")}
        row.update(_durations(data, counters, "contacts", "handle", scope))
        row["waits"] = _n(counters, "waits")
        row["answered"] = _n(counters, "answered")
        row["abandoned"] = _n(counters, "abandoned")
        row.update(_share(counters, "abandonment_rate", "abandoned", "waits"))
        within, approximate = _within(data, counters, "waits", sl_seconds, scope)
        waits = row["waits"]
        row["service_level"] = round(100 * within / waits, 2) if waits else None
        row["service_level_approximate"] = approximate
        answered = counters.get("answered")
        row["queue_answer_mean"] = round(answered.total / answered.n, 3) if answered and answered.n else None
        row["sales"] = _n(counters, "sales")
        row["sales_credited"] = _n(counters, "sales_credited")
        return row

    return _view("conversations", data, names, figures_of, CONVERSATION_COLUMNS, [
        chart("volume", "Closed conversations and contacts per day", "per_day", "day", ["closed", "contacts"]),
        chart("queue", "Waits answered and abandoned per day", "per_day", "day", ["answered", "abandoned"])])


# --- the columns of each view (label, unit), in order: the figures, and each table's columns after its key ---------

_DURATION_LABELS = (("median", "median"), ("p90", "p90"), ("mean", "mean"))


def _durations_columns(key: str, label: str) -> list[tuple[str, str, str]]:
    return [(f"{key}_{part}", f"{label}, {text}", "seconds") for part, text in _DURATION_LABELS]


EXPERIENCE_COLUMNS: list[tuple[str, str, str]] = [
    ("csat", "CSAT", "percent"), ("csat_answers", "CSAT answers", "count"),
    ("csat_sent", "CSAT surveys sent", "count"), ("csat_response_rate", "CSAT response rate", "percent"),
    ("nps", "NPS", "score"), ("nps_answers", "NPS answers", "count"), ("nps_asked", "NPS asked", "count"),
    ("nps_response_rate", "NPS response rate", "percent"),
    *_durations_columns("first_response", "First response"), *_durations_columns("resolution", "Resolution"),
]
CONVERSATION_COLUMNS: list[tuple[str, str, str]] = [
    ("closed", "Closed", "count"), ("conversations", "Conversations", "count"), ("contacts", "Contacts", "count"),
    *_durations_columns("handle", "Handle time"),
    ("waits", "Queue waits", "count"), ("answered", "Answered", "count"), ("abandoned", "Abandoned", "count"),
    ("abandonment_rate", "Abandonment rate", "percent"), ("service_level", "Service level", "percent"),
    ("queue_answer_mean", "Average queue answer time", "seconds"),
    ("sales", "Sales reported", "count"), ("sales_credited", "Sales credited to an agent", "count"),
]


def _view(key: str, data: ReportData, names: Mapping[str, str],
          figures_of: Callable[[Counters, Scope], Row],
          columns: list[tuple[str, str, str]], charts: list[dict[str, Any]]) -> dict[str, Any]:
    whole_key = ("queue", data.queue) if data.queue else next(
        (k for k in data.by_dimension if k[0] == "tenant"), ("tenant", ""))
    whole = figures_of(data.by_dimension.get(whole_key, {}), ALL)
    figures = [figure(k, label, whole.get(k), unit, approximate=_approximate(whole, k, unit)) for k, label, unit
               in columns]
    per_day = [[day.isoformat(), *_cells(figures_of(data.by_day.get(day, {}), ("day", day.isoformat())), columns)]
               for day in data.days]
    tables = [table("per_day", "Per day", [column("day", "Day", "date"), *_columns(columns)], per_day)]
    for dimension, title, label in (("queue", "Per queue", "Queue"), ("agent", "Per agent", "Agent")):
        rows = [[names.get(dim_id, dim_id) if dimension == "agent" else dim_id,
                 *_cells(figures_of(counters, (dimension, dim_id)), columns)]
                for (dim, dim_id), counters in sorted(data.by_dimension.items()) if dim == dimension]
        tables.append(table(f"per_{dimension}", title, [column(dimension, label, "text"), *_columns(columns)], rows))
    return view(key, data, figures, tables, charts)


def _columns(columns: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [column(k, label, unit) for k, label, unit in columns]


def _cells(row: Row, columns: list[tuple[str, str, str]]) -> list[Any]:
    return [row.get(k) for k, _, _ in columns]


def _approximate(row: Row, key: str, unit: str) -> bool:
    if key == "service_level":
        return bool(row.get("service_level_approximate"))
    return unit == "seconds" and bool(row.get(f"{key}_approximate"))


# --- figures from counters and facts ---------------------------------------------------------------------------------


def _n(counters: Counters, metric: str) -> int:
    found = counters.get(metric)
    return found.n if found else 0


def _share(counters: Counters, key: str, part: str, whole: str) -> Row:
    total = _n(counters, whole)
    return {key: round(100 * _n(counters, part) / total, 2) if total else None}


def _values(data: ReportData, metric: str, scope: Scope) -> list[float]:
    """The durations of `metric` in the facts of `scope` (the whole range, a day, a queue, an agent...)."""
    return _index(data).get(scope, {}).get(metric, [])


_indexes: dict[int, tuple[ReportData, dict[Scope, dict[str, list[float]]]]] = {}


def _index(data: ReportData) -> dict[Scope, dict[str, list[float]]]:
    """The facts' durations by scope and metric, built once per report (every cell reads its own in one look-up,
    instead of every cell going through every fact)."""
    found = _indexes.get(id(data))
    if found is not None and found[0] is data:
        return found[1]
    index: dict[Scope, dict[str, list[float]]] = {}
    for fact in data.facts or ():
        scopes = [ALL, ("day", fact.day.isoformat()), *fact.dimensions()]
        for measure in fact.measures:
            if measure.seconds is None:
                continue
            for scope in scopes:
                index.setdefault(scope, {}).setdefault(measure.metric, []).append(measure.seconds)
    _indexes.clear()  # one report at a time: the index lives as long as the report being built
    _indexes[id(data)] = (data, index)
    return index


def _durations(data: ReportData, counters: Counters, metric: str, key: str,
               scope: Scope) -> Row:
    """`<key>_median`, `_p90` and `_mean`: exact from the facts, or approximate quantiles from the buckets."""
    found = counters.get(metric, MetricCounts())
    mean = round(found.total / found.n, 3) if found.n else None
    if data.exact:
        summary = summarise(_values(data, metric, scope))
        median = None if summary is None else round(summary.median, 3)
        p90 = None if summary is None else round(summary.p90, 3)
        return {f"{key}_median": median, f"{key}_p90": p90, f"{key}_mean": mean, f"{key}_median_approximate": False,
                f"{key}_p90_approximate": False}
    quantiles = {part: approximate_quantile(found.buckets, q) for part, q in (("median", 0.5), ("p90", 0.9))}
    row: Row = {f"{key}_mean": mean}
    for part, estimate in quantiles.items():
        row[f"{key}_{part}"] = None if estimate is None else round(estimate.seconds, 3)
        row[f"{key}_{part}_approximate"] = estimate is not None
    return row


def _within(data: ReportData, counters: Counters, metric: str, seconds: int,
            scope: Scope) -> tuple[int, bool]:
    """How many `metric` durations are at most `seconds` ("within X includes X"): exact from the facts; from the
    buckets beyond 7 days, which is exact when X is a bucket edge's lower neighbour and approximate otherwise."""
    if data.exact:
        return sum(1 for v in _values(data, metric, scope) if v <= seconds), False
    found = counters.get(metric, MetricCounts())
    count = 0
    for index, in_bucket in enumerate(found.buckets):
        lower, upper = bucket_bounds(index)
        if upper <= seconds:
            count += in_bucket
        elif lower <= seconds:
            return count + round(in_bucket * (seconds - lower) / (upper - lower)), True
    return count, False


def day_range(start: date, end: date) -> Sequence[date]:
    return [date.fromordinal(n) for n in range(start.toordinal(), end.toordinal() + 1)]
