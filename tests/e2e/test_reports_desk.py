"""The desk's Reports area (issue 15, "Desk"), in Chromium against the local stack.

- Sam (supervisor) opens Customer experience for a seeded day: chats that Alice answered and closed, rated and
  answered through the real stack, turned into facts by the local stream pump. He sees the figures (CSAT 50 % of 2
  answers...), and downloads the CSV of the per-day table, whose rows equal the table's cells. Each of the three
  views passes axe.
- On a stubbed answer (the report API's documented shape, served by Playwright's routing): the figures said by unit
  ("1 min 05 s", "≈" before an approximate value, "—" for no data), the exact / approximate note with the zone, the
  presets computed on the tenant's clock, a chart (uPlot, fetched only once a report opens: the desk's first load
  does not carry it) beside its table, and the CSV fetched with the agent's token under a name that says what it is.
- The units, durations and presets of reports-format.js around midnight in Paris and Auckland.
- An agent has no Reports.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect
from websockets.sync.client import connect

from tests.e2e.helpers import Pages, ask, axe_violations, login, rest, ws_url
from tests.e2e.test_desk_async import watch_desk
from tests.e2e.test_live_chat_widget import accept, agent

WAIT = 10_000  # ms
FACTS_WAIT = 20.0  # s: the stream pump reads moto's stream every second
StartStack = Callable[..., str]


def open_reports(desk: Page) -> None:
    """Open the Reports from the keyboard: focus the top bar's toggle and press Enter; the heading takes the focus."""
    tab = desk.get_by_test_id("reports-tab")
    expect(tab).to_be_visible(timeout=WAIT)
    tab.focus()
    desk.keyboard.press("Enter")
    expect(tab).to_have_attribute("aria-pressed", "true")
    expect(desk.get_by_test_id("reports-view")).to_be_visible()
    expect(desk.locator("#reports-title")).to_be_focused()


def loaded(desk: Page, view: str) -> None:
    report = desk.get_by_test_id("reports-view")
    expect(report).to_have_attribute("data-report", view)
    expect(report).to_have_attribute("data-state", "loaded", timeout=WAIT)


def figure(desk: Page, key: str) -> Any:
    return desk.get_by_test_id(f"figure-{key}")


def table_cells(desk: Page, table: str) -> list[list[str]]:
    """The table's header labels, then each row's raw values (data-value: what the CSV holds)."""
    found: list[list[str]] = desk.get_by_test_id(f"reports-table-{table}").evaluate(
        """(table) => [[...table.querySelectorAll('thead th')].map((th) => th.textContent.trim()),
                       ...[...table.querySelectorAll('tbody tr[data-testid=reports-row]')].map((tr) =>
                           [...tr.children].map((cell) => cell.dataset.value))]""")
    return found


def scripts(desk: Page) -> list[str]:
    names: list[str] = desk.evaluate("performance.getEntriesByType('resource').map((entry) => entry.name)")
    return [urlsplit(name).path for name in names]


# ---------------------------------------------------------------- a day seeded through the real stack


def visitor_chat(stack: ExitStack, url: str, n: int) -> tuple[str, str]:
    """A visitor opens a chat with a first message through the public API: (the visitor's token, the id)."""
    token: str = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
    socket = stack.enter_context(connect(ws_url(url, token), open_timeout=10))
    started = ask(socket, {"action": "start_conversation", "consent": True, "id": f"start-{n}",
                           "message": {"client_message_id": f"m-{n}", "text": f"Question {n}"}})
    assert started["type"] == "ack", started
    return token, started["conversation"]["id"]


def seed_the_day(url: str) -> None:
    """Three chats Alice answers and closes: rated 5 then 2 then not at all, NPS 10 then 8 then none. So CSAT is
    50 % of 2 answers out of 3 surveys sent, NPS +50 (one promoter, one passive) of 2 answers."""
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    with ExitStack() as stack:
        for n, (rating, score) in enumerate([(5, 10), (2, 8), (None, None)], start=1):
            token, conversation_id = visitor_chat(stack, url, n)
            accept(alice, conversation_id)
            alice.ask("send_message", conversation_id=conversation_id, client_message_id=f"a-{n}",
                      text="Happy to help.")
            alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
            path = f"/tenants/demo/conversations/{conversation_id}"
            if rating is not None:
                rest(url, "POST", f"{path}/rating", {"rating": rating}, token=token)
            if score is not None:
                rest(url, "POST", f"{path}/nps", {"score": score}, token=token)
    alice.close()


