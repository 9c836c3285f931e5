"""e2e fixtures: the real local stack (`python -m local`) in a subprocess, and Debian's chromium driven by
Playwright (never a downloaded browser)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.e2e.helpers import Pages

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
DEMO_PASSWORD = "Guichet-demo-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalStack:
    """`python -m local` in a subprocess on a free port; stopped with Ctrl-C, which must exit 0.

    Creating one only launches the process; `wait_until_up()` waits for its /health, so that a stack can boot in the
    background while another test runs."""

    def __init__(self, log_dir: Path, settings: dict[str, object] | None = None) -> None:
        port = _free_port()
        self.settings: dict[str, object] = dict(settings or {})
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1",
               "GUICHET_DEMO_SETTINGS": json.dumps(self.settings)}
        self.log_path = log_dir / f"local-stack-{port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        self._interrupted = False

    def wait_until_up(self) -> str:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        return self.url
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local stack did not start: see {self.log_path}")
            time.sleep(0.1)

    def interrupt(self) -> None:
        """Ctrl-C (once: a second one would cut the clean stop short), without waiting: `stop()` later checks that
        it exited 0."""
        if not self._interrupted and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self._interrupted = True

    def stop(self) -> None:
        self.interrupt()
        try:
            assert self.process.wait(timeout=20) == 0, \
                f"the local stack did not stop cleanly on Ctrl-C: see {self.log_path}"
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._log.close()


def _settings_key(settings: dict[str, object]) -> str:
    return json.dumps(settings, sort_keys=True)


class StackPool:
    """Stacks for the whole session: each test still gets a fresh stack of its own, but a finished test's stack is
    stopped (Ctrl-C) without waiting for it (about 2.5 s each): every stack's clean exit is checked when the session
    ends. Optionally (LOOKAHEAD), the stacks that the next tests will ask for (known from the collected items and
    their `demo_settings` marks) boot in the background while the current test runs."""

    # Stacks booting ahead of need (0: none). Off by default: on a machine already short of CPU, a stack booting
    # next to a test made the first request of a test without agents (the widget's start_conversation) miss its
    # 5-second expect in test_live_chat_widget.py; try it with GUICHET_E2E_BOOT_AHEAD=1 on a quiet machine.
    LOOKAHEAD = int(os.environ.get("GUICHET_E2E_BOOT_AHEAD", "0"))

    def __init__(self, log_dir: Path, session: pytest.Session) -> None:
        self.log_dir = log_dir
        self.session = session
        self.spares: dict[str, list[LocalStack]] = {}
        self.stopping: list[LocalStack] = []
        self.shared: LocalStack | None = None

    def take(self, settings: dict[str, object], node: pytest.Item | None = None) -> LocalStack:
        """A stack with these demo settings that no test used yet, up; then start booting the next ones."""
        waiting = self.spares.get(_settings_key(settings), [])
        stack = waiting.pop(0) if waiting else LocalStack(self.log_dir, settings)
        if node is not None:
            self._boot_ahead(node)
        try:
            stack.wait_until_up()
        except BaseException:
            self.stopping.append(stack)
            raise
        return stack

    def release(self, stack: LocalStack) -> None:
        stack.interrupt()
        self.stopping.append(stack)

    def _boot_ahead(self, node: pytest.Item) -> None:
        items = self.session.items
        if node not in items:
            return
        needed: dict[str, int] = {}
        shared_needed = self.shared is None
        for item in items[items.index(node) + 1:]:
            if sum(needed.values()) >= self.LOOKAHEAD:
                break
            fixtures = getattr(item, "fixturenames", ())
            if "start_stack" in fixtures:
                key = _settings_key(stack_settings(item))
                needed[key] = needed.get(key, 0) + 1
            if "stack_url" in fixtures and shared_needed:
                shared_needed = False
                needed[_settings_key({})] = needed.get(_settings_key({}), 0) + 1
        for key, count in needed.items():
            spares = self.spares.setdefault(key, [])
            while len(spares) < count:
                spares.append(LocalStack(self.log_dir, json.loads(key)))

    def close(self) -> None:
        for spares in self.spares.values():
            self.stopping.extend(spares)
            for stack in spares:
                stack.interrupt()
        unclean = []
        for stack in self.stopping:
            try:
                stack.stop()
            except AssertionError as failed:
                unclean.append(str(failed))
        assert not unclean, "\n".join(unclean)


def stack_settings(item: pytest.Item) -> dict[str, object]:
    """The demo settings a test's own stack is started with: its `demo_settings` mark, e.g.
    `@pytest.mark.demo_settings(acceptance_seconds=5)`, or none."""
    mark = item.get_closest_marker("demo_settings")
    return dict(mark.kwargs) if mark else {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo_settings(**settings): GUICHET_DEMO_SETTINGS of the test's own stack")


@pytest.fixture(scope="session")
def stack_pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackPool]:
    pool = StackPool(tmp_path_factory.mktemp("stacks"), request.session)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def stack_url(stack_pool: StackPool) -> Iterator[str]:
    """One stack with the demo's default settings, shared by tests that do not depend on agents' state."""
    stack = stack_pool.shared = stack_pool.take({})
    yield stack.url
    stack_pool.release(stack)


@pytest.fixture
def start_stack(request: pytest.FixtureRequest, stack_pool: StackPool) -> Iterator[Callable[..., str]]:
    """start_stack(): a fresh stack for this test alone, with the demo settings of its `demo_settings` mark (e.g. a
    5-second acceptance interval); start_stack(**settings) starts one with those settings instead."""
    started: list[LocalStack] = []

    def start(**settings: object) -> str:
        stack = stack_pool.take(settings or stack_settings(request.node), request.node)
        started.append(stack)
        return stack.url

    yield start
    for stack in started:
        stack_pool.release(stack)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    """Browser pages in contexts of their own, closed after the test (see helpers.Pages)."""
    opened = Pages(browser)
    yield opened
    opened.close()
