"""The weights `--shard` deals test files by (tests/conftest.py): each file's seconds in a measured run.

    python -m tests.shard_weights run.log [more.log ...]

reads pytest's `--durations=0` report(s) (every setup, call and teardown of a run, e.g.
`pytest tests/e2e -q --durations=0 > run.log`), adds each file's times up, and prints tests/shard_weights.json with
those files' weights replaced (the others kept), for a commit after tests got much heavier or lighter. Only ratios
matter: a loaded machine's seconds are as good as an idle one's, if the whole folder was measured in the same run.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "shard_weights.json"
_LINE = re.compile(r"^(\d+(?:\.\d+)?)s (?:setup|call|teardown)\s+(\S+?)::")


def file_seconds(report: str) -> dict[str, float]:
    """Each test file's seconds in a `--durations=0` report."""
    seconds: dict[str, float] = defaultdict(float)
    for line in report.splitlines():
        match = _LINE.match(line.strip())
        if match:
            seconds[match.group(2)] += float(match.group(1))
    return {path: round(total, 1) for path, total in sorted(seconds.items())}


def main(logs: list[str]) -> None:
    weights: dict[str, float] = json.loads(WEIGHTS.read_text()) if WEIGHTS.exists() else {}
    for log in logs:
        weights.update(file_seconds(Path(log).read_text(errors="replace")))
    print(json.dumps(dict(sorted(weights.items())), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
