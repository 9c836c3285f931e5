"""The local stack's AWS edges (gateway, @connections, timer pump, outbox) against a tiny Chalice app.

No business logic: the app here only records the events it gets, so these tests pin the emulation itself (event
shapes as in the real AWS samples, handshake refusals, @connections semantics as botocore sees them, at-least-once
timers) independently of ``app.py``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from chalice.app import Chalice, Response, SQSEvent, WebsocketEvent
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from local import events
from local.embedded_aws import EmbeddedAws
from local.gateway import Gateway, GatewayThread
from local.timer_pump import TimerPump, at_due_time
from local.ws_limits import FrameSizes

SAMPLES = Path("/work/shared/aws-events")
REGION = "us-east-1"
# moto's backends are process-wide (every moto server of the pytest process shares them): unique names.
SUFFIX = uuid.uuid4().hex[:8]
QUEUE = f"gw-timers-{SUFFIX}"
GROUP = f"gw-group-{SUFFIX}"
SENDER = f"noreply-{SUFFIX}@gateway-test.local"


class Recorder:
    """What the tiny app saw; handlers run in gateway worker threads, hence the lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.authorizer: list[dict[str, Any]] = []
        self.connect: list[dict[str, Any]] = []
        self.message: list[dict[str, Any]] = []
        self.disconnect: list[dict[str, Any]] = []
        self.timers: list[str] = []
        self.fail_once: set[str] = set()

    def add(self, name: str, item: Any) -> None:
        with self.lock:
            getattr(self, name).append(item)


def make_app_module(rec: Recorder) -> SimpleNamespace:
    """A stand-in for app.py with the same handler names as docs/contract.md."""
    app = Chalice(app_name="gateway-test")

    @app.route("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.route("/tenants/{tenant}/visitors", methods=["POST"])
    def visitors(tenant: str) -> Any:
        request = app.current_request
        assert request is not None
        return Response(body={"tenant": tenant, "got": request.json_body}, status_code=201)

    @app.lambda_function()
    def ws_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        rec.add("authorizer", event)
        token = (event.get("queryStringParameters") or {}).get("token")
        if token not in ("good", "deny"):
            raise Exception("Unauthorized")
        effect = "Allow" if token == "good" else "Deny"
        return {
            "principalId": "agent-1",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
            },
            "context": {"tenant": "demo", "principal_id": "agent-1", "kind": "agent", "roles": "agent", "name": "A"},
        }

    @app.on_ws_connect()
    def ws_connect(event: WebsocketEvent) -> dict[str, Any] | None:
        raw = event.to_dict()
        rec.add("connect", raw)
        if (raw.get("queryStringParameters") or {}).get("refuse"):
            return {"statusCode": 409}
        return None

    @app.on_ws_message()
    def ws_message(event: WebsocketEvent) -> None:
        raw = event.to_dict()
        rec.add("message", raw)
        if event.body == "boom":
            raise RuntimeError("boom")
        client = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["WS_CALLBACK_URL"], region_name=REGION)
        client.post_to_connection(ConnectionId=event.connection_id, Data=f"echo:{event.body}".encode())

    @app.on_ws_disconnect()
    def ws_disconnect(event: WebsocketEvent) -> None:
        rec.add("disconnect", event.to_dict())

    @app.on_sqs_message(queue=QUEUE)
    def on_timer(event: SQSEvent) -> None:
        for record in event:
            if record.body in rec.fail_once:
                rec.fail_once.discard(record.body)
                raise RuntimeError("transient failure")
            rec.add("timers", record.body)

    return SimpleNamespace(
        app=app,
        ws_authorizer=ws_authorizer,
        ws_connect=ws_connect,
        ws_message=ws_message,
        ws_disconnect=ws_disconnect,
        on_timer=on_timer,
    )


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    saved = dict(os.environ)
    embedded = EmbeddedAws(region=REGION)
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def rec() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    (root / "widget").mkdir()
    (root / "desk").mkdir()
    (root / "index.html").write_text("<h1>demo</h1>")
    (root / "widget" / "widget.js").write_text("export const x = 1;")
    (root / "desk" / "index.html").write_text("<h1>desk</h1>")
    (root / "secret.txt").write_text("not served")
    return root


@pytest.fixture(scope="module")
def gateway(aws: EmbeddedAws, rec: Recorder, web_root: Path) -> Iterator[str]:
    runner = GatewayThread(Gateway(make_app_module(rec), web_root=web_root, region=REGION))
    url = runner.start()
    os.environ["WS_CALLBACK_URL"] = url
    try:
        yield url
    finally:
        runner.stop()


