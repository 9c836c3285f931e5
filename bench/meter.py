"""Counting AWS requests with botocore's event hooks, on every client of the process.

``install()`` wraps ``botocore.session.Session.create_client``, through which boto3 and PynamoDB (one botocore
session per ``Connection``) create all their clients, and registers two hooks on each new client:
``before-parameter-build`` keeps the request's parameters, ``after-call`` the parsed answer. While a ``window`` is
open, calls made on the thread that opened it are recorded (moto's server threads never are).

For DynamoDB writes the meter also reads the written items just before and just after the request, with a client
of its own that has no hooks: these side reads are not counted. They give the before/after images the write
capacity rules need (a transaction's updates return no image, and no write returns the image before).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

from bench import capacity


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 0
    error: str | None = None
    # (table, key, before image) of each written item, then the after images (DynamoDB writes only)
    written: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)
    after: list[dict[str, Any] | None] = field(default_factory=list)

    @property
    def transactional(self) -> bool:
        return self.operation in ("TransactWriteItems", "TransactGetItems")

    def units(self, tables: Mapping[str, capacity.Table]) -> capacity.Units:
        if self.service != "dynamodb":
            return capacity.Units()
        if self.operation in capacity.READS:
            if self.error:  # a rejected read still costs its minimum; moto answers reads without errors here
                return capacity.Units(rcu=capacity.read_units(0, consistent=True))
            return capacity.read_cost(self.operation, self.params, self.response)
        if self.operation in capacity.WRITES:
            return capacity.total(
                capacity.write_cost(
                    capacity.WrittenItem(table, before, after, transactional=self.transactional,
                                         succeeded=self.error is None),
                    tables[table],
                )
                for (table, _key, before), after in zip(self.written, self.after, strict=True)
            )
        return capacity.Units()


def aws_figures(prefix: str, calls: list[Call], tables: Mapping[str, capacity.Table]) -> dict[str, float]:
    """What a scenario's recorded calls cost, as `<prefix>.aws_requests`, `.dynamodb_requests`, `.dynamodb_wcu` and
    `.dynamodb_rcu`."""
    dynamodb = [call for call in calls if call.service == "dynamodb"]
    units = capacity.total(call.units(tables) for call in dynamodb)
    return {
        f"{prefix}.aws_requests": float(len(calls)),
        f"{prefix}.dynamodb_requests": float(len(dynamodb)),
        f"{prefix}.dynamodb_wcu": units.wcu,
        f"{prefix}.dynamodb_rcu": units.rcu,
    }


class Meter:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.tables: dict[str, capacity.Table] = {}
        self._recording_thread: int | None = None
        self._original: Callable[..., Any] | None = None
        self._side: Any = None
        self._lock = threading.Lock()
        self.clients_hooked = 0

    # --- setup --------------------------------------------------------------------------------------------------

    def install(self) -> None:
        """Hook every botocore client created from now on (call before anything creates one)."""
        if self._original is not None:
            return
        original = botocore.session.Session.create_client
        self._original = original
        meter = self

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            meter._hook(client)
            return client

        botocore.session.Session.create_client = create_client

    def uninstall(self) -> None:
        if self._original is not None:
            botocore.session.Session.create_client = self._original
            self._original = None

    def describe_tables(self, endpoint_url: str, region: str, *names: str) -> None:
        """Learn the key schemas and indexes (with the unhooked side client: not counted)."""
        side = self._side_client(endpoint_url, region)
        for name in names:
            self.tables[name] = capacity.Table.from_description(side.describe_table(TableName=name)["Table"])

    def _side_client(self, endpoint_url: str | None = None, region: str | None = None) -> Any:
        if self._side is None:
            assert self._original is not None, "install() first"
            session = botocore.session.get_session()
            self._side = self._original(session, "dynamodb", region_name=region, endpoint_url=endpoint_url)
        return self._side

    # --- recording ----------------------------------------------------------------------------------------------

    @contextmanager
    def window(self) -> Iterator[list[Call]]:
        """Record the calls made inside the block (on this thread); yields the list they are appended to."""
        recorded: list[Call] = []
        self.calls = recorded
        self._recording_thread = threading.get_ident()
        try:
            yield recorded
        finally:
            self._recording_thread = None

    def _recording(self) -> bool:
        return self._recording_thread is not None and threading.get_ident() == self._recording_thread

    def _hook(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        with self._lock:
            self.clients_hooked += 1

        def before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            if not self._recording():
                return
            call = Call(service, model.name, copy.deepcopy(params))
            if service == "dynamodb" and model.name in capacity.WRITES:
                keys = capacity.written_keys(model.name, params, self.tables)
                call.written = [(table, key, self._image(table, key)) for table, key in keys]
            context["bench_call"] = call

        def after(http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            call: Call | None = context.get("bench_call")
            if call is None or not self._recording():
                return
            call.status = int(getattr(http_response, "status_code", 0) or 0)
            call.response = copy.deepcopy(dict(parsed))
            if call.status >= 300:
                call.error = str(parsed.get("Error", {}).get("Code") or call.status)
            call.after = [self._image(table, key) for table, key, _ in call.written]
            self.calls.append(call)

        client.meta.events.register("before-parameter-build", before, unique_id=f"bench-before-{id(client)}")
        client.meta.events.register("after-call", after, unique_id=f"bench-after-{id(client)}")

    def _image(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """The item as stored now (side read, not counted)."""
        item: dict[str, Any] | None = self._side_client().get_item(TableName=table, Key=key,
                                                                   ConsistentRead=True).get("Item")
        return item
