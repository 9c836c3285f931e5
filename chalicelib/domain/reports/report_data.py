"""What a report view is built from (issue 15): the counters of a range of days, and its facts when the range is
short enough to be exact. The reads (`services/reports.py`) fill it in; each view (`experience`, `conversations`,
`callbacks`) is a pure function of it that returns the JSON of docs/reports.md, "The report API"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.report_facts import Counters, Fact

#: Ranges of at most this many days are read from the facts (exact medians); longer ones from the day buckets.
EXACT_DAYS = 7


@dataclass(frozen=True)
class ReportData:
    zone: ZoneInfo
    start: date
    end: date  # included
    queue: str | None  # one queue only, or every queue
    days: Sequence[date]  # start .. end
    #: The counters of each day: the tenant's, or the queue's when `queue` is given. A day without facts is absent.
    by_day: Mapping[date, Counters]
    #: The counters merged over the range, per (dimension, id): ("queue", "billing"), ("agent", "a-1")... With a
    #: `queue`, only that queue's facts are counted here (read from the facts), or only ("queue", queue) (beyond
    #: EXACT_DAYS, where aggregates are per dimension and cannot be crossed).
    by_dimension: Mapping[tuple[str, str], Counters]
    #: Every fact of the range (of the queue, when given) when the range is exact; None beyond EXACT_DAYS.
    facts: Sequence[Fact] | None

    @property
    def exact(self) -> bool:
        return self.facts is not None


def view(key: str, data: ReportData, figures: list[dict[str, Any]], tables: list[dict[str, Any]],
         charts: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON of one view (docs/reports.md, "The report API")."""
    return {"view": key, "time_zone": data.zone.key, "from": data.start.isoformat(), "to": data.end.isoformat(),
            "queue": data.queue, "exact": data.exact, "figures": figures, "tables": tables, "charts": charts}


def figure(key: str, label: str, value: float | int | None, unit: str, approximate: bool = False) -> dict[str, Any]:
    return {"key": key, "label": label, "value": value, "unit": unit, "approximate": approximate}


def column(key: str, label: str, unit: str) -> dict[str, str]:
    return {"key": key, "label": label, "unit": unit}


def table(key: str, title: str, columns: list[dict[str, str]], rows: list[list[Any]]) -> dict[str, Any]:
    return {"key": key, "title": title, "columns": columns, "rows": rows}


def chart(key: str, title: str, table_key: str, x: str, series: list[str]) -> dict[str, Any]:
    return {"key": key, "title": title, "table": table_key, "x": x, "series": series}