def ws_url(base: str, **query: str) -> str:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return base.replace("http://", "ws://") + "/ws" + (f"?{qs}" if qs else "")


def disconnected_with(rec: Recorder, code: int, after: int) -> bool:
    """A `$disconnect` came after the first `after` ones, and the newest says `code`."""
    with rec.lock:
        return len(rec.disconnect) > after and rec.disconnect[-1]["requestContext"]["disconnectStatusCode"] == code


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def key_tree(value: Any) -> Any:
    """The nested key sets of a dict (values ignored), to compare event shapes."""
    if isinstance(value, dict):
        return {k: key_tree(v) for k, v in value.items()}
    return None


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / f"websocket-{name}.json").read_text())
    return loaded


def management_client(url: str) -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=url, region_name=REGION)


def open_ws(gateway: str) -> ClientConnection:
    return connect(ws_url(gateway, tenant="demo", token="good"), open_timeout=5)


# ---- REST and static ---------------------------------------------------------------------------------------------
def test_rest_routes_go_through_chalice(gateway: str) -> None:
    status, _, body = http("GET", gateway + "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, _, body = http("POST", gateway + "/tenants/demo/visitors?x=1", b'{"a": 1}')
    assert (status, json.loads(body)) == (201, {"tenant": "demo", "got": {"a": 1}})
    status, _, body = http("GET", gateway + "/nope")
    assert status == 403 and b"Missing Authentication Token" in body


def test_static_routes_win(gateway: str) -> None:
    assert http("GET", gateway + "/")[2] == b"<h1>demo</h1>"
    status, headers, body = http("GET", gateway + "/widget/widget.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"export" in body
    assert http("GET", gateway + "/desk")[2] == b"<h1>desk</h1>"
    assert http("GET", gateway + "/desk/")[2] == b"<h1>desk</h1>"
    assert http("GET", gateway + "/widget/%2e%2e/secret.txt")[0] == 404


def test_outbox_lists_sesv2_emails_escaped(gateway: str) -> None:
    ses = boto3.client("sesv2", region_name=REGION)
    ses.create_email_identity(EmailIdentity=SENDER)
    ses.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["visitor@example.com"]},
        Content={"Simple": {"Subject": {"Data": "Hi <b>"}, "Body": {"Text": {"Data": "<script>alert(1)</script>"}}}},
    )
    emails = [e for e in json.loads(http("GET", gateway + "/outbox.json")[2])["emails"] if e["source"] == SENDER]
    assert len(emails) == 1 and emails[0]["to"] == ["visitor@example.com"] and emails[0]["subject"] == "Hi <b>"
    page = http("GET", gateway + "/outbox")[2].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Hi &lt;b&gt;" in page


# ---- WebSocket ---------------------------------------------------------------------------------------------------
def test_handshake_refusals(gateway: str, rec: Recorder) -> None:
    for query, status in (({"token": "bad"}, 401), ({"token": "deny"}, 403), ({"token": "good", "refuse": "1"}, 409)):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(gateway, tenant="demo", **query), open_timeout=5)
        assert refused.value.response.status_code == status
    assert http("GET", gateway + "/ws")[0] == 426


