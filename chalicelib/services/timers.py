"""Dispatching a delivered timer to the service that armed it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import InvalidInput
from chalicelib.ports import Deps
from chalicelib.services import (
    board,
    call_attempts,
    conversations,
    holding,
    notifications,
    offers,
    presence,
    routing,
    routing_admin,
)

_HANDLERS: dict[str, Callable[[Deps, str, dict[str, Any]], bool]] = {
    **presence.HANDLERS,
    **board.HANDLERS,
    routing.OFFER_EXPIRED: offers.expired,
    conversations.WAIT_EXPIRED: conversations.wait_expired,
    routing_admin.REINDEX: routing_admin.reindex,
    holding.SNOOZE_ENDED: holding.snooze_ended,
    holding.RESERVATION_EXPIRED: holding.reservation_expired,
    notifications.NOTIFY: notifications.notify_visitor,
    call_attempts.DUE: call_attempts.start,
    call_attempts.EXPIRE: call_attempts.expire,
    call_attempts.AFTER_CALL: call_attempts.back_after_call,
    "call.transfer_expired": lambda deps, tenant, payload: _transfer_expired(deps, tenant, payload),
}


def _transfer_expired(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    from chalicelib.services import call_transfers  # the calls' modules: loaded by a call's timer, not at import

    return call_transfers.expired(deps, tenant, payload)


def fire(deps: Deps, body: str) -> bool:
    """Run the timer in `body`; True if it changed something. Unknown or malformed timers are refused loudly."""
    try:
        timer = json.loads(body)
    except ValueError as exc:
        raise InvalidInput("a timer body must be JSON") from exc
    if not isinstance(timer, dict):
        raise InvalidInput("a timer body must be a JSON object")
    handler = _HANDLERS.get(str(timer.get("kind")))
    tenant = timer.get("tenant")
    if handler is None or not isinstance(tenant, str):
        raise InvalidInput(f"unknown timer {timer.get('kind')!r}", field="kind")
    changed = handler(deps, tenant, timer)
    deps.metrics.count("TimersFired")
    if not changed:
        deps.metrics.count("TimersStale")  # its re-check found nothing to do: dropped
    return changed
