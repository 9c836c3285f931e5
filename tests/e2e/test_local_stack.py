"""`make run`'s process: it starts, serves the pages, stops cleanly on Ctrl-C, and starts again on the same port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

from tests.e2e.conftest import ROOT, _free_port


def _start(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PORT": str(port)}
    return subprocess.Popen([sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else "exited"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the local stack did not come up")


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode()
    return output.decode()


def test_ctrl_c_stops_the_stack_cleanly_and_a_second_start_works() -> None:
    port = _free_port()
    for _ in range(2):
        process = _start(port)
        try:
            _wait_until_up(process, f"http://127.0.0.1:{port}/")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/desk", timeout=5) as desk:
                assert b"<html" in desk.read().lower()
        finally:
            output = _stop(process) if process.poll() is None else ""
        assert "alice" in output and "Guichet-demo-1" in output  # the demo logins are printed
