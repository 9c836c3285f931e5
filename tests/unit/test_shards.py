"""How `make test` splits the suite (tests/conftest.py `--shard`, tests/shard_weights.py): every file in exactly one
shard, heaviest first to the lightest shard, the same split on every run, and the weights read from pytest's report."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import shard_of_files
from tests.shard_weights import WEIGHTS, file_seconds


def test_files_are_dealt_heaviest_first_to_the_lightest_shard() -> None:
    weights = {"t/a.py": 10.0, "t/b.py": 7.0, "t/c.py": 5.0, "t/d.py": 4.0, "t/e.py": 1.0}
    shards = shard_of_files(sorted(weights), weights, 2)
    assert shards == {"t/a.py": 0, "t/b.py": 1, "t/c.py": 1, "t/d.py": 0, "t/e.py": 1}  # 14 and 13
    assert shard_of_files(list(reversed(sorted(weights))), weights, 2) == shards  # the order given changes nothing


def test_a_file_without_a_weight_weighs_its_folders_median() -> None:
    weights = {"t/e2e/a.py": 30.0, "t/e2e/b.py": 20.0, "t/e2e/c.py": 2.0, "t/unit/x.py": 0.5}
    shards = shard_of_files(["t/e2e/a.py", "t/e2e/b.py", "t/e2e/c.py", "t/e2e/new.py"], weights, 2)
    assert shards == {"t/e2e/a.py": 0, "t/e2e/b.py": 1, "t/e2e/new.py": 1, "t/e2e/c.py": 0}  # new weighs 20


def test_every_file_of_the_suite_has_one_shard_of_n() -> None:
    weights = json.loads(WEIGHTS.read_text())
    files = sorted(str(p.relative_to(WEIGHTS.parents[1])) for p in Path(WEIGHTS.parent).rglob("test_*.py"))
    for count in (1, 2, 3):
        shards = shard_of_files(files, weights, count)
        assert sorted(shards) == files and set(shards.values()) == set(range(count))


def test_a_durations_report_gives_each_files_seconds() -> None:
    report = """============================= slowest durations =============================
12.50s call     tests/e2e/test_a.py::test_one
0.50s setup    tests/e2e/test_a.py::test_one
2.00s call     tests/e2e/test_b.py::test_two[param::x]
0.25s teardown tests/e2e/test_a.py::test_two
(12 durations < 0.005s hidden.  Use -vv to show these durations.)
3 passed in 20.00s"""
    assert file_seconds(report) == {"tests/e2e/test_a.py": 13.2, "tests/e2e/test_b.py": 2.0}
