"""CSV export rules (docs/reports.md, "CSV export"): RFC 4180 records, times with the tenant's offset, durations in
whole seconds, and formula injection escaped. The output is read back with the csv module to prove it round-trips."""

from __future__ import annotations

import csv as std_csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.reports.csv import Cell, cell, escape_text, to_csv, whole_seconds

PARIS, AUCKLAND = ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Auckland")

ESCAPE_CASES = [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+33 6 12", "'+33 6 12"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("\0x", "'\0x"),
    ("Resolved", "Resolved"),
    ("a=b", "a=b"),  # only the first character matters
    (" =1", " =1"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), ESCAPE_CASES, ids=[repr(t) for t, _ in ESCAPE_CASES])
def test_formula_starts_are_escaped_with_a_single_quote(text: str, expected: str) -> None:
    assert escape_text(text) == expected


CELL_CASES: list[tuple[str, Cell, ZoneInfo, str]] = [
    ("a UTC time on the Paris clock, winter", datetime(2026, 12, 6, 23, 30, tzinfo=UTC), PARIS,
     "2026-12-07T00:30:00+01:00"),
    ("the same instant on the Auckland clock", datetime(2026, 12, 6, 23, 30, tzinfo=UTC), AUCKLAND,
     "2026-12-07T12:30:00+13:00"),
    ("summer time's offset", datetime(2026, 3, 29, 1, 0, 0, 999_999, tzinfo=UTC), PARIS,
     "2026-03-29T03:00:00+02:00"),
    ("a date", date(2026, 12, 7), PARIS, "2026-12-07"),
    ("a duration in whole seconds", timedelta(minutes=2, seconds=5), PARIS, "125"),
    ("half a second rounds up", timedelta(seconds=89.5), PARIS, "90"),
    ("just under half rounds down", timedelta(seconds=89, microseconds=499_999), PARIS, "89"),
    ("a negative number is a number, not a formula", -5, PARIS, "-5"),
    ("a share", 62.5, PARIS, "62.5"),
    ("a boolean", True, PARIS, "true"),
    ("nothing", None, PARIS, ""),
    ("text from people is escaped", "-cmd", PARIS, "'-cmd"),
]


@pytest.mark.parametrize(("value", "zone", "text"), [(v, z, t) for _, v, z, t in CELL_CASES],
                         ids=[c[0] for c in CELL_CASES])
def test_cells(value: Cell, zone: ZoneInfo, text: str) -> None:
    assert cell(value, zone) == text


def test_whole_seconds_of_long_and_negative_durations() -> None:
    assert whole_seconds(timedelta(days=3, seconds=1)) == 259_201
    assert whole_seconds(timedelta(seconds=-1.5)) == -1  # half up, toward +inf


def test_rfc_4180_records_end_with_crlf_and_quote_what_needs_it() -> None:
    text = to_csv(["agent", "note", "closed at", "handle"],
                  [["Dupont, Ann", 'said "hi"', datetime(2026, 12, 7, 9, 0, tzinfo=UTC), timedelta(seconds=61)],
                   ["Bob", "line 1\nline 2", None, timedelta(0)],
                   ["=cmd|' /C calc'!A0", "ok", None, None]], PARIS)
    assert text == ('agent,note,closed at,handle\r\n'
                    '"Dupont, Ann","said ""hi""",2026-12-07T10:00:00+01:00,61\r\n'
                    'Bob,"line 1\nline 2",,0\r\n'
                    "'=cmd|' /C calc'!A0,ok,,\r\n")
    rows = list(std_csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == ["Dupont, Ann", 'said "hi"', "2026-12-07T10:00:00+01:00", "61"]
    assert rows[2][1] == "line 1\nline 2"


def test_a_carriage_return_first_is_escaped_and_quoted() -> None:
    assert to_csv(["x"], [["\rcmd"]], PARIS) == "x\r\n\"'\rcmd\"\r\n"


def test_rows_must_match_the_header_and_times_carry_a_zone() -> None:
    with pytest.raises(ValueError):
        to_csv(["a", "b"], [["only one"]], PARIS)
    with pytest.raises(ValueError):
        cell(datetime(2026, 12, 7, 9, 0), PARIS)
