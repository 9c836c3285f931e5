"""Runs the long races in the background while the rest of the suite runs, and splits the suite into shards.

`--shard i/n` keeps the test files of shard i of n: `make test` runs the suite as several pytest processes at once
(two cores are busier that way than with one process waiting on its moto server, stack or browser). Files are dealt
to the shards heaviest first, each to the lightest shard so far, by their weights in tests/shard_weights.json (the
seconds a file took in a measured run; a file not listed weighs the median of its folder's), so every process gets
the same set on every machine and the shards end together.

A test marked `background` (the routing race: several minutes of CPU on a moto server of its own) is started at
once in a child pytest, niced a little so that the browser tests keep their timing, and its result is awaited where the
test stands in the run (moved last). Run alone, in a shard (`--shard`: `make test` runs several processes already),
or with GUICHET_FOREGROUND=1, it runs in this process as usual.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHILD = "GUICHET_BACKGROUND_CHILD"
_children: dict[str, subprocess.Popen[str]] = {}


def _log_of(nodeid: str) -> Path:
    """Each background test's own output file (two children writing one file would mix their failures)."""
    name = "".join(c if c.isalnum() else "-" for c in nodeid.rsplit("::", 1)[-1])
    return ROOT / f".pytest-background-{name}.log"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shard", default=None, metavar="I/N",
                     help="run only the test files of shard I of N (balanced by tests/shard_weights.json)")


def shard_of_files(files: list[str], weights: dict[str, float], count: int) -> dict[str, int]:
    """Each file's shard (0-based): heaviest first, each to the lightest shard so far (ties: the lower shard)."""
    def weight(path: str) -> float:
        if path in weights:
            return weights[path]
        folder = [w for f, w in weights.items() if f.rsplit("/", 1)[0] == path.rsplit("/", 1)[0]]
        return statistics.median(folder) if folder else 1.0

    loads = [0.0] * count
    shards: dict[str, int] = {}
    for path in sorted(files, key=lambda f: (-weight(f), f)):
        shard = min(range(count), key=lambda n: (loads[n], n))
        shards[path] = shard
        loads[shard] += weight(path)
    return shards


def _keep_shard(config: pytest.Config, items: list[pytest.Item]) -> None:
    option = config.getoption("--shard")
    if not option:
        return
    try:
        index, count = (int(part) for part in str(option).split("/"))
    except ValueError:
        raise pytest.UsageError(f"--shard must look like 1/2, not {option!r}") from None
    if not 1 <= index <= count:
        raise pytest.UsageError(f"--shard {option}: the shard must be from 1 to {count}")
    weights = json.loads((ROOT / "tests" / "shard_weights.json").read_text())
    files = sorted({item.nodeid.split("::", 1)[0] for item in items})
    shards = shard_of_files(files, weights, count)
    mine = [shards[item.nodeid.split("::", 1)[0]] == index - 1 for item in items]
    config.hook.pytest_deselected(items=[item for item, kept in zip(items, mine, strict=True) if not kept])
    items[:] = [item for item, kept in zip(items, mine, strict=True) if kept]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _keep_shard(config, items)
    if (os.environ.get(CHILD) or os.environ.get("GUICHET_FOREGROUND") or config.option.collectonly
            or config.getoption("--shard")):
        return  # a shard is already one of several processes: its long races run in it, weighed in full
    background = [item for item in items if item.get_closest_marker("background")]
    if not background or len(background) == len(items):
        return
    for item in background:
        log = open(_log_of(item.nodeid), "w")  # noqa: SIM115 - handed to the child, closed at exit
        _children[item.nodeid] = subprocess.Popen(
            [sys.executable, "-m", "pytest", item.nodeid, "-q", "-p", "no:cacheprovider"], cwd=ROOT,
            env={**os.environ, CHILD: "1"}, stdout=log, stderr=subprocess.STDOUT, text=True,
            preexec_fn=lambda: os.nice(5))
    items[:] = [item for item in items if item not in background] + background


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.nodeid in _children:
        item.fixturenames = []  # type: ignore[attr-defined]  # the child sets up its own fixtures


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    child = _children.get(pyfuncitem.nodeid)
    if child is None:
        return None
    code = child.wait()
    output = _log_of(pyfuncitem.nodeid).read_text()
    if code != 0:
        pytest.fail(f"the background run of {pyfuncitem.nodeid} failed (exit {code}):\n{output[-20000:]}",
                    pytrace=False)
    return True