def test_event_shapes_match_aws_samples(gateway: str, rec: Recorder) -> None:
    with open_ws(gateway) as ws:
        ws.send("hello")
        assert ws.recv(timeout=5) == "echo:hello"
        conn_id = rec.message[-1]["requestContext"]["connectionId"]
    wait_for(lambda: any(e["requestContext"]["connectionId"] == conn_id for e in rec.disconnect))
    connect_ev = next(e for e in rec.connect if e["requestContext"]["connectionId"] == conn_id)
    message_ev = next(e for e in rec.message if e["requestContext"]["connectionId"] == conn_id)
    disconnect_ev = next(e for e in rec.disconnect if e["requestContext"]["connectionId"] == conn_id)
    auth = {
        "principalId": "agent-1",
        "tenant": "demo",
        "principal_id": "agent-1",
        "kind": "agent",
        "roles": "agent",
        "name": "A",
    }
    for name, event in (("connect", connect_ev), ("message", message_ev), ("disconnect", disconnect_ev)):
        expected = sample(name)
        context = dict(event["requestContext"])
        assert context.pop("authorizer") == auth
        assert key_tree(context) == key_tree(expected["requestContext"]), name
        assert set(expected) <= set(event), name
    assert connect_ev["queryStringParameters"] == {"tenant": "demo", "token": "good"}
    assert connect_ev["multiValueQueryStringParameters"] == {"tenant": ["demo"], "token": ["good"]}
    assert message_ev["requestContext"]["routeKey"] == "$default" and message_ev["body"] == "hello"
    assert disconnect_ev["requestContext"]["disconnectStatusCode"] == 1000
    conn_id_shape = connect_ev["requestContext"]["connectionId"]
    assert len(conn_id_shape) == 16 and conn_id_shape.endswith("=")

    auth_ev = next(e for e in rec.authorizer if e["requestContext"]["connectionId"] == conn_id)
    assert set(auth_ev) == {
        "type",
        "methodArn",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "stageVariables",
        "requestContext",
    }
    assert auth_ev["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:guichetlcl/local/$connect"
    assert key_tree(auth_ev["requestContext"]) == key_tree(sample("connect")["requestContext"])


def test_connections_api_through_boto3(gateway: str, rec: Recorder) -> None:
    client = management_client(gateway)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=events.new_id(), Data=b"x")
    with open_ws(gateway) as ws:
        ws.send("who")
        assert ws.recv(timeout=5) == "echo:who"
        conn_id = rec.message[-1]["requestContext"]["connectionId"]
        info = client.get_connection(ConnectionId=conn_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        assert info["ConnectedAt"] <= info["LastActiveAt"]
        client.post_to_connection(ConnectionId=conn_id, Data=b'{"type":"pushed"}')
        assert ws.recv(timeout=5) == '{"type":"pushed"}'
        client.delete_connection(ConnectionId=conn_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=conn_id)
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=conn_id)
    wait_for(lambda: any(e["requestContext"]["connectionId"] == conn_id for e in rec.disconnect))


def test_frames_in_order_and_handler_error_keeps_connection(gateway: str) -> None:
    with open_ws(gateway) as ws:
        for i in range(5):
            ws.send(f"m{i}")
        assert [ws.recv(timeout=5) for _ in range(5)] == [f"echo:m{i}" for i in range(5)]
        ws.send("boom")
        error = json.loads(ws.recv(timeout=5))
        assert error["message"] == "Internal server error" and "connectionId" in error
        ws.send("still")
        assert ws.recv(timeout=5) == "echo:still"


def test_oversize_frame_closes_1009(gateway: str, rec: Recorder) -> None:
    seen = len(rec.disconnect)
    with open_ws(gateway) as ws:
        with pytest.raises(ConnectionClosed) as closed:  # send() raises if the close comes while it still writes
            ws.send(os.urandom(17 * 1024).hex())  # 34 KB of text, incompressible
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    wait_for(lambda: disconnected_with(rec, 1009, after=seen))
    with open_ws(gateway) as ws:  # exactly 32 KB is still fine
        ws.send("x" * (32 * 1024 - 5))
        assert str(ws.recv(timeout=5)).startswith("echo:x")


def test_a_message_of_128_kb_in_frames_of_32_kb_is_handed_whole(gateway: str, rec: Recorder) -> None:
    text = os.urandom(64 * 1024).hex()[: 128 * 1024 - len("echo:")]  # the echo is exactly 128 KB
    frames = [text[i:i + 32 * 1024] for i in range(0, len(text), 32 * 1024)]
    assert len(frames) == 4 and max(map(len, frames)) == 32 * 1024
    with open_ws(gateway) as ws:
        ws.send(frames)  # one message: a text frame, then continuation frames
        assert ws.recv(timeout=5) == "echo:" + text
        assert rec.message[-1]["body"] == text
        ws.send("still open")
        assert ws.recv(timeout=5) == "echo:still open"


def test_a_message_over_128_kb_closes_1009(gateway: str, rec: Recorder) -> None:
    seen = len(rec.disconnect)
    with open_ws(gateway) as ws:
        with pytest.raises(ConnectionClosed) as closed:  # send() raises if the close comes while it still writes
            ws.send(["x" * (32 * 1024)] * 4 + ["x"])  # every frame fits, the message does not
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    wait_for(lambda: disconnected_with(rec, 1009, after=seen))


def test_a_continuation_frame_over_32_kb_closes_1009(gateway: str, rec: Recorder) -> None:
    seen = len(rec.disconnect)
    with open_ws(gateway) as ws:
        ws.send("before")
        assert ws.recv(timeout=5) == "echo:before"
        with pytest.raises(ConnectionClosed) as closed:  # send() raises if the close comes while it still writes
            ws.send(["x" * 100, "x" * (32 * 1024 + 1)])
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    wait_for(lambda: disconnected_with(rec, 1009, after=seen))


