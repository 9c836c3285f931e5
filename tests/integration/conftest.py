"""Integration fixtures: a real moto server on loopback with the resources of infra/, and a recording @connections
endpoint standing in for API Gateway's management API (real HTTP, real boto3 client)."""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.call_line import line  # noqa: F401 (the call tests' fixture)

ROOT = Path(__file__).resolve().parents[2]
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ConnectionsApi:
    """Records what the app posts to `@connections/{id}`; connections in `gone` answer 410 like API Gateway."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                connection_id = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if connection_id in api.gone:
                    self._answer(410, b'{"message":"Gone"}')
                    return
                with api.lock:
                    api.frames.setdefault(connection_id, []).append(json.loads(body))
                self._answer(200, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, connection_id: str, frame_type: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            found = list(self.frames.get(connection_id, []))
        return [f for f in found if frame_type is None or f.get("type") == frame_type]


@dataclass
class Stack:
    env: dict[str, str]
    connections: ConnectionsApi


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """A moto server with infra/ provisioned; the app's environment points at it for the whole session."""
    from local.moto_server import EmbeddedMoto
    from local.provision import provision

    server = EmbeddedMoto().start()
    endpoint = server.url
    saved = dict(os.environ)
    os.environ.update(FAKE_CREDENTIALS)
    for unsafe in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(unsafe, None)
    connections_api = ConnectionsApi()
    env = provision(ROOT / "infra" / "template.yaml", endpoint, ws_callback_url=connections_api.url)
    env.update({"AWS_ENDPOINT_URL": endpoint, "WS_CALLBACK_URL": connections_api.url})
    os.environ.update(env)
    rewire()
    try:
        yield Stack(env=env, connections=connections_api)
    finally:
        connections_api.server.shutdown()
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        rewire()


def rewire() -> None:
    """Make the app read the environment again (settings, lazy clients, wiring)."""
    from chalicelib import bootstrap
    from chalicelib.adapters import aws as aws_clients
    from chalicelib.settings import settings

    settings.cache_clear()
    aws_clients.forget_clients()
    bootstrap.reset()


@pytest.fixture
def connections_api(stack: Stack) -> ConnectionsApi:
    return stack.connections


@pytest.fixture
def tenant(stack: Stack) -> str:
    """A fresh tenant per test: tests share one table and stay apart by key, as tenants do."""
    from chalicelib import bootstrap
    from chalicelib.services import tenants

    tenant_id = f"t{uuid.uuid4().hex[:10]}"
    tenants.create_tenant(bootstrap.container().deps, tenant_id, "Test Brand")
    return tenant_id



@pytest.fixture
def own_aws(stack: Stack) -> Iterator[str]:
    """A tenant on a moto server of its own, in a process of its own, for the races.

    moto's Query and Scan walk the whole table, so a race of thousands of requests must not share the session's
    table with everything the other tests stored; and a server in its own process (its own interpreter lock) runs
    on one core while the racing threads run on another, as DynamoDB and Lambdas do."""
    import subprocess
    import sys

    from chalicelib import bootstrap
    from chalicelib.services import tenants
    from local.provision import provision

    server = subprocess.Popen([sys.executable, "-m", "local.moto_server"], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        assert endpoint.startswith("http://"), endpoint
        env = provision(ROOT / "infra" / "template.yaml", endpoint, ws_callback_url=stack.connections.url)
        env.update({"AWS_ENDPOINT_URL": endpoint, "WS_CALLBACK_URL": stack.connections.url})
        os.environ.update(env)
        rewire()
        tenant_id = f"t{uuid.uuid4().hex[:10]}"
        tenants.create_tenant(bootstrap.container().deps, tenant_id, "Test Brand")
        yield tenant_id
    finally:
        os.environ.update(stack.env)
        rewire()
        server.terminate()
        server.wait(timeout=10)


PACKAGE_TESTS = "tests/integration/test_package.py::"


def pytest_collection_finish(session: pytest.Session) -> None:
    """When the packaging tests are to run, their first `chalice package` starts now, beside the other tests."""
    if session.config.option.collectonly or os.environ.get("GUICHET_BACKGROUND_CHILD"):
        return
    if any(item.nodeid.startswith(PACKAGE_TESTS) for item in session.items):
        from tests.integration import test_package

        test_package.package_early()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A packaging started early and never waited for (its tests deselected or the run stopped) ends here."""
    import shutil
    import sys

    module = sys.modules.get("tests.integration.test_package")
    for process, out in getattr(module, "_early", {}).values():
        process.kill()
        process.wait()
        shutil.rmtree(out, ignore_errors=True)
