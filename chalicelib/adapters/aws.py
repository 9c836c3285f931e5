"""Lazy boto3 clients, created on first use so that a cold start pays only for what it calls."""

from __future__ import annotations

import threading
from typing import Any

#: Kept-alive connections per client. A Lambda container serves one request at a time, but the local stack and the
#: races run many threads in one process: a smaller pool would open (and close) a connection per request beyond it.
POOL_CONNECTIONS = 64

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}
_sessions: list[Any] = []


def client(service: str, endpoint_url: str | None = None) -> Any:
    key = (service, endpoint_url)
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key)
            if found is None:
                import boto3  # deferred: importing boto3 is most of a cold start
                from botocore.config import Config

                if not _sessions:  # one session: each would load botocore's endpoints and models again
                    _sessions.append(boto3.session.Session())
                found = _sessions[0].client(
                    service, endpoint_url=endpoint_url, config=Config(max_pool_connections=POOL_CONNECTIONS))
                _clients[key] = found
    return found


def forget_clients() -> None:
    """Drop every client made so far, the shared DynamoDB one included, so that the next use makes them again (the
    integration tests after changing the environment, and the benches that hook botocore's client creation)."""
    from chalicelib.adapters.dynamodb.table import forget_connection

    with _lock:
        _clients.clear()
        _sessions.clear()
    forget_connection()


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
