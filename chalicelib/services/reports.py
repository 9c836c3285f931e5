"""The report reads (issue 15, docs/reports.md "The report API"): a view of a range of days on the tenant's clock.

Up to 7 days (`EXACT_DAYS`), the facts of each day are read (a Query a day) and every figure is exact: counters are
summed from the facts, medians and p90 are the facts' nearest ranks. Beyond, the day aggregates are read: one Query
per dimension id between the first and the last day (the tenant's, or the queue's; and one per queue and per agent
for their tables), so that a 365-day report costs what a 90-day one does, whatever the tenant's history; medians and
p90 are then read from the merged buckets and flagged approximate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.model import Principal, Role
from chalicelib.domain.report_facts import Counters, counts_of, merged
from chalicelib.domain.reports.csv import to_csv
from chalicelib.domain.reports.periods import today
from chalicelib.domain.reports.report_data import EXACT_DAYS, ReportData
from chalicelib.ports import Deps
from chalicelib.services import report_views
from chalicelib.services.report_stream import tenant_zone

VIEWS = ("experience", "conversations", "callbacks")
MAX_DAYS = 366


def read(deps: Deps, caller: Principal, view: str, start: date | None = None, end: date | None = None,
         queue: str | None = None, sl: int = 30) -> dict[str, Any]:
    """The view's JSON for the days `start` to `end` (both included; today on the tenant's clock by default)."""
    _check_caller(caller)
    if view not in VIEWS:
        raise NotFound(f"no report '{view}'; one of {', '.join(VIEWS)}", field="view")
    zone = tenant_zone(deps, caller.tenant)
    now = today(deps.clock.now(), zone)
    end = end or (start if start and start > now else now)
    start = start or end
    if start > end:
        raise InvalidInput("'from' is after 'to'", field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_DAYS} days", field="to")
    data = gather(deps, caller.tenant, zone, start, end, queue)
    names = _agent_names(deps, caller.tenant, data)
    if view == "experience":
        return report_views.experience(data, names)
    if view == "conversations":
        return report_views.conversations(data, names, sl)
    from chalicelib.services.report_callbacks import callbacks_view

    report: dict[str, Any] = callbacks_view(data)
    return report


def csv_of(report: dict[str, Any], table_key: str, zone_key: str) -> tuple[str, str]:
    """One table of a report as an RFC 4180 file (docs/reports.md, "CSV export"), with its file name."""
    from zoneinfo import ZoneInfo

    found = next((t for t in report["tables"] if t["key"] == table_key), None)
    if found is None:
        keys = ", ".join(t["key"] for t in report["tables"])
        raise InvalidInput(f"no table '{table_key}' in this report; one of {keys}", field="table")
    header = [c["label"] for c in found["columns"]]
    durations = [c["unit"] == "seconds" for c in found["columns"]]
    rows = [[timedelta(seconds=value) if is_duration and value is not None else value
             for value, is_duration in zip(row, durations, strict=True)] for row in found["rows"]]
    text = to_csv(header, rows, ZoneInfo(zone_key))
    queue = f"-{report['queue']}" if report.get("queue") else ""
    return text, f"{report['view']}-{table_key}{queue}-{report['from']}_{report['to']}.csv"


def gather(deps: Deps, tenant: str, zone: Any, start: date, end: date, queue: str | None) -> ReportData:
    """The counters (and, up to EXACT_DAYS, the facts) of the range, for the tenant or one queue."""
    if deps.reports is None:
        raise RuntimeError("no report store is wired (Deps.reports)")
    days = report_views.day_range(start, end)
    if len(days) <= EXACT_DAYS:
        facts = [f for day in days for f in deps.reports.facts(tenant, day) if queue is None or f.queue == queue]
        by_day: dict[date, Counters] = {}
        by_dimension: dict[tuple[str, str], Counters] = {}
        for fact in facts:
            counters = {m.metric: counts_of(m) for m in fact.measures}
            by_day[fact.day] = merged(by_day.get(fact.day, {}), counters)
            for key in fact.dimensions():
                by_dimension[key] = merged(by_dimension.get(key, {}), counters)
        return ReportData(zone=zone, start=start, end=end, queue=queue, days=days, by_day=by_day,
                          by_dimension=by_dimension, facts=facts)
    main = ("queue", queue) if queue else ("tenant", tenant)
    keys = [main] if queue else [main, *_queues_and_agents(deps, tenant)]
    found = deps.reports.aggregates(tenant, days, keys)
    by_day_long: dict[date, Counters] = {day: counters for (day, dim, dim_id), counters in found.items()
                                         if (dim, dim_id) == main}
    long_dimension: dict[tuple[str, str], Counters] = {}
    for (_, dim, dim_id), of_day in found.items():
        long_dimension[(dim, dim_id)] = merged(long_dimension.get((dim, dim_id), {}), of_day)
    return ReportData(zone=zone, start=start, end=end, queue=queue, days=days, by_day=by_day_long,
                      by_dimension=long_dimension, facts=None)


def _queues_and_agents(deps: Deps, tenant: str) -> Sequence[tuple[str, str]]:
    """The dimension ids of the per-queue and per-agent tables: the routing's groups and their members today."""
    found = deps.tenants.get(tenant)
    if found is None:
        return []
    groups = list(found.routing.groups)
    agents = sorted({agent for group in groups for agent in deps.agents.members(tenant, group)})
    return [*(("queue", g) for g in groups), *(("agent", a) for a in agents)]


def _agent_names(deps: Deps, tenant: str, data: ReportData) -> dict[str, str]:
    ids = sorted({dim_id for dim, dim_id in data.by_dimension if dim == "agent"})
    return {agent.id: agent.name for agent in deps.agents.get_many(tenant, ids)} if ids else {}


def _check_caller(caller: Principal) -> None:
    if not caller.is_agent or not ({Role.SUPERVISOR, Role.ADMIN} & caller.roles):
        raise Forbidden("reports require the supervisor or admin role")

