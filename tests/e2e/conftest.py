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
    """`python -m local` in a subprocess on a free port; stopped with Ctrl-C, which must exit 0."""

    def __init__(self, log_dir: Path, settings: dict[str, object] | None = None) -> None:
        port = _free_port()
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1",
               "GUICHET_DEMO_SETTINGS": json.dumps(settings or {})}
        self.log_path = log_dir / f"local-stack-{port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local stack did not start: see {self.log_path}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                assert self.process.wait(timeout=20) == 0, "the local stack did not stop cleanly on Ctrl-C"
            finally:
                if self.process.poll() is None:
                    self.process.kill()
        self._log.close()


@pytest.fixture(scope="session")
def stack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One stack with the demo's default settings, shared by tests that do not depend on agents' state."""
    stack = LocalStack(tmp_path_factory.mktemp("stack"))
    yield stack.url
    stack.stop()


@pytest.fixture
def start_stack(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """A fresh stack for one test, with demo settings of its own (e.g. a 5-second acceptance interval)."""
    started: list[LocalStack] = []

    def start(**settings: object) -> str:
        stack = LocalStack(tmp_path, settings)
        started.append(stack)
        return stack.url

    yield start
    for stack in started:
        stack.stop()


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
