"""moto's server on loopback, with one request at a time.

moto's backends are not thread-safe: two TransactWriteItems served at once can interleave and both pass their
conditions, which real DynamoDB never allows. Serialising requests restores the per-request atomicity the
app's conditional writes rely on, while clients still race between their requests as Lambdas do.

`speed_up_moto()` removes three costs of moto that grow with the table or with every request, without changing
what any request answers or stores (tests/integration/test_moto_server.py pins that):

- TransactWriteItems deep-copies every table it names before it starts, to roll back on failure, so each
  transaction costs as much as the whole table. Here it keeps a journal of the items it names instead, and a
  failed transaction puts exactly those items (and the table's stream) back as they were.
- Every request lists moto's package directory twice on disk to find its backend; the listing is cached.
- Every Query walks and sorts the whole table by comparing moto's attribute objects pairwise, then sorts its own
  results again. Here a Query on the table's key reads only its partition, a Query on an index skips the first
  sort, and a Scan's sort uses the same key values computed once per item.
- Every SendMessage computes the queue's attributes, which counts delayed and in-flight messages by building two
  datetimes per message; the clock reading here is the same instant from `time.time()`.
- Every request opened a TCP connection: werkzeug's development server closes each connection after its answer.
  Here connections are kept alive (see `_QuietHandler`).
- Every UpdateItem, and every Update in a transaction, tokenizes and parses its UpdateExpression twice (once to
  validate the request, once to apply it), though the app sends the same few dozen expressions again and again.
  Here each expression is parsed once and its tree kept: moto only reads that tree, and its validator works on a
  copy, which is here unpickled from the tree's pickle, about three times faster than `copy.deepcopy`. An
  expression that fails to parse is not kept, and fails the same way each time.
- Every request lists its handler class's methods with `inspect.getmembers`; the list is cached per class.
- Every DynamoDB answer goes through moto's generic response serializer, which walks the operation's output
  shape member by member (most of a GetItem's time). The item operations' results are already in DynamoDB's wire
  format, so here they are dumped as JSON directly (binary values base64-encoded, as the serializer does).
  DynamoDB Streams' GetRecords too: a page of a thousand records took seconds to serialize, and the stream pump
  reads one every second (its times become epoch seconds, as AWS's JSON protocol writes them).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import pickle
import socket
import threading
import time
import types
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from moto import backends
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import validators as dynamodb_validators
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sqs import models as sqs_models
from werkzeug.serving import BaseWSGIServer, make_server

_original_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _journaled_transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    journal: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        for op in entry.values():
            table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            try:
                key = op["Item"] if "Item" in op else op["Key"]
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError, AttributeError):
                continue  # moto refuses this operation before it changes anything
            journal.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
            if table.stream_shard is not None:
                streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    try:
        _original_transact_write_items(self, transact_items)
    except BaseException:
        for table, hash_value, range_value, before in reversed(journal):
            if range_value is None:
                if before is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = before
            elif before is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = before
        for shard, length in streams.values():
            del shard.items[length:]
        raise


def _tables_not_copied(obj: Any, memo: Any = None) -> Any:
    """moto's transaction code deep-copies whole tables for its rollback; the journal above replaces that copy."""
    return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)


_original_query = Table.query


def _query_reading_only_what_it_needs(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    """moto filters `all_items()` by the key (or by the index's key) and sorts what matches, so `all_items()` may
    answer with just the partition (a table Query) or unsorted (an index Query) during the call."""
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    self.__dict__["_query_partition"] = ("index",) if index_name else ("table", hash_key)
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        self.__dict__.pop("_query_partition", None)


def _all_items_sorted_by_key(self: Table) -> list[Item]:
    during_query = self.__dict__.get("_query_partition")
    if during_query is not None and during_query[0] == "table" and during_query[1] is not None:
        found = self.items.get(during_query[1])
        if found is None:
            return []
        return list(found.values()) if self.range_key_attr else [found]  # type: ignore[list-item]
    items: list[Item] = []
    for hash_set in self.items.values():
        if self.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)  # type: ignore[arg-type]
    if during_query is not None:
        return items
    if self.range_key_attr:
        return sorted(items, key=lambda x: (x.hash_key.cast_value, x.range_key.cast_value))  # type: ignore[union-attr]
    return sorted(items, key=lambda x: x.hash_key.cast_value)


_original_parse_update = UpdateExpressionParser.make.__func__  # type: ignore[attr-defined]
_pickled_trees: dict[int, bytes] = {}  # id of a kept tree -> its pickle (the trees are kept for good)


@functools.cache
def _parse_update_expression_once(cls: type, expression: str) -> Any:
    tree = _original_parse_update(UpdateExpressionParser, expression)
    _pickled_trees[id(tree)] = pickle.dumps(tree)
    return tree


def _copy_for_the_validator(value: Any, memo: Any = None) -> Any:
    pickled = _pickled_trees.get(id(value))
    if pickled is not None:
        return pickle.loads(pickled)  # noqa: S301 - our own pickle of a tree moto parsed
    return copy.deepcopy(value, memo)


@functools.cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(_listed_moto_modules())


_listed_moto_modules = backends.list_of_moto_modules
_original_unix_time_millis = sqs_models.unix_time_millis


def _unix_time_millis(dt: Any = None) -> float:
    return time.time() * 1000.0 if dt is None else float(_original_unix_time_millis(dt))


