"""Runs the long races in the background while the rest of the suite runs.

A test marked `background` (the routing race: several minutes of CPU on a moto server of its own) is started at
once in a child pytest, niced a little so that the browser tests keep their timing, and its result is awaited where the
test stands in the run (moved last). Run alone, or with GUICHET_FOREGROUND=1, it runs in this process as usual.
"""

from __future__ import annotations

import os
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(CHILD) or os.environ.get("GUICHET_FOREGROUND") or config.option.collectonly:
        return
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
