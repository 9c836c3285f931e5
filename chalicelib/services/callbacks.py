"""A visitor asks to be called back (issue 13): now (CB-1) or at a free time of a slot they pick (CB-2), and may
cancel. Every refusal names its field and stores nothing: a number Guichet may not dial (numbers.py), a second open
callback for a number, a daily limit, immediate callback while it is not offered, a slot that is not offered, a full
slot (409 `slot_full`).

What the widget offers now (`offers`): immediate callback while an agent is Available for calls in the groups a call
is routed to, or within the opening hours (CB-1); scheduled callback always, only while immediate is not offered, or
within its hours (CB-2). The tenant's opening hours (issue 16, domain/opening_hours.py), when enabled, bound both:
immediate callback only while open, and slots only on the dates the tenant opens (holidays never).

What comes next (issue 13, still open): routing a callback to an agent as a call, dialling through the telephony
port, the Scheduler timer that starts a booking at its time, retries and expiry, and the confirmation email."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain import emails, opening_hours
from chalicelib.domain.callbacks import numbers, recording, slots
from chalicelib.domain.callbacks.model import Callback, CallbackMode, CallbackState, DailyLimits
from chalicelib.domain.callbacks.settings import CallbackSettings
from chalicelib.domain.callbacks.slots import SlotSettings
from chalicelib.domain.errors import Conflict, InvalidInput, MissingField, NotFound, Unavailable
from chalicelib.domain.model import Principal
from chalicelib.domain.routing import Channel, RoutingContext, route_for
from chalicelib.ports import CallbackRepository, Deps
from chalicelib.services import call_attempts, callback_mail, callback_notices, tenants
from chalicelib.services import chat_request as parse

NOW = "now"
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")


@dataclass(frozen=True)
class CallbackRequest:
    """What the callbox sends: the number, a name, maybe an email, and `when`: "now" or a slot's key."""

    phone: object = None
    name: object = None
    email: object = None
    when: object = None
    #: The chat the visitor asks from, shown to the agent with the whole case (CB-12).
    conversation_id: object = None
    #: "Do not record me" (CB-9): the visitor's call is never recorded.
    do_not_record: object = False
    #: The widget's language (a BCP 47 tag such as "fr" or "en-GB"): the emails are written in it.
    language: object = None


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


def offers(deps: Deps, tenant: str) -> dict[str, object]:
    """What the callbox offers now: `immediate` (CB-1), `scheduled` (CB-2), the tenant's `time_zone` (the slots'
    wall clock) and the free `slots`. The slots are listed whenever scheduled callback is on, even while `scheduled`
    is false (immediate is offered): a visitor whose immediate callback expired is offered one (CB-3)."""
    settings = _settings(deps, tenant)
    now = deps.clock.now()
    immediate = immediate_offered(deps, tenant, settings, now)
    scheduled = {"off": False, "always": True, "when_immediate_unavailable": not immediate,
                 "on_schedule": _within(settings.scheduled_hours, now)}.get(settings.scheduled, False)
    return {"immediate": immediate, "scheduled": scheduled, "time_zone": settings.slots.time_zone,
            "slots": free_slots(deps, tenant)}


def immediate_offered(deps: Deps, tenant: str, settings: CallbackSettings, now: datetime) -> bool:
    """Whether "call me now" is offered (CB-1): "when_agents_available" while at least one agent is Available for
    calls (takes calls, has a line, has room) in a group of the rule that routes a call, and always in ACD mode
    (CB-5); "opening_hours" within them; "off" never. Groups' thresholds do not count: a callback asked for now is
    made now, so a queue with room is not an agent. Never while the tenant is closed (its opening hours)."""
    if not opening_hours.is_open(tenants.settings_of(deps, tenant).hours, now):
        return False
    if settings.immediate == "opening_hours":
        return _within(settings.opening_hours, now)
    if settings.immediate != "when_agents_available":
        return False
    if settings.acd.on:  # ACD mode (CB-5): the ACD takes the calls; Guichet's agents' availability says nothing of it
        return True
    route = route_for(tenants.routing_of(deps, tenant), RoutingContext(channel=Channel.CALL))
    if route is None:
        return False
    return any(deps.routing.ready(tenant, group, Channel.CALL, route.skill, 1) for group in route.groups)


def _within(hours: SlotSettings | None, now: datetime) -> bool:
    """Whether `now` falls in one of the hours' ranges on the tenant's clock (a holiday's own ranges that day)."""
    if hours is None:
        return False
    local = now.astimezone(hours.zone)
    return any(hours_range.start <= local.time() < hours_range.end
               for hours_range in slots.ranges_on(hours, local.date()))


def free_slots(deps: Deps, tenant: str) -> list[dict[str, object]]:
    """The slots a visitor may book now, each with its free times left and the time a booking would get."""
    settings = _settings(deps, tenant)
    if settings.scheduled == "off":
        return []
    now = deps.clock.now()
    taken = _store(deps).booked_times(tenant, now, now + timedelta(days=settings.slots.horizon_days + 1))
    hours = tenants.settings_of(deps, tenant).hours
    return [found.to_json() for found in slots.free_slots(settings.slots, now, taken)
            if opening_hours.open_on(hours, found.slot.day)]


def _offered_slot(deps: Deps, tenant: str, settings: CallbackSettings, key: object,
                  now: datetime) -> slots.Slot | None:
    """The slot a visitor names, if offered now: in the slots' horizon, on a date the tenant opens."""
    slot = slots.slot_by_key(settings.slots, key, now) if isinstance(key, str) else None
    if slot is None or not opening_hours.open_on(tenants.settings_of(deps, tenant).hours, slot.day):
        return None
    return slot


