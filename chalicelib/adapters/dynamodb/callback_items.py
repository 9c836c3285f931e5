"""The callbacks' items (issue 13) and how a `Callback` maps to them: every field of the model is an attribute of the
same name, enums by value, and a field at its default ("", None, 0, False) is no attribute at all, so an item written
before a field existed reads as that field's default.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.adapters.dynamodb.keys import STATE, _agenda_line_sk, _agenda_pk, _callback_pk, _live_calls_pk
from chalicelib.adapters.dynamodb.table import _Item
from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState, CallPhase
from chalicelib.domain.callbacks.recording import RecordingState

#: The callback item's type (its `t` attribute): the reports' stream consumer selects its records by it
#: (stream_records.CONSUMED_TYPES, and the event source mapping's FilterCriteria in infra/template.yaml).
CALLBACK_TYPE = "cb"


class CallbackItem(_Item):
    """A callback (``T#<t>#CALLBACK#<id>`` / ``STATE``)."""

    #: Set when the item is made, and again by every update (`DynamoCallbacks`), so that an item made before it
    #: existed gets it at its next change. Never removed.
    kind = UnicodeAttribute(attr_name="t", null=True, default=CALLBACK_TYPE)
    visitor_id = UnicodeAttribute()
    phone = UnicodeAttribute()
    name = UnicodeAttribute()
    mode = UnicodeAttribute()
    state = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    at = UTCDateTimeAttribute(null=True)
    slot = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    conversation_id = UnicodeAttribute(null=True)
    # The call flow (CB-7 to CB-9): absent on items written before it, and whenever at its default.
    attempt = NumberAttribute(null=True)
    record = BooleanAttribute(null=True)
    no_record = BooleanAttribute(null=True)
    phase = UnicodeAttribute(null=True)
    since = UTCDateTimeAttribute(null=True)
    next_at = UTCDateTimeAttribute(null=True)
    connected_at = UTCDateTimeAttribute(null=True)  # issue 15: the reports' "connected on attempt n"
    first_attempt_at = UTCDateTimeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    agent_id = UnicodeAttribute(null=True)
    agent_name = UnicodeAttribute(null=True)
    agent_call = UnicodeAttribute(null=True)
    visitor_call = UnicodeAttribute(null=True)
    room = UnicodeAttribute(null=True)
    recording_key = UnicodeAttribute(null=True)
    recording_state = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    held_since = UTCDateTimeAttribute(null=True)
    consult_state = UnicodeAttribute(null=True)
    consult_to = UnicodeAttribute(null=True)
    consult_name = UnicodeAttribute(null=True)
    consult_call = UnicodeAttribute(null=True)
    consult_id = UnicodeAttribute(null=True)
    consult_since = UTCDateTimeAttribute(null=True)
    consult_outcome = UnicodeAttribute(null=True)
    transfer_id = UnicodeAttribute(null=True)
    transfer_to = UnicodeAttribute(null=True)
    transfer_name = UnicodeAttribute(null=True)
    transfer_state = UnicodeAttribute(null=True)
    transfer_call = UnicodeAttribute(null=True)
    transfer_from = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    note_by = UnicodeAttribute(null=True)
    acd = BooleanAttribute(null=True)  # ACD mode (CB-5)
    acd_tries = NumberAttribute(null=True)


class LiveCallItem(_Item):
    """A callback whose call is going on (``T#<t>#LIVE-CALLS`` / ``<callback id>``): written when it starts calling,
    deleted when it leaves calling and connected, in the transaction that changes its state; supervisors list them
    (issue 14). The callback's item is the truth: the list reads them."""


class CallTimeItem(_Item):
    """A booked call time (``T#<t>#CALL-TIMES`` / ``TIME#<utc stamp>``): who holds it, in which slot."""

    callback_id = UnicodeAttribute()
    slot = UnicodeAttribute()


class DailyCountItem(_Item):
    """Callbacks asked in a day by a visitor or for a number (``T#<t>#CALLBACKS-<day>#<kind>#<key>`` / ``DAILY``),
    kept two days."""

    n = NumberAttribute()
    expires_at = TTLAttribute()


class NumberLockItem(_Item):
    """A number's open callback (``T#<t>#CALLBACK-NUMBER#<e164>`` / ``POINTER``)."""

    callback_id = UnicodeAttribute()


class AgendaLineItem(_Item):
    """A scheduled callback's line in the tenant's agenda (``T#<t>#AGENDA`` / ``<utc stamp>#<callback>``): what the
    agenda shows (CB-11), so that one Query reads a day. A copy: the callback's item is the truth, and every write
    that changes one of these fields writes the line in the same transaction."""

    callback_id = UnicodeAttribute()
    visitor_id = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    state = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    slot = UnicodeAttribute(null=True)
    attempt = NumberAttribute(null=True)
    agent_name = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)


