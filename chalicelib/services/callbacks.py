"""A visitor asks to be called back (issue 13): now (CB-1) or at a free time of a slot they pick (CB-2), and may
cancel. Every refusal names its field and stores nothing: a number Guichet may not dial (numbers.py), a second open
callback for a number, a daily limit, a slot that is not offered, a full slot (409 `slot_full`).

What comes next (issue 13, still open): routing a callback to an agent as a call, dialling through the telephony
port, the Scheduler timer that starts a booking at its time, retries and expiry, and the confirmation email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain import emails
from chalicelib.domain.callbacks import numbers, slots
from chalicelib.domain.callbacks.model import Callback, CallbackMode, DailyLimits
from chalicelib.domain.callbacks.settings import CallbackSettings
from chalicelib.domain.errors import InvalidInput, MissingField, NotFound, Unavailable
from chalicelib.domain.model import Principal
from chalicelib.ports import CallbackRepository, Deps
from chalicelib.services import call_attempts, callback_mail, tenants
from chalicelib.services import chat_request as parse

NOW = "now"


@dataclass(frozen=True)
class CallbackRequest:
    """What the callbox sends: the number, a name, maybe an email, and `when`: "now" or a slot's key."""

    phone: object = None
    name: object = None
    email: object = None
    when: object = None
    #: The chat the visitor asks from, shown to the agent with the whole case (CB-12).
    conversation_id: object = None


def _store(deps: Deps) -> CallbackRepository:
    if deps.callbacks is None:
        raise Unavailable("callbacks are not set up here", field="when")
    return deps.callbacks


def _settings(deps: Deps, tenant: str) -> CallbackSettings:
    return tenants.settings_of(deps, tenant).callback


def daily_limits(settings: CallbackSettings, now: datetime) -> DailyLimits:
    """The limits of the tenant's current day (on its clock), and how long until the next one begins."""
    local = now.astimezone(settings.slots.zone)
    next_day = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return DailyLimits(day=local.date(), per_visitor=settings.per_visitor_daily, per_number=settings.per_number_daily,
                       seconds_to_next_day=max(1, int((next_day - local).total_seconds())))


def free_slots(deps: Deps, tenant: str) -> list[dict[str, object]]:
    """The slots a visitor may book now, each with its free times left and the time a booking would get."""
    settings = _settings(deps, tenant)
    if settings.scheduled == "off":
        return []
    now = deps.clock.now()
    taken = _store(deps).booked_times(tenant, now, now + timedelta(days=settings.slots.horizon_days + 1))
    return [found.to_json() for found in slots.free_slots(settings.slots, now, taken)]


def request_callback(deps: Deps, visitor: Principal, request: CallbackRequest) -> Callback:
    settings = _settings(deps, visitor.tenant)
    phone = numbers.visitor_number(request.phone, settings.numbers)
    name = parse.optional_text("name", request.name, 120)
    if not name:
        raise MissingField("name")
    email = emails.valid_email("email", request.email)
    conversation_id = parse.optional_text("conversation_id", request.conversation_id, 128)
    now = deps.clock.now()
    callback = Callback(tenant=visitor.tenant, id=deps.ids.new_id(), visitor_id=visitor.id, phone=phone, name=name,
                        mode=CallbackMode.IMMEDIATE, created_at=now, email=email, conversation_id=conversation_id)
    limits = daily_limits(settings, now)
    if request.when in (None, NOW):
        if settings.immediate == "off":
            raise Unavailable("immediate callback is not offered; pick a time", field="when")
        _store(deps).open(callback, limits)
        call_attempts.arm_first(deps, callback)
        callback_mail.confirm(deps, callback)
        return callback
    if settings.scheduled == "off":
        raise Unavailable("callbacks at a time are not offered", field="when")
    slot = slots.slot_by_key(settings.slots, str(request.when), now) if isinstance(request.when, str) else None
    if slot is None:
        raise InvalidInput("'when' must be \"now\" or the key of a slot offered now", field="when")
    times = [time.utc for time in slot.call_times() if time.utc > now]
    scheduled = Callback(**{**callback.__dict__, "mode": CallbackMode.SCHEDULED, "slot": slot.key})
    booked = _store(deps).book(scheduled, times, limits)
    call_attempts.arm_first(deps, booked)
    callback_mail.confirm(deps, booked)
    return booked


def cancel_callback(deps: Deps, visitor: Principal, callback_id: object) -> Callback:
    """The visitor cancels their callback: its time and its number are free again."""
    found_id = parse.required_str("callback_id", callback_id)
    store = _store(deps)
    found = store.get(visitor.tenant, found_id)
    if found is None or found.visitor_id != visitor.id:
        raise NotFound("no such callback", field="callback_id")
    cancelled = store.cancel(visitor.tenant, found_id)
    if cancelled is None:
        raise NotFound("this callback is no longer open", field="callback_id")
    call_attempts.cancelled(deps, found)  # a call in progress is hung up, its conversation released
    return cancelled


def callback_frame(callback: Callback) -> dict[str, object]:
    """A callback as the visitor sees it: the number masked (the visitor typed it; a page's other scripts need not
    read it back), the call time in UTC."""
    return {"id": callback.id, "mode": callback.mode.value, "state": callback.state.value,
            "at": callback.at.isoformat().replace("+00:00", "Z") if callback.at else None,
            "slot": callback.slot or None, "phone": numbers.masked(callback.phone), "name": callback.name}
