"""Callback facts end to end (issue 15): callbacks asked, booked, connected, recorded, not reached, expired and
cancelled through the real services on moto's server (the calls on the phone emulator: tests/integration/
call_line.py), the table's stream read by the local stream pump (local/stream_pump.py) and handed to the real Lambda
handler (`app.on_table_change`) — every batch twice —, then the facts and day aggregates read back through the real
adapter and compared with the counts expected from what happened.

Each pump starts at the stream's end (LATEST): the session's table is shared, so only the test's own records are
delivered. Call conversations bring their own facts (`closed`); only the callbacks' facts and metrics are compared.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.callback_items import CallbackItem, callback_item
from chalicelib.adapters.dynamodb.callbacks import DynamoCallbacks
from chalicelib.adapters.dynamodb.facts import DynamoReports
from chalicelib.adapters.dynamodb.keys import STATE, _callback_pk
from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.domain.report_facts import merged
from chalicelib.domain.reports.periods import report_day
from chalicelib.services import call_audio, call_recording, callbacks, conversations, tenants
from chalicelib.services.callbacks import CallbackRequest
from local.embedded_aws import DEFAULT_TEMPLATE
from local.phone import Script
from local.stream_pump import StreamPump, template_filters
from tests.integration.call_line import ALICE, ANSWER, BOB, VISITOR, Line, ask, hire, silent_wav, until
from tests.integration.callback_tenant import set_callback_slots
from tests.integration.conftest import Stack

#: The event source mapping's FilterCriteria (infra/template.yaml), as the local stack applies them.
STREAM_FILTERS = template_filters(DEFAULT_TEMPLATE, "OnTableChange")

PARIS = ZoneInfo("Europe/Paris")
CALLBACK_KINDS = ("cb_requested", "cb_connected", "cb_end", "cb_recorded")
METRICS = ("requested", "booked", "booked_slot:09:00-10:00", "connected", "connected_attempt:1", "not_reached",
           "expired", "cancelled", "left_while_waiting", "recorded")


def pump_twice(stack: Stack) -> StreamPump:
    """A pump from the stream's end whose every batch the handler gets twice (a redelivery changes nothing)."""
    def twice(event: dict[str, Any], context: Any) -> Any:
        lambda_app.on_table_change(event, context)
        answer = lambda_app.on_table_change(event, context)
        assert answer == {"batchItemFailures": []}
        return answer

    return StreamPump(twice, table_name=stack.env["TABLE_NAME"], endpoint_url=stack.env["AWS_ENDPOINT_URL"],
                      batch_size=100, start="LATEST",
                      filters=STREAM_FILTERS)


def callback_facts(tenant: str, days: set[date]) -> list[tuple[str, str, int]]:
    store = DynamoReports()
    return sorted((f.kind, f.subject_id, f.cycle) for day in days for f in store.facts(tenant, day)
                  if f.kind in CALLBACK_KINDS)


def callback_counts(tenant: str, days: set[date], dimension: tuple[str, str]) -> dict[str, int]:
    """The callbacks' counters of one dimension, added up over `days`: metric -> count."""
    found = DynamoReports().aggregates(tenant, sorted(days), [dimension])
    total = merged(*found.values())
    return {metric: counts.n for metric, counts in total.items() if metric in METRICS}


def test_callbacks_called_through_the_real_services_are_counted_once_on_their_days(stack: Stack, line: Line) -> None:
    """Ada's callback connects on its first attempt and is recorded; Bea's number is busy on its only attempt (not
    reached); Cy's rings an agent who never answers until the maximum delay (expired)."""
    admin = Principal(line.tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN}))
    call_audio.upload(line.deps, admin, "recording_notice", base64.b64encode(silent_wav(0.5)).decode())
    tenants.change_settings(line.deps, admin, {"callback": {"recording": True, "recording_share_percent": 0,
                                                            "attempts": 1}})
    pump = pump_twice(stack)
    hire(line, "alice", ALICE)
    line.exchange.set_script(ALICE, ANSWER)
    line.exchange.set_script(VISITOR, ANSWER)

    ada = ask(line, "v-ada")
    until(lambda: line.callback(ada.id).state is CallbackState.CONNECTED, what="Ada connected")
    until(lambda: line.exchange.phones[VISITOR].room is not None, what="Ada in the room")
    alice = Principal(line.tenant, "alice", PrincipalKind.AGENT)
    call_recording.start(line.deps, alice, f"{ada.id}-1")
    until(lambda: bool(line.callback(ada.id).recording_key), what="Ada's recording written")
    assert line.exchange.press(VISITOR, "hang_up")
    until(lambda: line.callback(ada.id).state is CallbackState.ENDED, what="Ada's call ended")
    until(lambda: line.exchange.phones[ALICE].state == "idle", what="Alice hung up")
    conversations.close_conversation(line.deps, alice, f"{ada.id}-1", disposition=None)  # Alice is Away now

    hire(line, "bob", BOB)
    line.exchange.set_script(BOB, ANSWER)
    line.exchange.set_script(VISITOR, Script("busy"))
    bea = ask(line, "v-bea")
    until(lambda: line.callback(bea.id).state is CallbackState.NOT_REACHED, what="Bea not reached")
    until(lambda: line.agent("bob").call_active == 0, what="Bob released")

    line.exchange.set_script(BOB, Script())  # rings, never answered
    line.exchange.ring_timeout = 60
    cy = ask(line, "v-cy")
    until(lambda: line.exchange.phones[BOB].state == "ringing", what="Bob's phone rings for Cy")
    line.clock.offset += timedelta(seconds=601)
    line.fire_due("callback.expire")
    assert line.callback(cy.id).state is CallbackState.EXPIRED

    result = pump.drain()

    assert result.failed == 0
    ada, bea, cy = line.callback(ada.id), line.callback(bea.id), line.callback(cy.id)
    assert ada.connected_at is not None and ada.since is not None and bea.since and cy.since
    days = {report_day(moment, PARIS) for moment in (ada.created_at, ada.connected_at, ada.since, bea.created_at,
                                                     bea.since, cy.created_at, cy.since)}
    assert callback_facts(line.tenant, days) == sorted([
        ("cb_requested", ada.id, 1), ("cb_connected", ada.id, 1), ("cb_end", ada.id, 1),
        ("cb_requested", bea.id, 1), ("cb_end", bea.id, 1), ("cb_requested", cy.id, 1), ("cb_end", cy.id, 1)])
    assert callback_counts(line.tenant, days, ("tenant", line.tenant)) == {
        "requested": 3, "connected": 1, "connected_attempt:1": 1, "recorded": 1, "not_reached": 1, "expired": 1}
    assert callback_counts(line.tenant, days, ("channel", "call")) == callback_counts(
        line.tenant, days, ("tenant", line.tenant))
    assert callback_counts(line.tenant, days, ("agent", "alice")) == {
        "connected": 1, "connected_attempt:1": 1, "recorded": 1}
    assert callback_counts(line.tenant, days, ("queue", ada.queue)) == {  # a request has no queue yet
        "connected": 1, "connected_attempt:1": 1, "recorded": 1, "not_reached": 1, "expired": 1}
    [connected] = [f for day in days for f in DynamoReports().facts(line.tenant, day) if f.kind == "cb_connected"]
    wait = (ada.connected_at - ada.created_at).total_seconds()
    assert (connected.at, connected.agent_id, connected.channel) == (ada.connected_at, "alice", "call")
    assert [m.seconds for m in connected.measures if m.metric == "connected"] == [round(wait, 3)]


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


