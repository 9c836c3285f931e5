"""A visitor asks for a callback through the service, on moto's DynamoDB (issue 13, CB-1, CB-2): now or in a slot,
with every refusal naming its field and storing nothing, and a cancellation that frees the time and the number."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib import bootstrap
from chalicelib.domain.callbacks.model import CallbackMode, CallbackState, NumberHasCallback, SlotFull
from chalicelib.domain.callbacks.settings import callback_settings_from_json
from chalicelib.domain.errors import DomainError, InvalidInput, MissingField, NotFound, Unavailable
from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.ports import Deps
from chalicelib.services import callbacks
from chalicelib.services.callbacks import CallbackRequest
from tests.integration.callback_tenant import set_callback_slots

MONDAY_8AM_PARIS = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
SLOT = "2026-12-07T09:00-10:00"


class _Clock:
    def now(self) -> datetime:
        return MONDAY_8AM_PARIS


@pytest.fixture
def deps(tenant: str) -> Deps:
    real = bootstrap.container().deps
    set_callback_slots(real, tenant, capacity=2)
    return replace(real, clock=_Clock())


def _visitor(tenant: str, n: int = 1) -> Principal:
    return Principal(tenant, f"v-{n}", PrincipalKind.VISITOR)


def test_a_booking_gets_the_earliest_time_of_its_slot_and_a_full_slot_says_so(deps: Deps, tenant: str) -> None:
    first = callbacks.request_callback(deps, _visitor(tenant, 1), CallbackRequest(
        phone="06 12 34 56 78", name="Zoé", when=SLOT))
    assert (first.mode, first.phone, first.at) == (CallbackMode.SCHEDULED, "+33612345678",
                                                   datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    second = callbacks.request_callback(deps, _visitor(tenant, 2), CallbackRequest(
        phone="06 12 34 56 79", name="Léo", when=SLOT))
    assert second.at == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # 2 in an hour: 9:00 and 9:30 in Paris
    offered = callbacks.free_slots(deps, tenant)
    assert SLOT not in [s["key"] for s in offered] and offered[0]["key"] == "2026-12-14T09:00-10:00"
    with pytest.raises(SlotFull):
        callbacks.request_callback(deps, _visitor(tenant, 3), CallbackRequest(phone="0612345680", name="Ana",
                                                                              when=SLOT))
    callbacks.cancel_callback(deps, _visitor(tenant, 1), first.id)
    assert callbacks.free_slots(deps, tenant)[0] == {
        "key": SLOT, "date": "2026-12-07", "start": "09:00", "end": "10:00", "free": 1,
        "next": "2026-12-07T09:00:00+01:00"}


def test_an_immediate_callback_holds_its_number(deps: Deps, tenant: str) -> None:
    now = callbacks.request_callback(deps, _visitor(tenant), CallbackRequest(phone="+33612345678", name="Zoé"))
    assert (now.mode, now.state) == (CallbackMode.IMMEDIATE, CallbackState.BOOKED)
    with pytest.raises(NumberHasCallback):
        callbacks.request_callback(deps, _visitor(tenant, 2), CallbackRequest(phone="0612345678", name="Zoé",
                                                                              when=SLOT))


@pytest.mark.parametrize(("request_", "error", "field"), [
    (CallbackRequest(phone="08 99 12 34 56", name="Zoé"), InvalidInput, "phone"),  # premium rate
    (CallbackRequest(phone="+1 202 555 0143", name="Zoé"), InvalidInput, "phone"),  # not an allowed country
    (CallbackRequest(phone="not a number", name="Zoé"), InvalidInput, "phone"),
    (CallbackRequest(phone="0612345678"), MissingField, "name"),
    (CallbackRequest(phone="0612345678", name="Zoé", email="zoé@"), InvalidInput, "email"),
    (CallbackRequest(phone="0612345678", name="Zoé", when="2026-12-08T09:00-10:00"), InvalidInput, "when"),
    (CallbackRequest(phone="0612345678", name="Zoé", when=["now"]), InvalidInput, "when"),
], ids=["premium", "country", "garbage", "no-name", "email", "slot-not-offered", "when-not-text"])
def test_a_refused_request_names_its_field_and_stores_nothing(deps: Deps, tenant: str, request_: CallbackRequest,
                                                              error: type[DomainError], field: str) -> None:
    with pytest.raises(error) as refused:
        callbacks.request_callback(deps, _visitor(tenant), request_)
    assert refused.value.field == field
    assert callbacks.free_slots(deps, tenant)[0]["free"] == 2  # nothing booked


def test_immediate_callback_switched_off_is_unavailable(deps: Deps, tenant: str) -> None:
    found = deps.tenants.get(tenant)
    assert found is not None
    off = callback_settings_from_json({"immediate": "off"}, found.settings.callback)
    deps.tenants.put(replace(found, settings=replace(found.settings, callback=off)))
    with pytest.raises(Unavailable) as refused:
        callbacks.request_callback(deps, _visitor(tenant), CallbackRequest(phone="0612345678", name="Zoé"))
    assert refused.value.field == "when"


def test_a_visitor_cancels_only_their_own_callback(deps: Deps, tenant: str) -> None:
    booked = callbacks.request_callback(deps, _visitor(tenant, 1), CallbackRequest(phone="0612345678", name="Zoé",
                                                                                     when=SLOT))
    with pytest.raises(NotFound):
        callbacks.cancel_callback(deps, _visitor(tenant, 2), booked.id)
    assert callbacks.cancel_callback(deps, _visitor(tenant, 1), booked.id).state is CallbackState.CANCELLED
    with pytest.raises(NotFound):
        callbacks.cancel_callback(deps, _visitor(tenant, 1), booked.id)
