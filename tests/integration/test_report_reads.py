"""The report reads through the real route (issue 15, docs/reports.md "The report API"): chats closed through the
real services, the stream pump feeding the real consumer, then `GET /tenants/{t}/reports/{view}` as a supervisor.
Figures are exact up to 7 days (nearest-rank medians of the facts), approximate beyond (flagged); a table's CSV holds
the table's rows; the caller and the parameters are checked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib.domain.model import Role
from tests.integration.conftest import Stack
from tests.integration.test_report_stream import NEXT_DAY_THERE, Desk, close_three, pump_for
from tests.integration.test_report_stream import desk as desk  # the fixture
from tests.integration.test_routing_admin import make_user
from tests.integration.test_slice_handlers import login, make_agent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def http(stack: Stack) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def get(http: Any, path: str, token: str) -> Any:
    return http.get(path, headers={"Authorization": f"Bearer {token}"})


def figures(report: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: f["value"] for f in report["figures"]}


@pytest.fixture
def seeded(stack: Stack, desk: Desk) -> Desk:
    """Three chats closed on the 7th in Auckland (2, 30 and 90 minutes), two of them rated 5 and 2."""
    pump = pump_for(stack)
    ids = close_three(desk)
    rated = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)  # 03:00 on the 7th in Auckland
    desk.deps.conversations.rate(desk.tenant, ids[0], 5, "", rated)
    desk.deps.conversations.rate(desk.tenant, ids[2], 2, "", rated)
    assert pump.drain().failed == 0
    return desk


def test_a_supervisor_reads_the_days_exact_figures(http: Any, seeded: Desk) -> None:
    sam = login(http, make_user(seeded.tenant, Role.AGENT, Role.SUPERVISOR))
    day = NEXT_DAY_THERE.isoformat()

    answer = get(http, f"/tenants/{seeded.tenant}/reports/conversations?from={day}&to={day}", sam)

    assert answer.status_code == 200, answer.body
    report = answer.json_body
    assert (report["view"], report["time_zone"], report["from"], report["to"], report["exact"]) == (
        "conversations", "Pacific/Auckland", day, day, True)
    got = figures(report)
    assert (got["closed"], got["contacts"], got["waits"], got["answered"], got["abandoned"]) == (3, 3, 3, 3, 0)
    # Handle times 120, 1800, 5400 s: nearest-rank median is the 2nd, p90 the 3rd, mean 2440.
    assert (got["handle_median"], got["handle_p90"], got["handle_mean"]) == (1800, 5400, 2440)
    assert (got["service_level"], got["abandonment_rate"], got["queue_answer_mean"]) == (100, 0, 0)
    per_agent = next(t for t in report["tables"] if t["key"] == "per_agent")
    keys = [c["key"] for c in per_agent["columns"]]
    rows = {row[0]: dict(zip(keys, row, strict=True)) for row in per_agent["rows"]}
    assert {name: row["closed"] for name, row in rows.items()} == {"ANN": 2, "BOB": 1}

    experience = figures(get(http, f"/tenants/{seeded.tenant}/reports/experience?from={day}", sam).json_body)
    assert (experience["csat"], experience["csat_answers"], experience["csat_sent"]) == (50, 2, 3)
    assert experience["csat_response_rate"] == 66.67
    assert (experience["resolution_median"], experience["nps"]) == (1800, None)  # nobody was asked the NPS question


def test_a_table_downloads_as_csv_with_the_tables_rows(http: Any, seeded: Desk) -> None:
    sam = login(http, make_user(seeded.tenant, Role.AGENT, Role.SUPERVISOR))
    base = f"/tenants/{seeded.tenant}/reports/experience?from=2026-12-06&to=2026-12-08"
    report = get(http, base, sam).json_body

    answer = get(http, base + "&format=csv&table=per_day", sam)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="experience-per_day-2026-12-06_2026-12-08.csv"' in answer.headers["Content-Disposition"]
    text = answer.body.decode()
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    per_day = next(t for t in report["tables"] if t["key"] == "per_day")
    assert rows[0] == [c["label"] for c in per_day["columns"]]
    assert [r[0] for r in rows[1:]] == ["2026-12-06", "2026-12-07", "2026-12-08"]
    keys = [c["key"] for c in per_day["columns"]]
    assert [r[keys.index("csat")] for r in rows[1:]] == ["", "50.0", ""]  # no rating: an empty cell, not 0
    # Durations in whole seconds: 2, 30 and 90-minute resolutions have a mean of 2440 s.
    assert [r[keys.index("resolution_mean")] for r in rows[1:]] == ["", "2440", ""]


def test_beyond_seven_days_medians_are_flagged_approximate_and_counts_stay_exact(http: Any, seeded: Desk) -> None:
    sam = login(http, make_user(seeded.tenant, Role.AGENT, Role.SUPERVISOR))
    start = NEXT_DAY_THERE - timedelta(days=29)

    report = get(http, f"/tenants/{seeded.tenant}/reports/conversations?from={start}&to={NEXT_DAY_THERE}", sam)

    body = report.json_body
    assert body["exact"] is False and len(next(t for t in body["tables"] if t["key"] == "per_day")["rows"]) == 30
    by_key = {f["key"]: f for f in body["figures"]}
    assert (by_key["closed"]["value"], by_key["handle_mean"]["value"]) == (3, 2440)
    assert by_key["handle_mean"]["approximate"] is False
    assert by_key["handle_median"]["approximate"] is True
    # The median's rank 1.5 falls half way into the 1800 s value's bucket [30 min, 1 h): 1800 + 1800 x 0.5.
    assert by_key["handle_median"]["value"] == 2700


@pytest.mark.parametrize(("query", "status", "field"), [
    ("?from=2026-12-08&to=2026-12-07", 400, "from"),
    ("?from=2025-01-01&to=2026-12-07", 400, "to"),
    ("?from=yesterday", 400, "from"),
    ("?sl=0", 400, "sl"),
    ("?format=xlsx", 400, "format"),
    ("?format=csv&table=per_planet", 400, "table"),
], ids=["reversed", "too-long", "not-a-date", "sl", "format", "table"])
def test_bad_parameters_are_a_400_naming_them(http: Any, seeded: Desk, query: str, status: int, field: str) -> None:
    sam = login(http, make_user(seeded.tenant, Role.AGENT, Role.SUPERVISOR))
    answer = get(http, f"/tenants/{seeded.tenant}/reports/experience{query}", sam)
    assert (answer.status_code, answer.json_body.get("field")) == (status, field), answer.body


def test_an_agent_may_not_read_reports_and_an_unknown_view_is_a_404(http: Any, seeded: Desk) -> None:
    agent = login(http, make_agent(seeded.tenant))
    sam = login(http, make_user(seeded.tenant, Role.AGENT, Role.SUPERVISOR))
    assert get(http, f"/tenants/{seeded.tenant}/reports/experience", agent).status_code == 403
    unknown = get(http, f"/tenants/{seeded.tenant}/reports/weather", sam)
    assert (unknown.status_code, unknown.json_body["field"]) == (404, "view")
    assert date.fromisoformat(get(http, f"/tenants/{seeded.tenant}/reports/experience", sam).json_body["to"])


def test_the_callbacks_view_reads_through_the_route(http: Any, seeded: Desk) -> None:
    """The seeded day has chats only: every callback count is 0 on it, and the tables are there to download."""
    sam = login(http, make_user(seeded.tenant, Role.AGENT, Role.SUPERVISOR))
    day = NEXT_DAY_THERE.isoformat()
    answer = get(http, f"/tenants/{seeded.tenant}/reports/callbacks?from={day}", sam)
    assert answer.status_code == 200, answer.body
    assert figures(answer.json_body) == {key: 0 for key in (
        "requested", "booked", "connected", "not_reached", "expired", "cancelled", "left_while_waiting", "recorded")}
    assert {t["key"] for t in answer.json_body["tables"]} == {"per_day", "per_slot", "per_attempt"}
    csv_answer = get(http, f"/tenants/{seeded.tenant}/reports/callbacks?from={day}&format=csv&table=per_slot", sam)
    assert csv_answer.status_code == 200 and csv_answer.body.decode().startswith("Slot")


def test_sales_count_on_their_day_and_under_the_agent_credited(http: Any, stack: Stack, desk: Desk) -> None:
    """Two sales reported on the 7th in Auckland, one credited to Ann (ASYNC-12): the stream makes them facts."""
    from chalicelib.domain.sales import Credit, Sale

    desk.hire("ann", "sales")
    pump = pump_for(stack)
    at = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # 09:00 on the 7th in Auckland
    credit = Credit("ann", "ANN", "c-1", at - timedelta(minutes=5))
    desk.deps.sales.record(Sale(desk.tenant, "o-1", "v1", at, "129.90", "EUR", credit))
    desk.deps.sales.record(Sale(desk.tenant, "o-2", "v2", at, "15.00", "EUR", None))
    assert pump.drain().failed == 0
    sam = login(http, make_user(desk.tenant, Role.AGENT, Role.SUPERVISOR))

    report = get(http, f"/tenants/{desk.tenant}/reports/conversations?from={NEXT_DAY_THERE}", sam).json_body

    assert (figures(report)["sales"], figures(report)["sales_credited"]) == (2, 1)
    per_agent = next(t for t in report["tables"] if t["key"] == "per_agent")
    keys = [c["key"] for c in per_agent["columns"]]
    assert [(row[0], row[keys.index("sales_credited")]) for row in per_agent["rows"]] == [("ANN", 1)]