def figures_once_counted(url: str, token: str, **wanted: int) -> dict[str, Any]:
    """Today's Customer experience once the stream pump has turned the seeded day into facts: its figures by key."""
    deadline = time.monotonic() + FACTS_WAIT
    while True:
        report = rest(url, "GET", "/tenants/demo/reports/experience", token=token)
        figures = {item["key"]: item["value"] for item in report["figures"]}
        if all(figures.get(key) == value for key, value in wanted.items()) or time.monotonic() > deadline:
            assert {key: figures.get(key) for key in wanted} == wanted
            return report


def same_cell(written: str, shown: str, unit: str) -> bool:
    """A CSV cell says the value the table shows (its data-value, the JSON's): numbers equal, no data empty, a
    duration in whole seconds, rounded half up (docs/reports.md, "CSV export")."""
    if shown == "" or written == "":
        return shown == written
    if unit == "seconds":
        return written == str(int(float(shown) + 0.5))
    if unit in ("count", "percent", "score"):
        return abs(float(written) - float(shown)) < 1e-9
    return written == shown


@pytest.mark.demo_settings(nps_enabled=True)
def test_sam_reads_a_seeded_day_and_downloads_a_csv_whose_rows_are_the_table(start_stack: StartStack,
                                                                             pages: Pages) -> None:
    url = start_stack()
    seed_the_day(url)
    report = figures_once_counted(url, login(url, "sam")["id_token"], csat_answers=2, nps_answers=2)
    day = report["from"]

    sam = watch_desk(pages, url, "sam")
    open_reports(sam)
    loaded(sam, "experience")
    sam.get_by_test_id("reports-from").fill(day)
    sam.get_by_test_id("reports-to").fill(day)
    sam.get_by_test_id("reports-to").press("Enter")  # the form's Show
    loaded(sam, "experience")
    expect(figure(sam, "csat").locator("dd")).to_have_text("50 %")
    expect(figure(sam, "csat_answers").locator("dd")).to_have_text("2")
    expect(figure(sam, "csat_sent").locator("dd")).to_have_text("3")
    expect(figure(sam, "csat_response_rate").locator("dd")).to_have_text("66.7 %")
    expect(figure(sam, "nps").locator("dd")).to_have_text("+50")
    expect(figure(sam, "nps_answers").locator("dd")).to_have_text("2")
    expect(figure(sam, "first_response_median")).not_to_have_attribute("data-value", "")
    expect(sam.get_by_test_id("reports-note")).to_have_attribute("data-exact", "true")
    assert axe_violations(sam) == []

    shown = table_cells(sam, "per_day")
    units: list[str] = sam.get_by_test_id("reports-table-per_day").locator("thead th").evaluate_all(
        "(cells) => cells.map((th) => th.dataset.unit)")
    assert [row[0] for row in shown[1:]] == [day]
    with sam.expect_download() as download:
        sam.get_by_test_id("reports-csv-per_day").click()
    assert download.value.suggested_filename == f"experience-per_day-{day}_{day}.csv"
    written = Path(download.value.path()).read_bytes().decode("utf-8")
    assert written.endswith("\r\n")
    records = list(csv.reader(io.StringIO(written, newline="")))
    assert len(records) == len(shown) and records[0] == shown[0]
    for record, row in zip(records[1:], shown[1:], strict=True):
        assert len(record) == len(row) == len(units)
        assert all(same_cell(*cells) for cells in zip(record, row, units, strict=True)), (record, row)

    # One queue: the demo's only one holds every chat of the day.
    expect(sam.get_by_test_id("reports-queue").locator("option[value=default]")).to_have_count(1)
    sam.get_by_test_id("reports-queue").select_option("default")
    sam.get_by_test_id("reports-show").click()
    expect(sam.locator("#reports-report-title")).to_have_text(f"Customer experience, {day}, queue default",
                                                              timeout=WAIT)
    expect(figure(sam, "csat_answers").locator("dd")).to_have_text("2")

    sam.get_by_test_id("reports-view-conversations").click()
    loaded(sam, "conversations")
    expect(sam.get_by_test_id("reports-view-conversations")).to_have_attribute("aria-pressed", "true")
    expect(figure(sam, "closed").locator("dd")).to_have_text("3")
    expect(figure(sam, "contacts").locator("dd")).to_have_text("3")
    assert axe_violations(sam) == []
    sam.get_by_test_id("reports-view-callbacks").click()
    expect(sam.get_by_test_id("reports-view")).to_have_attribute("data-report", "callbacks")
    loaded(sam, "callbacks")
    expect(figure(sam, "requested").locator("dd")).to_have_text("0")  # a day of chats only
    assert axe_violations(sam) == []


# ---------------------------------------------------------------- a stubbed answer: the documented shape