_original_serialized = DynamoHandler.serialized
DATA_PLANE = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactWriteItems", "TransactGetItems",
})


def _wire(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


def _data_plane_serialized(self: DynamoHandler, action_result: Any) -> Any:
    """The item operations' answers as JSON, straight from moto's result (already DynamoDB's wire format)."""
    result = action_result.result
    if self._get_action() not in DATA_PLANE or not isinstance(result, dict):
        return _original_serialized(self, action_result)
    try:
        body = json.dumps(result, default=_wire, separators=(",", ":"))
    except TypeError:
        return _original_serialized(self, action_result)
    headers = {"Content-Type": "application/x-amz-json-1.0", "server": "amazon.com", **self.response_headers}
    return 200, headers, body


_original_streams_serialized = DynamoDBStreamsHandler.serialized


def _stream_wire(value: object) -> str | float:
    if isinstance(value, datetime):  # to the millisecond, as moto's serializer writes it
        return int(value.replace(tzinfo=value.tzinfo or UTC).timestamp() * 1000) / 1000
    return _wire(value)


def _streams_serialized(self: DynamoDBStreamsHandler, action_result: Any) -> Any:
    """GetRecords' answer as JSON, straight from moto's result (the records' images are DynamoDB's wire format)."""
    result = action_result.result
    if self._get_action() != "GetRecords" or not isinstance(result, dict):
        return _original_streams_serialized(self, action_result)
    try:
        body = json.dumps(result, default=_stream_wire, separators=(",", ":"))
    except TypeError:
        return _original_streams_serialized(self, action_result)
    headers = {"Content-Type": "application/x-amz-json-1.0", "server": "amazon.com", **self.response_headers}
    return 200, headers, body


def speed_up_moto() -> None:
    """Idempotent; see the module's docstring."""
    if dynamodb_models.DynamoDBBackend.transact_write_items is _journaled_transact_write_items:
        return
    dynamodb_models.DynamoDBBackend.transact_write_items = _journaled_transact_write_items  # type: ignore[method-assign]
    dynamodb_models.copy = types.SimpleNamespace(deepcopy=_tables_not_copied, copy=copy.copy)  # type: ignore[assignment]
    UpdateExpressionParser.make = classmethod(_parse_update_expression_once)  # type: ignore[method-assign,assignment]
    dynamodb_validators.deepcopy = _copy_for_the_validator
    moto_responses.method_names_from_class = functools.cache(moto_utils.method_names_from_class)
    Table.all_items = _all_items_sorted_by_key  # type: ignore[method-assign]
    Table.query = _query_reading_only_what_it_needs  # type: ignore[method-assign]
    sqs_models.unix_time_millis = _unix_time_millis
    backends.list_of_moto_modules = _moto_modules  # type: ignore[assignment]
    DynamoHandler.serialized = _data_plane_serialized  # type: ignore[method-assign]
    DynamoDBStreamsHandler.serialized = _streams_serialized  # type: ignore[method-assign]


class _OneAtATime:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class _Body:
    """A request body read at most to its Content-Length, so that what the app leaves unread can be drained."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream, self.remaining = stream, length

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._stream.read(size) if size else b""
        self.remaining -= len(data)
        return bytes(data)

    def readline(self, size: int = -1) -> bytes:
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._stream.readline(size) if size else b""
        self.remaining -= len(data)
        return bytes(data)


class _QuietHandler(MotoRequestHandler):
    """Keeps connections alive between requests: werkzeug's development server closes each one after its answer,
    so every AWS call paid a new TCP connection (and a new server thread). Safe here because a request's body is
    always read to its end before the next request is parsed; a chunked request still closes its connection."""

    def log(self, type: str, message: str, *args: Any) -> None:  # one line per AWS call drowns everything else
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        length = self.headers.get("Content-Length")
        self._body: _Body | None = None
        if length is not None and length.isdigit() and "chunked" not in self.headers.get("Transfer-Encoding", ""):
            self._body = _Body(self.rfile, int(length))
            environ["wsgi.input"] = self._body
        elif self.command in ("GET", "HEAD", "DELETE") and not self.headers.get("Transfer-Encoding"):
            self._body = _Body(self.rfile, 0)
        return environ

    def run_wsgi(self) -> None:
        """Werkzeug's own version reads whatever follows an answer to discard it (the next request, with keep-alive),
        so this one answers with a Content-Length and drains only the rest of this request's body."""
        environ = self.make_environ()
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            started[:] = [status, headers]
            return chunks.append

        result = self.server.app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        code, _, reason = status.partition(" ")
        body = b"".join(chunks)
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self._body is None:
            self.send_header("Connection", "close")  # a chunked request: its end is unknown here
        # Headers and body in one write: two small writes on a kept-alive connection meet the client's delayed ACK.
        self._headers_buffer.append(b"\r\n" + (body if self.command != "HEAD" else b""))
        self.flush_headers()
        if self._body is not None and self._body.remaining:
            self._body.read()


class EmbeddedMoto:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        speed_up_moto()
        app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EmbeddedMoto:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def main() -> None:
    """`python -m local.moto_server PORT`: a moto server in a process of its own (its own GIL), for load tests."""
    import sys
    import threading as _threading

    server = EmbeddedMoto("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(server.url, flush=True)
    _threading.Event().wait()


if __name__ == "__main__":
    main()
