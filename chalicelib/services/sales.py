"""The brand's site reports a sale through a signed REST call; it is credited to the last agent who wrote to the
visitor before it, within the tenant's window (ASYNC-12, `sale_attribution_hours`, 48 by default)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import sales as rules
from chalicelib.domain.errors import InvalidInput, MissingField, NotFound
from chalicelib.domain.moments import parse_moment
from chalicelib.ports import Deps
from chalicelib.services import tenants, visitors
from chalicelib.services.frames import iso

CONVERSATIONS_LOOKED_AT = 50  # the visitor's newest conversations


def report_sale(deps: Deps, tenant_id: str, raw_body: bytes, signature: str | None, body: dict[str, Any]
                ) -> rules.Sale:
    """Check the brand's signature of `raw_body` (whose fields, checked by the boundary, are `body`), find the
    visitor (its `visitor_id`, or the `external_id` the brand signs its customers with) and credit the sale; a
    repeat of an order id returns the sale as first recorded."""
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    rules.check_signature(tenant.identity_secrets(deps.clock.now()), raw_body, signature)
    order_id = _text(body, "order_id", 128, required=True)
    amount = _text(body, "amount", 32)
    currency = _text(body, "currency", 3)
    at = _moment(body.get("at"), deps.clock.now())
    visitor_id = _text(body, "visitor_id", 128)
    external_id = _text(body, "external_id", 320)
    if bool(visitor_id) == bool(external_id):
        raise InvalidInput("give either 'visitor_id' or 'external_id'", field="visitor_id")
    if external_id:
        assert deps.secrets is not None
        visitor_id = visitors.identified_visitor_id(deps.secrets.visitor_id_key(), tenant_id, external_id)
    assert deps.sales is not None
    recorded = deps.sales.get(tenant_id, order_id)
    if recorded is not None:
        return recorded
    window = timedelta(hours=tenants.settings_of(deps, tenant_id).sale_attribution_hours)
    messages = []
    for conversation in deps.conversations.of_visitor(tenant_id, visitor_id, CONVERSATIONS_LOOKED_AT):
        if conversation.created_at > at:
            continue
        last = deps.conversations.last_agent_message(tenant_id, conversation.id, at)
        if last is not None:
            messages.append(last)
    sale = rules.Sale(tenant=tenant_id, order_id=order_id, visitor_id=visitor_id, at=at, amount=amount,
                      currency=currency, credit=rules.credit(messages, at, window))
    return deps.sales.record(sale)


def sale_frame(sale: rules.Sale) -> dict[str, Any]:
    credit = sale.credit
    return {"order_id": sale.order_id, "visitor_id": sale.visitor_id, "at": iso(sale.at), "amount": sale.amount,
            "currency": sale.currency,
            "credited_to": {"agent_id": credit.agent_id, "agent_name": credit.agent_name,
                            "conversation_id": credit.conversation_id,
                            "last_message_at": iso(credit.last_message_at)} if credit else None}


def _text(body: dict[str, Any], name: str, limit: int, required: bool = False) -> str:
    value = body.get(name)
    if value in (None, ""):
        if required:
            raise MissingField(name)
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "amount":
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"'{name}' must be a text of at most {limit} characters", field=name)
    return value


def _moment(value: object, now: datetime) -> datetime:
    return now if value in (None, "") else parse_moment("at", value)