def stub_experience(start: str, end: str, exact: bool) -> dict[str, Any]:
    approximate = not exact
    per_day_columns = [{"key": "day", "label": "Day", "unit": "date"},
                       {"key": "csat", "label": "CSAT", "unit": "percent"},
                       {"key": "first_response_median", "label": "First response, median", "unit": "seconds"}]
    return {
        "view": "experience", "time_zone": "Europe/Paris", "from": start, "to": end, "queue": None, "exact": exact,
        "figures": [
            {"key": "csat", "label": "CSAT", "value": 87.5, "unit": "percent", "approximate": False},
            {"key": "csat_answers", "label": "CSAT answers", "value": 1234, "unit": "count", "approximate": False},
            {"key": "nps", "label": "NPS", "value": -12.5, "unit": "score", "approximate": False},
            {"key": "first_response_median", "label": "First response, median", "value": 65.4, "unit": "seconds",
             "approximate": approximate},
            {"key": "resolution_p90", "label": "Resolution, p90", "value": None, "unit": "seconds",
             "approximate": approximate},
        ],
        "tables": [{"key": "per_day", "title": "Per day", "columns": per_day_columns,
                    "rows": [[start, 87.5, 65], [end, None, 3725]]},
                   {"key": "per_agent", "title": "Per agent",
                    "columns": [{"key": "agent", "label": "Agent", "unit": "text"},
                                {"key": "csat", "label": "CSAT", "unit": "percent"}],
                    "rows": [["<b>Alice</b>", 50]]}],
        "charts": [{"key": "csat", "title": "CSAT per day", "table": "per_day", "x": "day", "series": ["csat"]}],
    }


STUB_CSV = "Day,CSAT\r\n2026-12-01,87.5\r\n"