def test_frame_sizes_follow_the_stream_whatever_its_chunking() -> None:
    def frame(opcode: int, length: int, *, fin: bool = True) -> bytes:
        head = bytes([(0x80 if fin else 0) | opcode])
        if length < 126:
            head += bytes([0x80 | length])
        elif length < 65536:
            head += bytes([0x80 | 126]) + length.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + length.to_bytes(8, "big")
        return head + b"mask" + b"p" * length

    ok = frame(0x1, 32 * 1024, fin=False) + frame(0x9, 125) + frame(0x0, 0, fin=False) + frame(0x0, 200)
    big = frame(0x0, 70_000)
    stream = ok + frame(0x1, 5) + big
    for chunk in (1, 7, 4096, len(stream)):
        sizes = FrameSizes(32 * 1024)
        found = [(start, at) for start in range(0, len(stream), chunk)
                 if (at := sizes.oversize_at(stream[start:start + chunk])) is not None]
        assert len(found) == 1 and sum(found[0]) == len(stream) - 70_000, chunk  # just past the big frame's header


def test_stop_closes_connections_with_going_away(aws: EmbeddedAws, web_root: Path) -> None:
    own = Recorder()
    runner = GatewayThread(Gateway(make_app_module(own), web_root=web_root, region=REGION))
    url = runner.start()
    port = runner.gateway.port
    with open_ws(url) as ws:
        wait_for(lambda: len(own.connect) == 1)
        started = time.monotonic()
        runner.stop()
        assert time.monotonic() - started < 3
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert own.disconnect[0]["requestContext"]["disconnectStatusCode"] == 1001
    again = GatewayThread(Gateway(make_app_module(own), web_root=web_root, region=REGION), port=port)
    again.start()  # the port is free again at once
    again.stop()


# ---- timer pump --------------------------------------------------------------------------------------------------
def test_at_due_time_honours_timezone() -> None:
    assert at_due_time("at(2030-01-01T10:00:00)") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert at_due_time("at(2030-07-01T10:00:00)", "Europe/Paris") == datetime(2030, 7, 1, 8, tzinfo=UTC)
    assert at_due_time("rate(5 minutes)") is None


def test_timer_pump_fires_schedules_and_delayed_messages_once(aws: EmbeddedAws, rec: Recorder) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    scheduler = boto3.client("scheduler", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    scheduler.create_schedule_group(Name=GROUP)
    past = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S")
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    for name, when in (("due", past), ("later", future)):
        scheduler.create_schedule(
            Name=name,
            GroupName=GROUP,
            ScheduleExpression=f"at({when})",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": queue_arn, "RoleArn": "arn:aws:iam::123456789012:role/s", "Input": f'{{"kind":"{name}"}}'},
        )
    # 5 s: the first pass below comes well before it even on a loaded machine (1 s was sometimes due already).
    sqs.send_message(QueueUrl=queue_url, MessageBody='{"kind":"delayed"}', DelaySeconds=5)
    sqs.send_message(QueueUrl=queue_url, MessageBody='{"kind":"flaky"}')
    rec.fail_once.add('{"kind":"flaky"}')

    app_module = make_app_module(rec)
    pump = TimerPump(app_module.on_timer, queue_url=queue_url, schedule_group=GROUP, region=REGION)
    first = pump.pump_once()
    assert first.fired == 1 and first.failed == 1
    assert rec.timers == ['{"kind":"due"}']
    deadline = time.monotonic() + 12
    while len(rec.timers) < 3 and time.monotonic() < deadline:
        pump.pump_once()
        time.sleep(0.1)
    assert sorted(rec.timers) == sorted(['{"kind":"due"}', '{"kind":"delayed"}', '{"kind":"flaky"}'])
    assert pump.pump_once().delivered == 0
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=GROUP)["Schedules"]]
    assert names == ["later"]
    # The "later" schedule fires once its time comes (pump_once(now) lets tests travel in time).
    assert pump.pump_once(now=datetime.now(UTC) + timedelta(hours=2)).fired == 1
    assert rec.timers[-1] == '{"kind":"later"}'
    body_attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert body_attrs["ApproximateNumberOfMessages"] == "0"


def test_sqs_record_shape() -> None:
    message = {
        "MessageId": "m",
        "ReceiptHandle": "r",
        "Body": "{}",
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {"a": {"StringValue": "v", "DataType": "String"}},
    }
    record = events.sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:timers")
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["messageAttributes"]["a"]["stringValue"] == "v" and record["eventSource"] == "aws:sqs"