def request_callback(deps: Deps, visitor: Principal, request: CallbackRequest) -> Callback:
    settings = _settings(deps, visitor.tenant)
    phone = numbers.visitor_number(request.phone, settings.numbers)
    name = parse.optional_text("name", request.name, 120)
    if not name:
        raise MissingField("name")
    email = emails.valid_email("email", request.email)
    conversation_id = parse.optional_text("conversation_id", request.conversation_id, 128)
    if not isinstance(request.do_not_record, bool):
        raise InvalidInput("'do_not_record' must be true or false", field="do_not_record")
    language = parse.optional_text("language", request.language, 35)
    if language and not _LANGUAGE.fullmatch(language):
        raise InvalidInput("'language' must be a language tag such as fr or en-GB", field="language")
    now = deps.clock.now()
    callback_id = deps.ids.new_id()
    callback = Callback(tenant=visitor.tenant, id=callback_id, visitor_id=visitor.id, phone=phone, name=name,
                        mode=CallbackMode.IMMEDIATE, created_at=now, email=email, conversation_id=conversation_id,
                        no_record=request.do_not_record, language=language,
                        record=recording.recorded(callback_id, settings.recording, opted_out=request.do_not_record))
    limits = daily_limits(settings, now)
    if request.when in (None, NOW):
        if not immediate_offered(deps, visitor.tenant, settings, now):
            raise Unavailable("immediate callback is not offered now; pick a time", field="when")
        _store(deps).open(callback, limits)
        call_attempts.arm_first(deps, callback)
        callback_mail.confirm(deps, callback, language=callback.language)
        return callback
    if settings.scheduled == "off":
        raise Unavailable("callbacks at a time are not offered", field="when")
    slot = _offered_slot(deps, visitor.tenant, settings, request.when, now)
    if slot is None:
        raise InvalidInput("'when' must be \"now\" or the key of a slot offered now", field="when")
    times = [time.utc for time in slot.call_times() if time.utc > now]
    scheduled = Callback(**{**callback.__dict__, "mode": CallbackMode.SCHEDULED, "slot": slot.key})
    booked = _store(deps).book(scheduled, times, limits)
    call_attempts.arm_first(deps, booked)
    callback_mail.confirm(deps, booked, language=booked.language)
    return booked


def cancel_callback(deps: Deps, visitor: Principal, callback_id: object) -> Callback:
    """The visitor cancels their callback: its time and its number are free again."""
    found_id = parse.required_str("callback_id", callback_id)
    store = _store(deps)
    found = store.get(visitor.tenant, found_id)
    if found is None or found.visitor_id != visitor.id:
        raise NotFound("no such callback", field="callback_id")
    cancelled = store.cancel(visitor.tenant, found_id, at=deps.clock.now())
    if cancelled is None:
        raise NotFound("this callback is no longer open", field="callback_id")
    call_attempts.cancelled(deps, found)  # a call in progress is hung up, its conversation released
    return cancelled


def callback_frame(callback: Callback, attempts: int) -> dict[str, object]:
    """A callback as the visitor sees it, as the `callback.updated` frame carries it (callback_notices.py): the
    number masked, the call time in UTC, the attempt under way of `attempts` (the tenant's)."""
    return callback_notices.visitor_view(callback, attempts)


def visitor_callback(deps: Deps, callback: Callback) -> dict[str, object]:
    """callback_frame with the tenant's number of attempts: what the visitor's REST routes answer."""
    return callback_frame(callback, callback_notices.attempts_of(deps, callback.tenant))


# --- the visitor's own callback: read it, move its booking (issue 13; the storage helper's part) -----------------


def get_callback(deps: Deps, visitor: Principal, callback_id: object) -> Callback:
    """The visitor's own callback, in whatever state (the widget shows each, and an email link opens it)."""
    found_id = parse.required_str("callback_id", callback_id)
    found = _store(deps).get(visitor.tenant, found_id)
    if found is None or found.visitor_id != visitor.id:
        raise NotFound("no such callback", field="callback_id")
    return found


def move_callback(deps: Deps, visitor: Principal, callback_id: object, when: object) -> Callback:
    """The visitor moves their booking to the earliest free time of another slot offered now; its old time is free
    again. Only a booking whose time is still ahead moves (once it starts, it is being called)."""
    found = get_callback(deps, visitor, callback_id)
    now = deps.clock.now()
    if found.mode is not CallbackMode.SCHEDULED or found.state is not CallbackState.BOOKED or (
            found.at is not None and found.at <= now):
        raise Conflict("only a booking whose time is ahead can be moved", field="callback_id")
    settings = _settings(deps, visitor.tenant)
    if settings.scheduled == "off":
        raise Unavailable("callbacks at a time are not offered", field="when")
    if when is None or when == "":
        raise MissingField("when")
    slot = _offered_slot(deps, visitor.tenant, settings, when, now)
    if slot is None:
        raise InvalidInput("'when' must be the key of a slot offered now", field="when")
    if slot.key == found.slot:
        return found  # already there: its time stays
    moved = _store(deps).move(found, slot.key, [time.utc for time in slot.call_times() if time.utc > now])
    call_attempts.arm_first(deps, moved)  # the timer armed for the old time finds it moved and starts nothing
    callback_mail.confirm(deps, moved, language=moved.language)
    return moved
