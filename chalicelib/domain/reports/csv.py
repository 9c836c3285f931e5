"""CSV export of a report's table (issue 15; research M2.7 [X1][X2]).

- RFC 4180: records end with CRLF; a field holding a comma, a double quote, CR or LF is enclosed in double quotes
  and its double quotes doubled (Python's csv module with QUOTE_MINIMAL and a "\\r\\n" line terminator does exactly
  this). The first record is the header.
- Times: ISO 8601 on the tenant's clock with its offset, to the second (2026-03-29T03:00:00+02:00), so a
  spreadsheet and a person read the same day the report shows.
- Durations (timedelta): whole seconds, rounded half up (89.5 s -> 90).
- Formula injection (OWASP "CSV Injection": = + - @ tab CR; ASVS 1.2.10 [X2] adds NUL): a text cell whose first
  character is = + - @, a tab, a carriage return or a NUL is prefixed with a single quote, so a spreadsheet
  shows it as text instead of running it. Numbers are written as numbers (-5 stays -5): only text comes from
  people (names, dispositions, notes).
"""

from __future__ import annotations

import csv as _csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

#: The first characters that make a spreadsheet read a cell as a formula or a command.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")

Cell = str | int | float | bool | datetime | date | timedelta | None


def escape_text(text: str) -> str:
    """`text` made safe to open in a spreadsheet: a single quote before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def whole_seconds(duration: timedelta) -> int:
    """A duration in whole seconds, rounded half up (never the float's binary rounding of .5)."""
    micros = (duration.days * 86_400 + duration.seconds) * 1_000_000 + duration.microseconds
    return (micros + 500_000) // 1_000_000


def cell(value: Cell, zone: ZoneInfo) -> str:
    """One value as the text of its cell."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("a cell's number must be finite")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("times in a report are aware")
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(whole_seconds(value))
    return escape_text(value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]], zone: ZoneInfo) -> str:
    """The table as RFC 4180 text: the header, then one record per row, every record ending with CRLF."""
    out = io.StringIO()
    writer = _csv.writer(out, lineterminator="\r\n", quoting=_csv.QUOTE_MINIMAL)
    writer.writerow([escape_text(name) for name in header])
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row has {len(row)} cells, the header {len(header)}")
        writer.writerow([cell(value, zone) for value in row])
    return out.getvalue()
