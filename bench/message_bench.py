"""One conversation through the Lambda handlers against moto: what each message costs in AWS requests.

Setup (not measured): a moto server on loopback provisioned from infra/template.yaml, a recording ``@connections``
endpoint, a tenant, an Available agent with one WebSocket connection, a visitor with one connection who starts the
conversation. Measured: 20 messages each way, visitor and agent alternating, sent as ``send_message`` frames to
``app.ws_message`` in API Gateway's event shape (``local/events.py``).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bench import capacity
from bench.meter import Call, Meter

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
UNSAFE_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
              "AWS_WEB_IDENTITY_TOKEN_FILE")
PASSWORD = "Bench-Passw0rd!"
MESSAGES_EACH_WAY = 20

# UTF-8 sizes of the 40 texts: mostly short chat lines, a few long ones, none above 1 KB.
TEXT_BYTES = (24, 60, 18, 140, 35, 90, 300, 12, 48, 75, 220, 30, 16, 110, 640, 40, 28, 85, 180, 22,
              56, 1000, 34, 70, 15, 260, 44, 95, 20, 130, 38, 500, 26, 64, 150, 19, 82, 420, 31, 900)
# Distinct chat sentences (accents, a dash), so that long texts deflate as real chat does, not as one repeated line.
_SENTENCES = (
    "Bonjour, je voudrais savoir où en est ma commande n°4521. ",
    "Elle devait être livrée avant vendredi — je n'ai rien reçu. ",
    "Le suivi indique « en cours d'acheminement » depuis mardi. ",
    "Pouvez-vous vérifier auprès du transporteur, s'il vous plaît ? ",
    "J'ai aussi une question sur la garantie du vélo électrique. ",
    "La batterie se décharge en deux jours alors qu'on annonçait une semaine. ",
    "Est-ce normal après seulement trois mois d'utilisation ? ",
    "Sinon, comment se passe un retour en magasin à Lyon ? ",
    "Je peux passer samedi matin si c'est possible. ",
    "Merci d'avance pour votre aide, bonne journée ! ",
    "Hello, could you also tell me whether the blue frame is back in stock? ",
    "My size is M and I would need it before the 12th. ",
)


def text_of(size: int) -> str:
    """A text of exactly ``size`` UTF-8 bytes made of the sentences above, in a fixed shuffled order."""
    out: list[str] = []
    used = 0
    for n in range(10_000):
        for char in _SENTENCES[(n * 7) % len(_SENTENCES)]:
            width = len(char.encode("utf-8"))
            if used + width > size:
                text = "".join(out).rstrip() or "x"
                return text + "." * (size - len(text.encode("utf-8")))
            out.append(char)
            used += width
    raise ValueError(size)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ConnectionsRecorder:
    """Stands in for API Gateway's ``@connections`` API: records each POST (connection id, frame)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                connection_id = unquote(self.path.rsplit("/", 1)[-1])
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with recorder.lock:
                    recorder.posts.append((connection_id, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def since(self, mark: int) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return list(self.posts[mark:])

    def mark(self) -> int:
        with self.lock:
            return len(self.posts)


@dataclass
class Socket:
    """One WebSocket connection as API Gateway hands it to the handlers."""

    conn: Any  # local.events.WsConnection
    recorder: ConnectionsRecorder

    @property
    def id(self) -> str:
        return str(self.conn.connection_id)

    def send(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """Send a frame; returns the ack or error frame answered to this connection, if any."""
        import app as lambda_app
        from local import events

        mark = self.recorder.mark()
        lambda_app.ws_message(events.message_event(self.conn, json.dumps(frame)), events.lambda_context("ws_message"))
        answers = [f for cid, f in self.recorder.since(mark)
                   if cid == self.id and f.get("id") == frame.get("id") and f.get("type") in ("ack", "error")]
        return answers[0] if answers else None


def accept_offer(desk: Socket, recorder: ConnectionsRecorder) -> dict[str, Any]:
    """The desk accepts the newest offer pushed to it."""
    offer = [f for cid, f in recorder.since(0) if cid == desk.id and f.get("type") == "offer"][-1]["offer"]
    ack = desk.send({"action": "accept_offer", "id": f"a-{offer['id']}", "conversation_id": offer["conversation_id"],
                     "offer_id": offer["id"]})
    assert ack is not None and ack["type"] == "ack", ack
    return dict(ack["conversation"])


def open_socket(recorder: ConnectionsRecorder, tenant: str, token: str) -> Socket:
    import app as lambda_app
    from local import events

    conn = events.WsConnection(connection_id=events.new_id(), api_id="benchapi", stage="local",
                               domain_name="127.0.0.1", source_ip="127.0.0.1")
    query = [("tenant", tenant), ("token", token)]
    answer = lambda_app.ws_authorizer(events.authorizer_request_event(conn, [], query),
                                      events.lambda_context("ws_authorizer"))
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", answer
    conn.authorizer = {"principalId": answer["principalId"], **answer["context"]}
    reply = lambda_app.ws_connect(events.connect_event(conn, [], query), events.lambda_context("ws_connect"))
    assert reply["statusCode"] == 200, reply
    return Socket(conn, recorder)


@contextmanager
def stack(meter: Meter) -> Iterator[tuple[ConnectionsRecorder, dict[str, str]]]:
    """moto + provisioned infra + the recorder; the app's environment points at them while the block runs.

    moto is local.moto_server's embedded one: its speed-ups change no answer and no request (pinned by
    tests/integration/test_moto_server.py), and keep large seeded tables (the routing bench) from slowing it down."""
    from local.moto_server import EmbeddedMoto
    from local.provision import provision

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    saved = dict(os.environ)
    for name in UNSAFE_ENV:
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    server = EmbeddedMoto().start()
    recorder = ConnectionsRecorder()
    try:
        endpoint = server.url
        # moto keeps its state per process: start each bench on an empty account.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
        env = provision(ROOT / "infra" / "template.yaml", endpoint, ws_callback_url=recorder.url)
        env.update({"AWS_ENDPOINT_URL": endpoint, "WS_CALLBACK_URL": recorder.url})
        os.environ.update(env)
        _rewire()
        meter.describe_tables(endpoint, REGION, env["TABLE_NAME"])
        yield recorder, env
    finally:
        recorder.server.shutdown()
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        _rewire()


def _rewire() -> None:
    """Make the app read the environment again (settings, lazy clients, wiring)."""
    from chalicelib import bootstrap
    from chalicelib.adapters import aws as aws_clients
    from chalicelib.settings import settings

    settings.cache_clear()
    aws_clients.forget_clients()
    bootstrap.reset()


@dataclass
class Result:
    figures: dict[str, float]
    notes: list[str]


def metered(workload: Callable[[Meter, ConnectionsRecorder], Result]) -> Result:
    """Run a bench workload on a fresh stack with every AWS request metered."""
    meter = Meter()
    meter.install()
    try:
        with stack(meter) as (recorder, _env):
            return workload(meter, recorder)
    finally:
        meter.uninstall()


def run() -> Result:
    return metered(_conversation)


def seed_tenant(*, live: bool = False) -> tuple[str, str, Any]:
    """The bench tenant Acme and its agent Ann, on the fresh stack; returns the tenant, Ann's ID token and a new
    visitor's session. `live`: its group lets nobody wait (threshold 0), so chats are synchronous."""
    from chalicelib import bootstrap
    from chalicelib.domain.model import Role
    from chalicelib.services import tenants, visitors

    c = bootstrap.container()
    tenant = "acme"
    created = tenants.create_tenant(c.deps, tenant, "Acme")
    if live:
        groups = {g: replace(group, threshold=0) for g, group in created.routing.groups.items()}
        c.deps.tenants.put(replace(created, routing=replace(created.routing, groups=groups)))
    tenants.create_agent(c.deps, c.identity, tenant=tenant, username="ann", password=PASSWORD, name="Ann",
                         roles=[Role.AGENT])
    agent_token = c.identity.login("ann", PASSWORD).id_token
    session = visitors.open_session(tenant, None, tenants=c.deps.tenants, secrets=c.secrets, ids=c.deps.ids,
                                    clock=c.deps.clock)
    return tenant, agent_token, session


def _conversation(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    import app  # noqa: F401 - the Lambda entry module, imported once the environment is set

    tenant, agent_token, session = seed_tenant()
    visitor_token = session.token

    desk = open_socket(recorder, tenant, agent_token)
    ack = desk.send({"action": "set_status", "id": "s", "status": "available"})
    assert ack is not None and ack["agent"]["status"] == "available", ack
    widget = open_socket(recorder, tenant, visitor_token)
    ack = widget.send({"action": "start_conversation", "consent": True, "id": "c",
                       "page": {"url": "https://acme.example/shop", "title": "Shop"}})
    assert ack is not None and ack["conversation"]["status"] == "waiting", ack
    conversation_id = ack["conversation"]["id"]
    accept_offer(desk, recorder)

    sides = {widget.id: desk.id, desk.id: widget.id}
    recipient_posts = acks = recipient_connections = 0
    mark = recorder.mark()
    with meter.window() as calls:
        for i, size in enumerate(TEXT_BYTES):
            sender = widget if i % 2 == 0 else desk
            before = recorder.mark()
            answer = sender.send({"action": "send_message", "id": f"m{i}", "conversation_id": conversation_id,
                                  "client_message_id": f"cm-{i}", "text": text_of(size), "after_seq": i})
            assert answer is not None and answer.get("type") == "ack", answer
            assert answer["message"]["seq"] == i + 1, answer
            posted = recorder.since(before)
            recipient_posts += sum(1 for cid, f in posted if cid == sides[sender.id] and f.get("type") == "message")
            acks += sum(1 for cid, f in posted if cid == sender.id and f.get("type") == "ack")
            recipient_connections += 1
    posts = recorder.since(mark)
    count = len(TEXT_BYTES)
    assert count == 2 * MESSAGES_EACH_WAY

    dynamodb = [call for call in calls if call.service == "dynamodb"]
    pushes = [call for call in calls if call.service == "apigatewaymanagementapi"]
    # The hooks must see PynamoDB's calls (its own botocore sessions) and every post the recorder received.
    assert dynamodb, "no DynamoDB request was counted: the botocore hooks missed PynamoDB's clients"
    assert len(pushes) == len(posts), (len(pushes), len(posts))
    units = capacity.total(call.units(meter.tables) for call in dynamodb)
    assert units.wcu > 0 and units.rcu > 0, units

    figures = {
        "message.dynamodb_requests": len(dynamodb) / count,
        "message.dynamodb_wcu": units.wcu / count,
        "message.dynamodb_rcu": units.rcu / count,
        "message.posts_per_recipient_connection": recipient_posts / recipient_connections,
        "message.acks_per_message": acks / count,
        "message.aws_requests": len(calls) / count,
        "message.max_text_bytes_at_1_wcu": _max_text_at_one_wcu(dynamodb),
    }
    return Result(figures, _notes(dynamodb, calls, meter))


def _max_text_bytes(call: Call) -> int | None:
    item = call.params.get("Item", {})
    if call.operation != "PutItem" or "x" not in item:
        return None
    overhead = capacity.item_size(item) - len(item["x"]["S"].encode("utf-8"))
    return capacity.WRITE_UNIT_BYTES - overhead


def _max_text_at_one_wcu(dynamodb: list[Call]) -> float:
    """The longest text (UTF-8 bytes) whose message item still fits one WCU, given the item's other attributes."""
    found = [n for n in (_max_text_bytes(call) for call in dynamodb) if n is not None]
    return float(min(found)) if found else 0.0


def _notes(dynamodb: list[Call], calls: list[Call], meter: Meter) -> list[str]:
    by_operation = Counter(f"{call.service}.{call.operation}" for call in calls)
    notes = ["requests in the window: " + ", ".join(f"{name} x{n}" for name, n in sorted(by_operation.items()))]
    per_op: dict[str, capacity.Units] = {}
    for call in dynamodb:
        per_op.setdefault(call.operation, capacity.Units())
        per_op[call.operation] += call.units(meter.tables)
    notes += [f"{op}: {u.rcu:g} RCU, {u.wcu:g} WCU in total" for op, u in sorted(per_op.items())]
    two_wcu = [call for call in dynamodb if call.operation in capacity.WRITES and call.units(meter.tables).wcu > 1]
    for call in two_wcu:
        item = call.params.get("Item", {})
        text = len(item.get("x", {}).get("S", "").encode("utf-8"))
        notes.append(f"{call.operation} of {capacity.item_size(item)} B (text {text} B) costs "
                     f"{call.units(meter.tables).wcu:g} WCU")
    errors = [f"{call.operation}: {call.error}" for call in calls if call.error]
    if errors:
        notes.append("errors: " + ", ".join(errors))
    return notes