MONDAY_8AM_PARIS = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
SLOT = "2026-12-07T09:00-10:00"


def test_bookings_count_per_slot_on_their_day_and_a_cancellation_on_its_own(stack: Stack, tenant: str) -> None:
    real = bootstrap.container().deps
    set_callback_slots(real, tenant, capacity=2)
    clock = _Clock(MONDAY_8AM_PARIS - timedelta(hours=9))  # 23:00 on Sunday in Paris
    deps = replace(real, clock=clock)
    pump = pump_twice(stack)

    zoe = callbacks.request_callback(deps, Principal(tenant, "v-1", PrincipalKind.VISITOR),
                                     CallbackRequest(phone="06 12 34 56 78", name="Zoé", when=SLOT))
    clock.current = MONDAY_8AM_PARIS  # 8:00 on Monday in Paris
    leo = callbacks.request_callback(deps, Principal(tenant, "v-2", PrincipalKind.VISITOR),
                                     CallbackRequest(phone="06 12 34 56 79", name="Léo", when=SLOT))
    clock.current = MONDAY_8AM_PARIS + timedelta(minutes=20)
    callbacks.cancel_callback(deps, Principal(tenant, "v-1", PrincipalKind.VISITOR), zoe.id)

    assert pump.drain().failed == 0

    sunday, monday = date(2026, 12, 6), date(2026, 12, 7)
    assert callback_facts(tenant, {sunday}) == [("cb_requested", zoe.id, 1)]
    assert callback_facts(tenant, {monday}) == sorted([("cb_requested", leo.id, 1), ("cb_end", zoe.id, 1)])
    assert callback_counts(tenant, {sunday}, ("tenant", tenant)) == {
        "requested": 1, "booked": 1, "booked_slot:09:00-10:00": 1}
    assert callback_counts(tenant, {monday}, ("tenant", tenant)) == {
        "requested": 1, "booked": 1, "booked_slot:09:00-10:00": 1, "cancelled": 1}
    [cancelled] = [f for f in DynamoReports().facts(tenant, monday) if f.kind == "cb_end"]
    assert cancelled.at == MONDAY_8AM_PARIS + timedelta(minutes=20)  # the cancellation's own time (its `since`)


def test_a_callback_item_made_before_items_had_a_type_gets_it_at_its_next_change(stack: Stack, tenant: str) -> None:
    """The stream's filter selects callback items by `t`: an older item gets it with its next write, and its
    record still reads as a callback (its old image has no `t`)."""
    older = Callback(tenant=tenant, id="cb-older", visitor_id="v-9", phone="+33612349999", name="Old",
                     mode=CallbackMode.IMMEDIATE, created_at=MONDAY_8AM_PARIS)
    item = callback_item(older)
    item.kind = None
    item.save()
    client = boto3.client("dynamodb", endpoint_url=stack.env["AWS_ENDPOINT_URL"], region_name="us-east-1")
    key = {"pk": {"S": _callback_pk(tenant, older.id)}, "sk": {"S": STATE}}
    assert "t" not in client.get_item(TableName=stack.env["TABLE_NAME"], Key=key)["Item"]

    changed = DynamoCallbacks().change(tenant, older.id, {"outcome": "busy"}, expect={"state": CallbackState.BOOKED})

    assert changed is not None and changed.outcome == "busy"
    assert client.get_item(TableName=stack.env["TABLE_NAME"], Key=key)["Item"]["t"] == {"S": "cb"}
    assert CallbackItem.get(_callback_pk(tenant, older.id), STATE).kind == "cb"