_ENUMS: dict[str, type[Enum]] = {"mode": CallbackMode, "state": CallbackState, "phase": CallPhase,
                                  "recording_state": RecordingState}
#: The model's fields kept in the callback's item (tenant and id are its key).
STORED = tuple(f.name for f in fields(Callback) if f.name not in ("tenant", "id"))
#: Fields every item has; the others are absent at their default.
REQUIRED = frozenset({"visitor_id", "phone", "name", "mode", "state", "created_at"})
#: What `change` may set: the state and the call's fields. The rest is set when the callback is made (and `at` and
#: `slot` by `move`).
CHANGEABLE = frozenset(STORED) - REQUIRED - {"at", "slot", "name"} | {"state"}
#: The states of a call going on: a callback in one of them has a live call item.
LIVE_STATES = frozenset({CallbackState.CALLING, CallbackState.CONNECTED})


def live_call(callback: Callback) -> LiveCallItem:
    return LiveCallItem(_live_calls_pk(callback.tenant), callback.id)


#: The fields the agenda line copies (besides its key, the call time): a change to one of them writes the line.
ON_AGENDA = frozenset({"state", "attempt", "agent_name", "queue"})


def stored(value: Any) -> Any:
    """A field's value as an attribute holds it; None (no attribute) for a default."""
    if isinstance(value, Enum):
        value = value.value
    return None if value is None or value == "" or value is False or (type(value) is int and value == 0) else value


def callback_item(callback: Callback) -> CallbackItem:
    values = {name: stored(getattr(callback, name)) for name in STORED}
    return CallbackItem(_callback_pk(callback.tenant, callback.id), STATE, **values)


def callback_of(tenant: str, callback_id: str, item: CallbackItem) -> Callback:
    values: dict[str, Any] = {}
    for name in STORED:
        value = getattr(item, name, None)
        if value is None:
            continue  # the field's default: an item written before the field existed has no attribute either
        enum = _ENUMS.get(name)
        values[name] = enum(value) if enum is not None else (int(value) if name in ("attempt", "acd_tries") else value)
    return Callback(tenant=tenant, id=callback_id, **values)


def agenda_line(callback: Callback) -> AgendaLineItem:
    """The line of a scheduled callback (its `at` set)."""
    assert callback.at is not None
    return AgendaLineItem(
        _agenda_pk(callback.tenant), _agenda_line_sk(callback.at, callback.id), callback_id=callback.id,
        visitor_id=callback.visitor_id, name=callback.name, phone=callback.phone, state=callback.state.value,
        created_at=callback.created_at, slot=stored(callback.slot), attempt=stored(callback.attempt),
        agent_name=stored(callback.agent_name), queue=stored(callback.queue))


def callback_of_line(tenant: str, line: AgendaLineItem) -> Callback:
    """What the agenda knows of a callback: the rest of its fields are at their defaults."""
    stamp, _, _ = line.sk.partition("#")
    return Callback(tenant=tenant, id=line.callback_id, visitor_id=line.visitor_id, phone=line.phone, name=line.name,
                    mode=CallbackMode.SCHEDULED, created_at=line.created_at, state=CallbackState(line.state),
                    at=at_of_stamp(stamp), slot=line.slot or "", attempt=int(line.attempt or 0),
                    agent_name=line.agent_name or "", queue=line.queue or "")


def at_of_stamp(stamp: str) -> datetime:
    """The moment a sort key's `_stamp` names."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