def test_a_stubbed_report_is_said_by_unit_charted_and_downloaded_with_the_token(stack_url: str,
                                                                                pages: Pages) -> None:
    sam = watch_desk(pages, stack_url, "sam")
    asked: list[dict[str, Any]] = []

    def answer(route: Route) -> None:
        query = {key: values[0] for key, values in parse_qs(urlsplit(route.request.url).query).items()}
        asked.append({"query": query, "authorization": route.request.headers.get("authorization", "")})
        if query.get("format") == "csv":
            route.fulfill(status=200, body=STUB_CSV, headers={"Content-Type": "text/csv"})
            return
        start, end = query.get("from", "2026-12-06"), query.get("to", "2026-12-06")
        if start > end:
            route.fulfill(status=400, content_type="application/json", body=json.dumps(
                {"code": "bad_request", "message": "from must not be after to", "field": "from"}))
            return
        exact = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).days < 7
        route.fulfill(status=200, content_type="application/json", body=json.dumps(stub_experience(start, end, exact)))

    sam.route("**/tenants/demo/reports/**", answer)
    expect(sam.get_by_test_id("reports-tab")).to_be_visible(timeout=WAIT)
    lazy = ("uPlot", "reports-page", "reports-actions", "reports-chart", "reports.css")
    assert not [path for path in scripts(sam) if any(name in path for name in lazy)]  # not on the first load
    assert axe_violations(sam) == []  # the toggle names no element that is not there yet

    open_reports(sam)
    loaded(sam, "experience")
    assert asked[0]["query"] == {}  # no period yet: the server's today
    expect(sam.get_by_test_id("reports-from")).to_have_value("2026-12-06")
    expect(sam.get_by_test_id("reports-to")).to_have_value("2026-12-06")
    expect(figure(sam, "csat").locator("dd")).to_have_text("87.5 %")
    expect(figure(sam, "csat_answers").locator("dd")).to_have_text("1,234")
    expect(figure(sam, "nps").locator("dd")).to_have_text("\u221212.5")
    expect(figure(sam, "first_response_median").locator("dd")).to_have_text("1 min 05 s")
    expect(figure(sam, "resolution_p90").locator("dd")).to_have_text("—")
    expect(sam.get_by_test_id("reports-note")).to_have_attribute("data-exact", "true")
    expect(sam.get_by_test_id("reports-note")).to_contain_text("Europe/Paris")
    per_day = sam.get_by_test_id("reports-table-per_day")
    expect(per_day.locator("caption")).to_have_text("Per day")
    expect(per_day.locator("tbody tr").nth(1)).to_have_text("2026-12-06—1 h 02 min")
    expect(sam.get_by_test_id("reports-table-per_agent").locator("tbody th")).to_have_text("<b>Alice</b>")
    chart = sam.get_by_test_id("reports-chart-csat")
    expect(chart.get_by_role("img", name="CSAT per day")).to_have_attribute("data-drawn", "true", timeout=WAIT)
    assert "/vendor/uPlot.esm.js" in scripts(sam)
    assert axe_violations(sam) == []

    # Last 7 days, on Paris's clock: exact. Last 30 days: medians and p90 approximate.
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    sam.get_by_test_id("reports-preset-last7").click()
    expect(sam.get_by_test_id("reports-from")).to_have_value((today - timedelta(days=6)).isoformat())
    expect(sam.get_by_test_id("reports-to")).to_have_value(today.isoformat())
    sam.get_by_test_id("reports-preset-last30").click()
    expect(sam.get_by_test_id("reports-note")).to_have_attribute("data-exact", "false", timeout=WAIT)
    assert asked[-1]["query"] == {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    expect(figure(sam, "first_response_median").locator("dd")).to_have_text("≈ 1 min 05 s")
    expect(figure(sam, "csat").locator("dd")).to_have_text("87.5 %")  # shares stay exact
    expect(sam.get_by_test_id("reports-note")).to_contain_text("Approximate beyond 7 days")
    first_day = per_day.locator("tbody tr").nth(0)
    expect(first_day.locator("[data-key=first_response_median]")).to_have_text("≈ 1 min 05 s")
    expect(first_day.locator("[data-key=csat]")).to_have_text("87.5 %")

    # The CSV: fetched with Sam's token, saved under a name that says the view, the table and the period.
    with sam.expect_download() as download:
        sam.get_by_test_id("reports-csv-per_day").click()
    assert asked[-1]["authorization"].startswith("Bearer ")
    assert asked[-1]["query"]["format"] == "csv" and asked[-1]["query"]["table"] == "per_day"
    start = asked[-1]["query"]["from"]
    assert download.value.suggested_filename == f"experience-per_day-{start}_{today.isoformat()}.csv"
    assert Path(download.value.path()).read_bytes().decode("utf-8") == STUB_CSV  # as the server wrote it: CRLF

    # A refused period: the server's message, naming the field, and the focus on that picker.
    sam.get_by_test_id("reports-from").fill("2026-12-09")
    sam.get_by_test_id("reports-to").fill("2026-12-08")
    sam.get_by_test_id("reports-show").click()
    expect(sam.get_by_test_id("reports-error")).to_have_text(
        "Could not load the report: from must not be after to (from).")
    expect(sam.get_by_test_id("reports-from")).to_be_focused()
    expect(sam.get_by_test_id("reports-from")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(sam) == []


def test_an_agent_has_no_reports(stack_url: str, pages: Pages) -> None:
    alice = watch_desk(pages, stack_url, "alice")
    expect(alice.get_by_test_id("status-select")).to_be_visible()
    expect(alice.get_by_test_id("reports-tab")).to_be_hidden()


def test_units_durations_and_presets_on_the_tenants_clock(stack_url: str, pages: Pages) -> None:
    """reports-format.js, run in the browser: what a value says by unit, and the presets' days around midnight in
    Paris and Auckland (docs/reports.md, "Days and time zones")."""
    page = pages.new()
    page.goto(f"{stack_url}/desk")
    said = page.evaluate("""async () => {
        const f = await import('/desk/reports-format.js');
        const at = (iso) => new Date(iso);
        return {
            durations: [0, 0.25, 4.4, 9.96, 59.5, 65, 3599, 3600, 3725, 86400, 90000].map((s) => f.duration(s)),
            values: [f.formatValue(null, 'percent'), f.formatValue(0, 'count'), f.formatValue(0, 'score'),
                     f.formatValue(40, 'score'), f.formatValue(66.666, 'percent'), f.formatValue(12, 'seconds', true),
                     f.formatValue('2026-12-07', 'date'), f.formatValue('=1+1', 'text')],
            paris: ['today', 'yesterday', 'last7', 'last30'].map((p) =>
                f.presetPeriod(p, 'Europe/Paris', at('2026-12-06T23:30:00Z'))),
            auckland: f.presetPeriod('today', 'Pacific/Auckland', at('2026-12-06T11:00:00Z')),
            march: f.presetPeriod('yesterday', 'Europe/Paris', at('2026-03-01T10:00:00Z')),
        };
    }""")
    assert said["durations"] == ["0 s", "0.3 s", "4.4 s", "10 s", "1 min 00 s", "1 min 05 s", "59 min 59 s",
                                 "1 h 00 min", "1 h 02 min", "1 d", "1 d 1 h"]
    assert said["values"] == ["—", "0", "0", "+40", "66.7 %", "≈ 12 s", "2026-12-07", "=1+1"]
    assert said["paris"] == [{"from": "2026-12-07", "to": "2026-12-07"}, {"from": "2026-12-06", "to": "2026-12-06"},
                             {"from": "2026-12-01", "to": "2026-12-07"}, {"from": "2026-11-08", "to": "2026-12-07"}]
    assert said["auckland"] == {"from": "2026-12-07", "to": "2026-12-07"}
    assert said["march"] == {"from": "2026-02-28", "to": "2026-02-28"}
