"""What the reports' stream consumer adds to one closed live chat (issue 15): requests and write units.

Not measured: the chat itself (the visitor's request, the agent's accept, two messages each way, the close), as
bench/chat_bench.py measures it; then its stream records, read by the local stream pump (local/stream_pump.py,
started at the stream's end before the chat) into Lambda's event shape. Measured, in one window: those records
handed to the real handler (`app.on_table_change`) in one batch, as the event source mapping would, then the same
batch once more (a redelivery: its transaction is cancelled by the fact's condition, and a cancelled transaction
still costs its write units).

The mapping's FilterCriteria lets only conversation state items invoke the function (infra/template.yaml): the
figures count the records that pass it, which are all the handler is given on AWS; the bench hands it every record
(the others are ignored at no DynamoDB cost), so the requests and units are those of the deployed consumer.
"""

from __future__ import annotations

import os
from typing import Any

from bench import capacity
from bench.message_bench import (
    ConnectionsRecorder,
    Result,
    accept_offer,
    metered,
    open_socket,
    seed_tenant,
    text_of,
)
from bench.meter import Meter


def run() -> Result:
    return metered(_closed_chat)


def _passes_filter(record: dict[str, Any]) -> bool:
    from chalicelib.adapters.dynamodb.stream_records import CONSUMED_TYPES

    return (record["dynamodb"].get("NewImage") or {}).get("t", {}).get("S") in CONSUMED_TYPES


def _closed_chat(meter: Meter, recorder: ConnectionsRecorder) -> Result:
    import app as lambda_app
    from local import events
    from local.stream_pump import StreamPump

    batches: list[dict[str, Any]] = []

    def keep(event: dict[str, Any], context: Any) -> dict[str, Any]:
        batches.append(event)
        return {"batchItemFailures": []}

    tenant, agent_token, session = seed_tenant(live=True)
    desk = open_socket(recorder, tenant, agent_token)
    assert (desk.send({"action": "set_status", "id": "s", "status": "available"}) or {}).get("type") == "ack"
    widget = open_socket(recorder, tenant, session.token)
    pump = StreamPump(keep, table_name=os.environ["TABLE_NAME"], endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                      batch_size=1000, start="LATEST")
    started = widget.send({"action": "start_conversation", "consent": True, "id": "start",
                           "page": {"url": "https://acme.example/bike", "title": "Bike"}})
    assert started is not None and started["type"] == "ack", started
    conversation_id = started["conversation"]["id"]
    accept_offer(desk, recorder)
    for i in range(4):
        sender = widget if i % 2 == 0 else desk
        sender.send({"action": "send_message", "id": f"m{i}", "conversation_id": conversation_id,
                     "client_message_id": f"cm-{i}", "text": text_of(60), "after_seq": i})
    closed = desk.send({"action": "close_conversation", "id": "close", "conversation_id": conversation_id,
                        "disposition": "Resolved"})
    assert closed is not None and closed["type"] == "ack", closed
    pump.drain()
    records = [r for batch in batches for r in batch["Records"]]
    invoking = [r for r in records if _passes_filter(r)]
    event = {"Records": invoking}

    with meter.window() as first:
        answer = lambda_app.on_table_change(event, events.lambda_context("on_table_change"))
    with meter.window() as again:
        answer_again = lambda_app.on_table_change(event, events.lambda_context("on_table_change"))
    assert answer == answer_again == {"batchItemFailures": []}, (answer, answer_again)

    def cost(calls: list[Any]) -> tuple[int, float]:
        dynamodb = [call for call in calls if call.service == "dynamodb"]
        return len(dynamodb), capacity.total(call.units(meter.tables) for call in dynamodb).wcu

    requests, wcu = cost(first)
    requests_again, wcu_again = cost(again)
    figures = {
        "reports.stream_records_per_conversation": float(len(records)),
        "reports.invoking_records_per_conversation": float(len(invoking)),
        "reports.dynamodb_requests_per_conversation": float(requests),
        "reports.wcu_per_conversation": wcu,
        "reports.wcu_per_redelivery": wcu_again,
    }
    notes = [f"reports: one closed chat's {len(records)} stream records, {len(invoking)} past the filter; "
             f"{requests} DynamoDB requests ({wcu:g} WCU), again {requests_again} ({wcu_again:g} WCU)"]
    reads = _reads(meter, tenant)
    figures.update(reads)
    notes.append("reports reads (the experience view; the tenant has 1 queue, 1 agent): " + ", ".join(
        f"{key.rsplit('.', 1)[1]} {value:g}" for key, value in reads.items()))
    return Result(figures, notes)


def _reads(meter: Meter, tenant: str) -> dict[str, float]:
    """DynamoDB requests of one report read: a day (exact, from the facts), 90 and 365 days (the aggregates: one
    Query per dimension id, whatever the range), and one refresh of the live board (computed from state)."""
    from datetime import timedelta

    from chalicelib import bootstrap
    from chalicelib.domain.model import Principal, PrincipalKind, Role
    from chalicelib.services import board, reports

    deps = bootstrap.container().deps
    sam = Principal(tenant, "sam", PrincipalKind.AGENT, name="Sam", roles=frozenset({Role.AGENT, Role.SUPERVISOR}))
    today = reports.today(deps.clock.now(), reports.tenant_zone(deps, tenant))
    found: dict[str, float] = {}
    for key, days in (("read_day", 1), ("read_90_days", 90), ("read_365_days", 365)):
        with meter.window() as calls:
            report = reports.read(deps, sam, "experience", today - timedelta(days=days - 1), today)
        assert report["figures"], report
        found[f"reports.dynamodb_requests.{key}"] = float(sum(1 for c in calls if c.service == "dynamodb"))
    with meter.window() as calls:
        board.live_board(deps, sam)
    found["reports.live_board_requests"] = float(sum(1 for c in calls if c.service == "dynamodb"))
    found["reports.read_365_days_over_90_days"] = found["reports.dynamodb_requests.read_365_days"] \
        - found["reports.dynamodb_requests.read_90_days"]
    return found
