"""The fuzz stage: one local stack of its own for tests/fuzz, its seed printed at the start and in the summary, and
the time each part took."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from tests.e2e.conftest import LocalStack
from tests.fuzz.support import REACHED, SEED, Demo, open_demo

HERE = Path(__file__).resolve().parent
# No example database (every test says database=None); Hypothesis' other caches (its Unicode tables) go to the
# temporary directory rather than a .hypothesis/ in the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "guichet-hypothesis")
_spent: dict[str, float] = {}


def _is_fuzz(item: pytest.Item) -> bool:
    return Path(str(item.path)).resolve().parent == HERE


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(_is_fuzz(item) for item in session.items):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"fuzz seed: {SEED} (replay: GUICHET_FUZZ_SEED={SEED} .venv/bin/pytest tests/fuzz -q)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    started = time.monotonic()
    try:
        return (yield)
    finally:
        if _is_fuzz(item):
            name = Path(str(item.path)).stem
            _spent[name] = _spent.get(name, 0.0) + time.monotonic() - started


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _spent:
        parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in sorted(_spent.items()))
        terminalreporter.write_line(f"fuzz seed: {SEED}; fuzz time {sum(_spent.values()):.0f} s ({parts}); "
                                    f"replay: GUICHET_FUZZ_SEED={SEED} .venv/bin/pytest tests/fuzz -q")
    if REACHED:
        terminalreporter.write_line("fuzz answers: " + ", ".join(f"{key} {n}" for key, n in sorted(REACHED.items())))


@pytest.fixture(scope="session")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A local stack of the fuzz's own, with the demo's default settings (GDPR consent asked), no reset route."""
    stack = LocalStack(tmp_path_factory.mktemp("fuzz"), resettable=False)
    try:
        stack.wait_until_up()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def demo(fuzz_stack: LocalStack) -> Demo:
    return open_demo(fuzz_stack.url, fuzz_stack.log_path)
