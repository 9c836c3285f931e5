"""``python -m bench``: run the benches, write bench/results.json, print each figure (the headline last)."""

from __future__ import annotations

import json
import operator
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bench import (
    admin_bench,
    async_bench,
    call_controls_bench,
    callback_bench,
    chat_bench,
    front_bench,
    import_bench,
    message_bench,
    report_bench,
    routing_bench,
)

RESULTS = Path(__file__).resolve().parent / "results.json"
HEADLINE = "message.dynamodb_requests"

# figure -> (comparison, bound); a miss is flagged, never fails the run
TARGETS: dict[str, tuple[str, float]] = {
    "message.dynamodb_requests": ("<=", 2),
    "message.dynamodb_wcu": ("<=", 1),
    "message.posts_per_recipient_connection": ("==", 1),
    "routing.requests_per_decision.spread": ("==", 0),
    "import.ratio_to_boto3": ("<=", 1.0),
    "async.emails_per_reply_burst": ("==", 1),
    "widget.first_load_gzip_bytes": ("<=", 8000),
    "callback.dynamodb_requests_per_booking": ("<=", 3),
    "callback.overbooked": ("==", 0),
    "reports.read_365_days_over_90_days": ("<=", 4),  # issue 15: a year's report costs a quarter's plus 4 at most
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, "==": operator.eq}


def _fmt(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main() -> int:
    # The import bench runs first, in children that see the same environment as the Lambda would locally.
    env = dict(os.environ)
    env.update(message_bench.FAKE_CREDENTIALS)
    figures: dict[str, float] = {}
    figures.update(import_bench.run(env))
    notes: list[str] = []
    for bench in (message_bench, chat_bench, async_bench, callback_bench, call_controls_bench, report_bench,
                  admin_bench, routing_bench, front_bench):
        result = bench.run()
        figures.update(result.figures)
        notes.extend(result.notes)

    ordered = dict(sorted(figures.items(), key=lambda kv: (kv[0] == HEADLINE, kv[0])))
    RESULTS.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")

    for note in notes:
        print(f"# {note}")
    misses = []
    parts = []
    for name, (op, bound) in TARGETS.items():
        ok = _COMPARE[op](figures[name], bound)
        parts.append(f"{name} {op} {bound:g} ({'ok' if ok else 'MISS'})")
        if not ok:
            misses.append(name)
    for name, value in ordered.items():
        if name != HEADLINE:
            print(f"{name}: {_fmt(value)}")
    print("targets: " + "; ".join(parts))
    if misses:
        print("# missed targets: " + ", ".join(misses))
    print(f"{HEADLINE}: {_fmt(ordered[HEADLINE])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
