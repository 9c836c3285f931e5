"""The embedded AWS: moto's server on loopback (one request at a time, see local/moto_server.py), provisioned
from ``infra/template.yaml``.

Why a real HTTP server rather than ``mock_aws``: the app's boto3/PynamoDB clients, the timer pump and any
external tool (aws cli, a browser hitting the Cognito JWKS URL) must all see the SAME state from several
threads; a server on 127.0.0.1 gives that, and ``AWS_ENDPOINT_URL`` points every SDK client at it without any
code change in the app. It runs in-process, so the outbox can read moto's SES backend directly.

Order matters: the env vars returned by provisioning must be in ``os.environ`` BEFORE ``app`` is imported,
because the app's settings and lazy clients read them once.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from local.moto_server import EmbeddedMoto

if TYPE_CHECKING:
    from local.provision import ProvisionResult

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "infra" / "template.yaml"

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# Variables that could make boto3 pick real credentials or another config instead of the fake ones.
_UNSAFE_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def use_fake_credentials(region: str = "us-east-1") -> None:
    """Point boto3 at fake credentials so no local run can ever touch a real AWS account."""
    for name in _UNSAFE_ENV:
        os.environ.pop(name, None)
    os.environ.update(_FAKE_ENV)
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region


def callback_env(gateway_port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """Env vars that send ``@connections`` calls to the local gateway instead of moto (which has no such API)."""
    url = f"http://{host}:{gateway_port}"
    # The service-specific variable also covers clients built without an explicit endpoint_url.
    return {"WS_CALLBACK_URL": url, "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": url}


LOCAL_REPLY_DOMAIN = "reply.guichet.local"


class EmbeddedAws:
    """Owns the moto server's lifecycle; ``start()`` binds a free port so a second run never collides."""

    def __init__(self, region: str = "us-east-1", host: str = "127.0.0.1", port: int = 0) -> None:
        self.region = region
        self._host = host
        self._port = port
        self._server: EmbeddedMoto | None = None
        self.endpoint_url = ""
        #: what ``provision()`` created (the local reset recreates the table and queues from it)
        self.provisioned: ProvisionResult | None = None

    def start(self) -> str:
        """Start moto, export fake credentials and ``AWS_ENDPOINT_URL``; returns the endpoint URL."""
        if self._server is not None:
            return self.endpoint_url
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request otherwise
        use_fake_credentials(self.region)
        server = EmbeddedMoto(self._host, self._port).start()
        self._server = server
        self.endpoint_url = server.url
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        return self.endpoint_url

    def provision(
        self,
        gateway_port: int,
        template_path: Path = DEFAULT_TEMPLATE,
        stage: str = "local",
        mail_from: str | None = None,
        calling_number: str = "",
    ) -> dict[str, str]:
        """Create the ``infra/`` resources in moto and export the env vars the app reads (see docs/contract.md)."""
        from local.provision import provision_stack  # written by another part of the project; imported late on purpose

        callbacks = callback_env(gateway_port)
        kwargs: dict[str, Any] = {"region": self.region, "stage": stage}
        kwargs["ws_callback_url"] = callbacks["WS_CALLBACK_URL"]
        kwargs["calling_number"] = calling_number  # non-empty: telephony on, through the phone emulator
        if mail_from is not None:
            kwargs["mail_from"] = mail_from
        self.provisioned = provision_stack(Path(template_path), self.endpoint_url, **kwargs)
        env = dict(self.provisioned.env)
        env.setdefault("GUICHET_STAGE", stage)
        # Notification emails carry a reply-to locally too: the outbox page sends the visitor's replies back.
        env["REPLY_DOMAIN"] = env.get("REPLY_DOMAIN") or LOCAL_REPLY_DOMAIN
        env.update(callbacks)
        os.environ.update(env)
        return env

    def stop(self) -> None:
        """Stop the server and free its port (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> EmbeddedAws:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
