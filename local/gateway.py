"""The local gateway: API Gateway's REST API, WebSocket API and ``@connections`` API in one aiohttp server.

Why it exists: on AWS the handlers in ``app.py`` only ever see API Gateway events and only push through the
``@connections`` management API. Emulating exactly those edges (and nothing else) lets the same handlers run
unchanged on a laptop, with a real browser and a real WebSocket client.

Design points:
- Handlers run in a thread pool (they make blocking boto3 calls), never on the event loop. A handler that pushes
  to its own connection POSTs to this same server from its worker thread; the loop is free to forward the frame,
  so there is no deadlock.
- ``$connect`` runs the REQUEST authorizer and the connect handler BEFORE the upgrade is accepted, so a refusal is
  an HTTP error on the handshake (401/403/4xx/500), as on AWS.
- Frames of one connection are handled in order, one at a time; connections are independent. A message may come
  in several frames of at most 32 KB (128 KB in all); a bigger frame or message closes with 1009 (``ws_limits``).
- REST calls are serialised: Chalice keeps ``app.current_request`` on the shared app object, so two concurrent
  REST requests in threads could read each other's request (tenant mix-up). WebSocket handlers do not use it.
- ``extra_routes`` are other emulated AWS edges (``python -m local`` gives the phone emulator's Chime SDK API and its
  control under ``/__local__/phones``); they are matched before the ``/__local__`` and REST catch-alls.
- ``POST /__local__/reset`` is a 404 unless ``reset_handler`` is set (``python -m local`` sets it only with
  ``GUICHET_LOCAL_RESET=1``, see ``local/reset.py``); ``quiesce()`` is the gateway's part of a reset.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fnmatch
import functools
import json
import logging
import mimetypes
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException
from multidict import CIMultiDict

from local import events
from local.outbox import Outbox
from local.ws_limits import MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, LimitedWebSocketResponse

log = logging.getLogger("local.gateway")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WEB_ROOT = REPO_ROOT / "web"

MAX_POST_BYTES = 128 * 1024  # PostToConnection Data limit (botocore model: max 131072)
_HOP_BY_HOP = {"connection", "upgrade"}  # API Gateway does not forward these on $connect
_CLOSE_REASONS = {
    1000: "Normal closure",
    1001: "Going away",
    1005: "Client-side close frame status not set",
    1006: "Connection closed abnormally",
    1009: "Message too big",
}
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html"}


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch_s * 1000) % 1000:03d}Z"


def _aws_error(status: int, error_type: str, message: str) -> web.Response:
    """An error as the AWS REST-JSON APIs send it; botocore maps ``x-amzn-ErrorType`` to the exception class."""
    return web.json_response({"message": message}, status=status, headers={"x-amzn-ErrorType": error_type})


@dataclass
class _Connection:
    """A live WebSocket plus what ``@connections`` GET reports about it."""

    info: events.WsConnection
    ws: web.WebSocketResponse
    user_agent: str
    last_active_at: float = field(default_factory=time.time)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    server_close: tuple[int, str] | None = None


class AuthorizerError(Exception):
    """The authorizer answered something API Gateway would reject (-> 500 on the handshake)."""


def authorizer_decision(result: Any, method_arn: str) -> tuple[bool, dict[str, Any]]:
    """Evaluate a REQUEST authorizer's answer like API Gateway: an explicit Deny wins, then any Allow.

    Returns ``(allowed, requestContext.authorizer)``; the context must hold only scalars, as on AWS.
    """
    if not isinstance(result, Mapping) or "principalId" not in result or "policyDocument" not in result:
        raise AuthorizerError(f"invalid authorizer response: {result!r}")
    statements = result["policyDocument"].get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    allowed = denied = False
    for statement in statements:
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else list(resources)
        if not any(fnmatch.fnmatchcase(method_arn, pattern) for pattern in resources):
            continue
        if statement.get("Effect") == "Deny":
            denied = True
        elif statement.get("Effect") == "Allow":
            allowed = True
    context = dict(result.get("context") or {})
    for key, value in context.items():
        if not isinstance(value, str | int | float | bool):
            raise AuthorizerError(f"authorizer context value {key!r} is not a string, number or boolean")
    return allowed and not denied, {"principalId": result["principalId"], **context}


class Gateway:
    """The aiohttp application emulating API Gateway around one app module.

    ``app_module`` is ``app.py`` (or any object with the same attributes): ``app`` (the Chalice object),
    ``ws_authorizer`` (optional), ``ws_connect``, ``ws_message``, ``ws_disconnect``. Tests inject a tiny one.
    """

    def __init__(
        self,
        app_module: Any,
        *,
        web_root: Path = DEFAULT_WEB_ROOT,
        outbox: Outbox | None = None,
        stage: str = "local",
        api_id: str = "guichetlcl",
        region: str = "us-east-1",
        max_frame_bytes: int = MAX_FRAME_BYTES,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        workers: int = 32,
        extra_routes: Sequence[web.RouteDef] = (),
    ) -> None:
        self._module = app_module
        #: emulated AWS edges served next to API Gateway (the phone exchange: local/phone.py, phone_control.py)
        self._extra_routes = list(extra_routes)
        self._web_root = web_root.resolve()
        self._outbox = outbox or Outbox(region=region)
        self._stage = stage
        self._api_id = api_id
        self._region = region
        self._max_frame_bytes = max_frame_bytes
        self._max_message_bytes = max_message_bytes
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda")
        self._rest_lock = threading.Lock()
        chalice_app = getattr(app_module, "app", None)
        self._rest: LocalGateway | None = None
        if chalice_app is not None:
            config = Config.create(chalice_stage=stage, app_name="guichet", lambda_timeout=900, lambda_memory_size=512)
            self._rest = LocalGateway(chalice_app, config)
        self._connections: dict[str, _Connection] = {}
        self._ws_handlers: set[asyncio.Future[None]] = set()  # one per WebSocket request, done after $disconnect
        self._background: set[asyncio.Task[Any]] = set()
        #: ``POST /__local__/reset`` calls it with the JSON body (demo settings); None: that route is a 404.
        self.reset_handler: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        self._reset_lock = asyncio.Lock()
        self._quiet = False  # set while quiesce() runs: new WebSocket handshakes get 503
        self._rest_open = asyncio.Event()  # cleared while quiesce() runs: REST requests wait for its end
        self._rest_open.set()
        self._rest_running = 0  # REST requests (and outbox replies) being handled, or waiting for the REST lock
        self._rest_idle = asyncio.Event()
        self._rest_idle.set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        """Routes in priority order: aiohttp matches in registration order, so static and emulated routes win."""
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_get("/widget/{path:.*}", functools.partial(self._static, "widget"))
        app.router.add_get("/desk", functools.partial(self._static, "desk"))
        app.router.add_get("/desk/{path:.*}", functools.partial(self._static, "desk"))
        app.router.add_get("/vendor/{path:.*}", functools.partial(self._static, "vendor"))
        app.router.add_get("/phone", functools.partial(self._static, "phone"))
        app.router.add_get("/phone/{path:.*}", functools.partial(self._static, "phone"))
        app.router.add_get("/outbox", self._outbox_page)
        app.router.add_get("/outbox.json", self._outbox_json)
        app.router.add_post("/outbox/reply", self._outbox_reply)
        app.router.add_get("/ws", self._websocket)
        app.router.add_route("POST", "/@connections/{connection_id}", self._post_to_connection)
        app.router.add_route("GET", "/@connections/{connection_id}", self._get_connection)
        app.router.add_route("DELETE", "/@connections/{connection_id}", self._delete_connection)
        app.add_routes(self._extra_routes)
        app.router.add_route("*", "/__local__/{tail:.*}", self._local_route)
        app.router.add_route("*", "/{tail:.*}", self._rest_route)
        app.on_shutdown.append(self._close_all)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 8000) -> int:
        """Listen (``reuse_address`` so a restart can rebind at once); returns the bound port (``port=0``: free)."""
        self._runner = web.AppRunner(self.build_app(), handle_signals=False, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._point_chalice_websocket_api(f"http://{host}:{self.port}")
        return self.port

    async def stop(self) -> None:
        """Close every WebSocket (1001, each gets its ``$disconnect``), stop listening, wait for the handlers."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.get_running_loop().run_in_executor(None, functools.partial(self._pool.shutdown, wait=True))

    def _point_chalice_websocket_api(self, url: str) -> None:
        """If the app uses ``app.websocket_api.send``, aim it at our ``@connections`` (Chalice builds an https
        AWS URL otherwise). Best effort: touches a private attribute, only locally."""
        api = getattr(getattr(self._module, "app", None), "websocket_api", None)
        if api is not None and getattr(api, "_endpoint", "set") is None:
            api._endpoint = url

    async def _close_all(self, _app: web.Application) -> None:
        for conn in list(self._connections.values()):
            conn.server_close = conn.server_close or (1001, "Going away")
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Going away")

    # ---- the local reset --------------------------------------------------------------------------------------
    async def _local_route(self, request: web.Request) -> web.Response:
        """``POST /__local__/reset`` with the demo settings as a JSON object: 200 ``{"status": "reset"}`` once the
        stack is as freshly started, 500 with the error otherwise; 404 when the reset is not enabled."""
        if self.reset_handler is None or request.match_info["tail"] != "reset":
            return web.json_response({"message": "Not Found"}, status=404)
        if request.method != "POST":
            return web.json_response({"message": "Method Not Allowed"}, status=405)
        try:
            overrides = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            return web.json_response({"status": "failed", "error": f"the body is not JSON: {exc}"}, status=400)
        if not isinstance(overrides, dict):
            return web.json_response({"status": "failed", "error": "the body must be a JSON object"}, status=400)
        async with self._reset_lock:
            try:
                await self.reset_handler(overrides)
            except Exception as exc:
                log.exception("local reset failed")
                return web.json_response({"status": "failed", "error": f"{type(exc).__name__}: {exc}"}, status=500)
        return web.json_response({"status": "reset"})

    async def quiesce(self, work: Callable[[], None], timeout: float = 20.0) -> None:
        """Run ``work`` in a thread once no handler runs or can start beside it: every WebSocket closed (1001, as on
        a stop) and its ``$disconnect`` handled, the REST requests under way answered; new handshakes are refused
        (503) and new REST requests wait until ``work`` has ended."""
        self._quiet = True
        self._rest_open.clear()
        try:
            await self._close_every_websocket(timeout)
            await asyncio.wait_for(self._rest_idle.wait(), timeout)
            await asyncio.get_running_loop().run_in_executor(self._pool, self._with_rest_held, work)
        finally:
            self._quiet = False
            self._rest_open.set()

    async def _close_every_websocket(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._ws_handlers:  # a handshake that was under way registers its connection later: loop
            for conn in list(self._connections.values()):
                if conn.server_close is None:
                    conn.server_close = (1001, "Going away")
                    task = asyncio.create_task(conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Going away"))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self._ws_handlers)} WebSocket(s) still open after {timeout} s")
            await asyncio.wait(set(self._ws_handlers), timeout=min(remaining, 0.05))

    def _with_rest_held(self, work: Callable[[], None]) -> None:
        with self._rest_lock:
            work()

    async def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(func, *args))

    # ---- static pages ----------------------------------------------------------------------------------------
    def _file_response(self, base: Path, relative: str) -> web.StreamResponse:
        """Serve ``base/relative``; anything resolving outside ``base`` (``..``, symlinks) is a 404."""
        base = base.resolve()
        resolved = (base / relative).resolve()
        if not resolved.is_relative_to(base):
            raise web.HTTPNotFound()
        if resolved.is_dir():
            resolved = resolved / "index.html"
        if not resolved.is_file():
            raise web.HTTPNotFound()
        content_type = _TYPES.get(resolved.suffix) or mimetypes.guess_type(resolved.name)[0]
        headers = {"Cache-Control": "no-store"}
        if content_type:
            headers["Content-Type"] = content_type
        return web.FileResponse(resolved, headers=headers)

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return self._file_response(self._web_root, "index.html")

    async def _static(self, folder: str, request: web.Request) -> web.StreamResponse:
        return self._file_response(self._web_root / folder, request.match_info.get("path", ""))

    async def _outbox_page(self, _request: web.Request) -> web.Response:
        return web.Response(text=self._outbox.render_html(), content_type="text/html")

    async def _outbox_json(self, _request: web.Request) -> web.Response:
        return web.json_response({"emails": self._outbox.as_json()})

    async def _outbox_reply(self, request: web.Request) -> web.Response:
        """The visitor answers an email of the outbox: what SES receiving would publish to the inbound topic
        (a "Received" notification with the whole email) reaches ``on_inbound_email``, as SNS would deliver it.
        A form post (the outbox page) goes back to the page; a JSON post (tests) gets {"status": "delivered"}."""
        as_json = request.content_type == "application/json"
        fields: Any = await (request.json() if as_json else request.post())
        wanted, text = str(fields.get("id", "")), str(fields.get("text", ""))
        mail = next((m for m in self._outbox.emails() if m.id == wanted), None)
        handler = getattr(self._module, "on_inbound_email", None)
        if mail is None or not mail.reply_to or not mail.to or not text.strip() or handler is None:
            return web.json_response({"error": "no such email with a reply-to, or no text"}, status=400)
        notification = events.ses_received(mail.reply_to[0], mail.to[0], f"Re: {mail.subject}", text,
                                           events.new_id())
        topic = f"arn:aws:sns:{self._region}:123456789012:{os.environ.get('INBOUND_TOPIC_NAME', 'inbound')}"
        event = events.sns_event(json.dumps(notification), topic, self._region)
        async with self._handling():
            await self._call(handler, event, events.lambda_context("on_inbound_email"))
        if as_json:
            return web.json_response({"status": "delivered"})
        raise web.HTTPSeeOther("/outbox")

    # ---- REST API --------------------------------------------------------------------------------------------
    def _rest_call(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
        assert self._rest is not None
        with self._rest_lock:
            return self._rest.handle_request(method=method, path=path, headers=headers, body=body)

    async def _rest_route(self, request: web.Request) -> web.Response:
        if self._rest is None:
            return _aws_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        async with self._handling():
            return await self._handle_rest(request)

    @contextlib.asynccontextmanager
    async def _handling(self) -> AsyncIterator[None]:
        """Around a handler called by a request (REST, outbox reply): waits while a reset runs, which waits for it."""
        await self._rest_open.wait()
        self._rest_running += 1
        self._rest_idle.clear()
        try:
            yield
        finally:
            self._rest_running -= 1
            if not self._rest_running:
                self._rest_idle.set()

    async def _handle_rest(self, request: web.Request) -> web.Response:
        body = await request.read() or None
        headers = dict(request.headers.items())
        try:
            response = await self._call(self._rest_call, request.method, request.raw_path, headers, body)
        except LocalGatewayException as exc:
            error_headers = {"Content-Type": "application/json", **exc.headers}
            return web.Response(status=exc.CODE, body=exc.body, headers=error_headers)
        out_headers: CIMultiDict[str] = CIMultiDict()
        multi = response.get("multiValueHeaders") or {}
        for name, value in (response.get("headers") or {}).items():
            if name not in multi:
                out_headers.add(name, str(value))
        for name, values in multi.items():
            for value in values:
                out_headers.add(name, str(value))
        for name in ("Content-Length", "Transfer-Encoding"):
            out_headers.popall(name, None)
        out_headers.setdefault("Content-Type", "application/json")
        raw = response.get("body")
        if raw is None:
            payload = b""
        elif response.get("isBase64Encoded"):
            payload = base64.b64decode(raw)
        else:
            payload = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        return web.Response(status=int(response["statusCode"]), body=payload, headers=out_headers)

    # ---- WebSocket API ---------------------------------------------------------------------------------------
    def _connect_headers(self, request: web.Request, source_ip: str) -> list[tuple[str, str]]:
        pairs = [(str(k), v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP]
        present = {k.lower() for k, _ in pairs}
        extra = {
            "X-Amzn-Trace-Id": f"Root=1-{int(time.time()):08x}-{events.new_id()[:12].encode().hex()}",
            "X-Forwarded-For": source_ip,
            "X-Forwarded-Port": str(request.url.port or ""),
            "X-Forwarded-Proto": request.scheme,
        }
        pairs.extend((k, v) for k, v in extra.items() if k.lower() not in present)
        return pairs

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        probe = web.WebSocketResponse()
        if not probe.can_prepare(request).ok:
            return web.json_response({"message": "Upgrade Required"}, status=426)
        if self._quiet:
            return web.json_response({"message": "Service Unavailable"}, status=503)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ws_handlers.add(done)
        try:
            return await self._serve_websocket(request)
        finally:
            self._ws_handlers.discard(done)
            done.set_result(None)

    async def _serve_websocket(self, request: web.Request) -> web.StreamResponse:
        source_ip = request.remote or "127.0.0.1"
        info = events.WsConnection(
            connection_id=events.new_id(),
            api_id=self._api_id,
            stage=self._stage,
            domain_name=request.host,
            source_ip=source_ip,
        )
        headers = self._connect_headers(request, source_ip)
        query = list(request.query.items())

        refusal = await self._authorize(info, headers, query)
        if refusal is not None:
            return refusal
        try:
            result = await self._call(
                self._module.ws_connect, events.connect_event(info, headers, query), events.lambda_context("ws_connect")
            )
        except Exception:
            log.exception("ws_connect failed")
            return web.json_response({"message": "Internal server error"}, status=500)
        result = result if isinstance(result, Mapping) else {}
        status = int(result.get("statusCode", 200))
        if not 200 <= status < 300:
            return web.Response(status=status, text=str(result.get("body") or ""))
        protocol = (result.get("headers") or {}).get("Sec-WebSocket-Protocol")

        ws = LimitedWebSocketResponse(frame_bytes=self._max_frame_bytes, message_bytes=self._max_message_bytes,
                                      protocols=(protocol,) if protocol else ())
        await ws.prepare(request)
        conn = _Connection(info=info, ws=ws, user_agent=request.headers.get("User-Agent", ""))
        self._connections[info.connection_id] = conn
        frames: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        worker = asyncio.create_task(self._consume(conn, frames))
        client_close: tuple[int, str] | None = None
        try:
            while True:
                msg = await ws.receive()
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    conn.last_active_at = time.time()
                    frames.put_nowait(msg.data)
                elif msg.type == WSMsgType.CLOSE:
                    client_close = (int(msg.data or 0), str(msg.extra or ""))
                elif msg.type == WSMsgType.ERROR:
                    code = getattr(msg.data, "code", WSCloseCode.ABNORMAL_CLOSURE)
                    conn.server_close = conn.server_close or (int(code), _CLOSE_REASONS.get(int(code), str(msg.data)))
                    break
                elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED):
                    break
        finally:
            self._connections.pop(info.connection_id, None)
            frames.put_nowait(None)
            await worker
            if conn.server_close is not None:
                code, reason = conn.server_close
            elif client_close is not None:
                code = client_close[0] or 1005
                reason = client_close[1] or _CLOSE_REASONS.get(code, "")
            else:
                code, reason = 1006, _CLOSE_REASONS[1006]
            try:
                await self._call(
                    self._module.ws_disconnect,
                    events.disconnect_event(info, code, reason),
                    events.lambda_context("ws_disconnect"),
                )
            except Exception:
                log.exception("ws_disconnect failed")
        return ws

    async def _authorize(
        self, info: events.WsConnection, headers: list[tuple[str, str]], query: list[tuple[str, str]]
    ) -> web.Response | None:
        """Run the REQUEST authorizer; return the handshake refusal, or None (and set ``info.authorizer``)."""
        authorizer = getattr(self._module, "ws_authorizer", None)
        if authorizer is None:
            return None
        event = events.authorizer_request_event(info, headers, query, region=self._region)
        try:
            result = await self._call(authorizer, event, events.lambda_context("ws_authorizer"))
            allowed, context = authorizer_decision(result, event["methodArn"])
        except Exception as exc:
            if str(exc) == "Unauthorized":  # the documented way for a Lambda authorizer to answer 401
                return web.json_response({"message": "Unauthorized"}, status=401)
            log.exception("ws_authorizer failed")
            return web.json_response({"message": "Internal server error"}, status=500)
        if not allowed:
            return web.json_response({"message": "Forbidden"}, status=403)
        info.authorizer = context
        return None

    async def _consume(self, conn: _Connection, frames: asyncio.Queue[str | bytes | None]) -> None:
        """Hand the frames of one connection to ``ws_message`` in order, one at a time."""
        while (frame := await frames.get()) is not None:
            event = events.message_event(conn.info, frame)
            try:
                await self._call(self._module.ws_message, event, events.lambda_context("ws_message"))
            except Exception:
                log.exception("ws_message failed")
                # What API Gateway sends the client when the integration fails.
                error = {
                    "message": "Internal server error",
                    "connectionId": conn.info.connection_id,
                    "requestId": event["requestContext"]["requestId"],
                }
                with contextlib.suppress(Exception):
                    if not conn.ws.closed:
                        await conn.ws.send_str(json.dumps(error))

    # ---- @connections API ------------------------------------------------------------------------------------
    def _open_connection(self, request: web.Request) -> _Connection | None:
        conn = self._connections.get(request.match_info["connection_id"])
        if conn is None or conn.ws.closed or conn.server_close is not None:
            return None
        return conn

    async def _post_to_connection(self, request: web.Request) -> web.Response:
        data = await request.read()
        if len(data) > MAX_POST_BYTES:
            return _aws_error(413, "PayloadTooLargeException", "Message too long")
        conn = self._open_connection(request)
        if conn is None:
            return _aws_error(410, "GoneException", "Gone")
        try:
            async with conn.send_lock:
                try:
                    await conn.ws.send_str(data.decode("utf-8"))
                except UnicodeDecodeError:
                    await conn.ws.send_bytes(data)
        except (ConnectionError, RuntimeError):
            return _aws_error(410, "GoneException", "Gone")
        conn.last_active_at = time.time()
        return web.Response(status=200)

    async def _get_connection(self, request: web.Request) -> web.Response:
        conn = self._open_connection(request)
        if conn is None:
            return _aws_error(410, "GoneException", "Gone")
        return web.json_response(
            {
                "connectedAt": _iso(conn.info.connected_at / 1000),
                "identity": {"sourceIp": conn.info.source_ip, "userAgent": conn.user_agent},
                "lastActiveAt": _iso(conn.last_active_at),
            }
        )

    async def _delete_connection(self, request: web.Request) -> web.Response:
        conn = self._open_connection(request)
        if conn is None:
            return _aws_error(410, "GoneException", "Gone")
        conn.server_close = (1000, "Normal closure")
        # Close in the background: the caller gets 204 at once and later posts already get 410.
        task = asyncio.create_task(conn.ws.close(code=WSCloseCode.OK))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return web.Response(status=204)


class GatewayThread:
    """Runs a :class:`Gateway` on its own event loop in a thread, for synchronous tests and tools."""

    def __init__(self, gateway: Gateway, host: str = "127.0.0.1", port: int = 0) -> None:
        self.gateway = gateway
        self._host = host
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gateway", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.gateway.port}"

    def start(self) -> str:
        """Start listening; returns the base URL."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.gateway.start(self._host, self._port), self._loop).result(10)
        return self.url

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.gateway.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
