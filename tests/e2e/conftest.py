"""e2e fixtures: the real local stack (`python -m local`) in a subprocess, reset between tests rather than rebooted
(see StackPool), and Debian's chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.e2e.helpers import DEMO_PASSWORD as DEMO_PASSWORD  # where the tests have always found it
from tests.e2e.helpers import Pages

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    # A fake microphone (the softphone, issue 14): getUserMedia answers once a context grants the permission.
    "--use-fake-device-for-media-stream",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalStack:
    """`python -m local` in a subprocess on a free port; stopped with Ctrl-C, which must exit 0.

    Started with `GUICHET_LOCAL_RESET=1` (unless `resettable=False`), so that `reset()` can bring it back to the
    state of a fresh start with other demo settings (see local/reset.py). Creating one only launches the process;
    `wait_until_up()` waits for its /health."""

    def __init__(self, log_dir: Path, settings: dict[str, object] | None = None, *, resettable: bool = True) -> None:
        port = _free_port()
        self.settings: dict[str, object] = dict(settings or {})
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1",
               "GUICHET_DEMO_SETTINGS": json.dumps(self.settings)}
        env.pop("GUICHET_LOCAL_RESET", None)
        if resettable:
            env["GUICHET_LOCAL_RESET"] = "1"
        self.log_path = log_dir / f"local-stack-{port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        self.interrupted = False

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

    @property
    def aws_endpoint(self) -> str:
        """The stack's embedded moto, as its start-up banner prints it (tests look at queues and schedules there)."""
        found = re.search(r"moto \(AWS\)\s+(\S+)", self.log_path.read_text())
        assert found, f"no moto endpoint in {self.log_path}"
        return found.group(1)

    def reset(self, settings: dict[str, object]) -> None:
        """Back to the state of a fresh start with these demo settings (`POST /__local__/reset`); fails loudly."""
        request = urllib.request.Request(f"{self.url}/__local__/reset", method="POST",
                                         data=json.dumps(settings).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                body = json.loads(answer.read())
        except urllib.error.HTTPError as failed:
            raise RuntimeError(f"the reset of {self.url} failed ({failed.code}): {failed.read().decode()}; "
                               f"see {self.log_path}") from failed
        assert body == {"status": "reset"}, body
        self.settings = dict(settings)

    def interrupt(self) -> None:
        """Ctrl-C (once: a second one would cut the clean stop short), without waiting: `stop()` later checks that
        it exited 0."""
        if not self.interrupted and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.interrupted = True

    def stop(self) -> None:
        self.interrupt()
        try:
            assert self.process.wait(timeout=20) == 0, \
                f"the local stack did not stop cleanly on Ctrl-C: see {self.log_path}"
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._log.close()


class StackPool:
    """Warm stacks for the whole session, reset rather than rebooted.

    Each test that asks for a fresh stack (`start_stack`) gets one that no other test holds, in the state of a
    fresh start with its demo settings: an idle stack that an earlier test released is reset
    (`POST /__local__/reset`, a fraction of a second) instead of a new `python -m local` being booted (6-9 s of
    CPU). A stack is booted only when none is idle (the first test, or a test holding two). Released stacks wait
    in the pool; all of them are stopped with Ctrl-C at the end of the session, and each must exit 0.

    Why it is safe: the reset happens when the next test takes the stack, after the previous test's teardown
    (its browser contexts and sockets closed), and it answers only once the stack is as freshly started: timer
    pump paused, every WebSocket closed and its $disconnect handled, timer queue and schedules emptied, outbox
    forgotten, table recreated, the app's caches dropped and the demo seeded again with the same logins and agent
    ids (tests/e2e/test_local_reset.py checks it). A failed reset fails the test and the stack is not reused."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.idle: list[LocalStack] = []
        self.every: list[LocalStack] = []

    def take(self, settings: dict[str, object]) -> LocalStack:
        """A stack that no test holds, as freshly started with these demo settings."""
        if self.idle:
            stack = self.idle.pop()
            try:
                stack.reset(settings)
            except BaseException:
                stack.interrupt()  # not reused; its clean exit is still checked at the end
                raise
            return stack
        stack = LocalStack(self.log_dir, settings)
        self.every.append(stack)
        stack.wait_until_up()
        return stack

    def release(self, stack: LocalStack) -> None:
        if not stack.interrupted:
            self.idle.append(stack)

    def close(self) -> None:
        for stack in self.every:
            stack.interrupt()
        unclean = []
        for stack in self.every:
            try:
                stack.stop()
            except AssertionError as failed:
                unclean.append(str(failed))
        assert not unclean, "\n".join(unclean)


#: The demo tenant of the browser tests asks no GDPR consent (ASYNC-6, on by default) unless a test's mark says so:
#: the consent step has its own tests (test_widget_async.py: nothing is sent before "I agree"); in every other test it
#: would only be one more click before the first message. The WebSocket clients send `consent: true` anyway.
BASE_SETTINGS: dict[str, object] = {"consent_required": False}


def stack_settings(item: pytest.Item) -> dict[str, object]:
    """The demo settings a test's own stack is started with: BASE_SETTINGS with its `demo_settings` mark, e.g.
    `@pytest.mark.demo_settings(acceptance_seconds=5)`, applied over them."""
    mark = item.get_closest_marker("demo_settings")
    return {**BASE_SETTINGS, **(mark.kwargs if mark else {})}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo_settings(**settings): GUICHET_DEMO_SETTINGS of the test's own stack")


@pytest.fixture(scope="session")
def stack_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackPool]:
    pool = StackPool(tmp_path_factory.mktemp("stacks"))
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def stack_url(stack_pool: StackPool) -> Iterator[str]:
    """One stack with the demo's default settings, shared by tests that do not depend on agents' state (taken from
    the pool for the whole session, never reset meanwhile)."""
    stack = stack_pool.take(dict(BASE_SETTINGS))
    yield stack.url
    stack_pool.release(stack)


@pytest.fixture
def start_stack(request: pytest.FixtureRequest, stack_pool: StackPool) -> Iterator[Callable[..., str]]:
    """start_stack(): a fresh stack for this test alone, with the demo settings of its `demo_settings` mark (e.g. a
    5-second acceptance interval); start_stack(**settings) gives one with those settings instead. "Fresh": a warm
    stack of the pool reset to that state, or a new one (see StackPool)."""
    started: list[LocalStack] = []

    def start(**settings: object) -> str:
        stack = stack_pool.take({**BASE_SETTINGS, **settings} if settings else stack_settings(request.node))
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
