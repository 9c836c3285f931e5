"""The report routes (issue 15, docs/reports.md "The report API"): supervisors and admins read a view of a range of
days as JSON, or one of its tables as a CSV file. The report modules load on the first report request, not at every
cold start."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import bootstrap, boundary
from chalicelib.rest.http import authenticated, request_query, rest

bp = Blueprint(__name__)


@bp.route("/tenants/{tenant}/reports/{view}", methods=["GET"])
@rest
def get_report(tenant: str, view: str) -> Any:
    """A view (`experience`, `conversations`, `callbacks`) from `from` to `to`, for one `queue` or all; with
    `format=csv`, its table `table` (`per_day` by default) as an RFC 4180 download."""
    from chalicelib.services import reports

    caller = authenticated(tenant)
    query = request_query("ReportQuery")
    report = reports.read(bootstrap.container().deps, caller, view, query.from_, query.to, query.queue, query.sl)
    if query.format != "csv":
        return report
    text, filename = reports.csv_of(report, query.table or "per_day", report["time_zone"])
    return Response(body=boundary.scrub(text), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})
