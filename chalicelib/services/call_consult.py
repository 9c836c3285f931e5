"""Consult calls, conference, and the cold transfer to an outside number (issue 14, CB-10).

The side room is the callback's own room. A held visitor is out of it (hold hangs up their meeting leg, LEG-B: they
hear the hold music on their own call), so while the visitor is held the room holds the agent alone, and the
consulted party joining it makes it private to the two of them. A second meeting would cost a second CreateMeeting
and a move of the agent's leg for nothing. The rule that keeps the visitor from ever hearing a consult: a consult
starts only with the visitor on hold (it puts them on hold in the same write when they are not), and the visitor
joins the room again only through `conference` or `end_consult`; `call_controls.resume_call` refuses while a
consulted party is ringing or in the room.

- `consult`: the visitor on hold, the consulted party is dialled as a party of its own (`party` "consult" in the
  call's arguments, with the consult's token `consult`): another agent's phone (their `call_line`; answering is
  accepting, as for a callback's offer, CB-6) or an outside number, checked by the tenant's number rules
  (domain/callbacks/numbers.py, field `to_number`). When it answers, its leg joins the room (JoinChimeMeeting).
  Not answered, busy or declined: the consult ends, the visitor stays on hold and the desk is told
  (`consult.outcome`).
- `end_consult` (return to the visitor): the consulted leg is hung up and the visitor joins the room again.
- `conference`: the visitor joins the room where the agent and the consulted party are: the three talk. The
  consulted party hanging up leaves the agent and the visitor together; the agent hanging up (or the visitor) ends
  the callback, and every leg with it (call_attempts' hang-up-all includes the consulted leg): nobody takes over.
- `transfer_out` (cold): the callback ends at once with outcome `transferred_out`, the agent's leg is hung up and
  the agent wraps up; the visitor hears the hold music until the number answers and joins the room. Then whichever
  of the two hangs up, the other is hung up and the room closes. A number that does not answer: the visitor is hung
  up (outcome `transfer_failed`). Guichet's calling number dials both legs, so the tenant pays both while they talk.

Every step is one conditional change of the callback (expecting the consult's token and state) before its
telephony command or dial: an action sent twice, or an SMA invocation delivered twice, dials once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.domain.callbacks import numbers
from chalicelib.domain.callbacks.model import Callback, CallbackState, CallPhase, TransferState
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.model import AgentStatus, Principal
from chalicelib.domain.telephony.actions import Hangup, JoinChimeMeeting, SmaAction
from chalicelib.domain.telephony.commands import hang_up, hold, join_room
from chalicelib.domain.telephony.model import ActionSucceeded, CallAnswered, LegTag, SmaEvent
from chalicelib.domain.telephony.model import Hangup as HungUp
from chalicelib.ports import Deps, Room
from chalicelib.services import call_attempts, call_controls, callback_notices, tenants
from chalicelib.services.calls import NOTHING, CallAnswer

log = logging.getLogger("guichet.calls")

#: The consulted party's name in its call's arguments.
PARTY = "consult"
RINGING, TALKING, CONFERENCE = "ringing", "talking", "conference"
TRANSFERRING, TRANSFERRED = "transferring", "transferred"
#: A consult the agent is in (the callback is connected); the two others are a cold transfer (the callback ended).
CONSULTING = (RINGING, TALKING, CONFERENCE)
OUT = (TRANSFERRING, TRANSFERRED)
_CLEARED: dict[str, Any] = {"consult_state": "", "consult_call": "", "consult_id": "", "consult_since": None}
_HANG_UP = CallAnswer(actions=(Hangup(),))
_BUSY, _NO_ANSWER = 486, 480
Music = Callable[[Deps, str], Sequence[SmaAction]]


# ---- the desk's actions -------------------------------------------------------------------------------------------
def consult(deps: Deps, agent: Principal, conversation_id: str, *, to_agent: str | None = None,
            to_number: str | None = None) -> dict[str, Any]:
    """Dials another agent or an outside number into the room, the visitor on hold."""
    callback = call_controls.held_call(deps, agent, conversation_id)
    if callback.consult_state:
        raise Conflict("a consult is in progress already", field="conversation_id")
    if callback.transfer_state == TransferState.OFFERED:  # call_transfers: one move of the call at a time
        raise Conflict("a transfer of this call waits for its answer", field="conversation_id")
    if (to_agent is None) == (to_number is None):
        raise InvalidInput("give either 'to_agent' or 'to_number'", field="to_agent" if to_agent else "to_number")
    if to_agent is not None:
        line, name, whom = _consulted_agent(deps, agent, to_agent)
    else:
        line = whom = numbers.visitor_number(to_number, _rules(deps, agent.tenant), field="to_number")
        name = ""
    now = deps.clock.now()
    token = uuid.uuid4().hex[:16]
    started = call_attempts.store(deps).change(callback.tenant, callback.id, {
        "consult_state": RINGING, "consult_to": whom, "consult_name": name, "consult_id": token, "consult_call": "",
        "consult_since": now, "consult_outcome": "", "held_since": callback.held_since or now},
        expect={"attempt": callback.attempt, "state": CallbackState.CONNECTED, "agent_id": agent.id,
                "consult_state": "", "transfer_state": callback.transfer_state})
    if started is None:
        raise Conflict("the call changed meanwhile", field="conversation_id")
    assert deps.telephony is not None
    if callback.held_since is None and not deps.telephony.command(callback.visitor_call, hold()):
        _undo(deps, started, {"held_since": None})  # its hang-up ends the callback: nobody is dialled
        raise Conflict("the visitor's call has ended", field="conversation_id")
    started = _dial(deps, started, line)
    callback_notices.tell(deps, started)
    return _view(deps, started)


def end_consult(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    """Back to the visitor: the consulted leg is hung up and the visitor joins the room again."""
    callback = call_controls.held_call(deps, agent, conversation_id)
    if callback.consult_state not in CONSULTING:
        raise Conflict("no consult in progress", field="conversation_id")
    back = call_attempts.store(deps).change(callback.tenant, callback.id, {
        **_CLEARED, "consult_outcome": "ended", "held_since": None},
        expect={"attempt": callback.attempt, "consult_id": callback.consult_id})
    if back is None:
        raise Conflict("the call changed meanwhile", field="conversation_id")
    assert deps.telephony is not None
    if callback.consult_call:
        deps.telephony.command(callback.consult_call, hang_up())  # False: it hung up meanwhile
    if callback.held_since is not None and not _join(deps, back):
        raise Conflict("the visitor's call has ended", field="conversation_id")
    callback_notices.tell(deps, back)
    return _view(deps, back)


def conference(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    """The visitor joins the room where the agent and the consulted party talk."""
    callback = call_controls.held_call(deps, agent, conversation_id)
    if callback.consult_state != TALKING:
        raise Conflict("nobody consulted is on the line", field="conversation_id")
    joined = call_attempts.store(deps).change(callback.tenant, callback.id, {
        "consult_state": CONFERENCE, "held_since": None},
        expect={"attempt": callback.attempt, "consult_id": callback.consult_id, "consult_state": TALKING})
    if joined is None:
        raise Conflict("the call changed meanwhile", field="conversation_id")
    if callback.held_since is not None and not _join(deps, joined):
        raise Conflict("the visitor's call has ended", field="conversation_id")
    callback_notices.tell(deps, joined)
    return _view(deps, joined)


def transfer_out(deps: Deps, agent: Principal, conversation_id: str, to_number: str) -> dict[str, Any]:
    """Cold transfer to an outside number: the callback ends for the agent, the visitor is put through."""
    callback = call_controls.held_call(deps, agent, conversation_id)
    if callback.consult_state:
        raise Conflict("end the consult first", field="conversation_id")
    number = numbers.visitor_number(to_number, _rules(deps, agent.tenant), field="to_number")
    now = deps.clock.now()
    moved = call_attempts.store(deps).change(callback.tenant, callback.id, {
        "state": CallbackState.ENDED, "phase": CallPhase.NONE, "since": now, "outcome": "transferred_out",
        "consult_state": TRANSFERRING, "consult_to": number, "consult_name": "", "consult_call": "",
        "consult_id": uuid.uuid4().hex[:16], "consult_since": now, "consult_outcome": "",
        "held_since": callback.held_since or now},
        expect={"attempt": callback.attempt, "state": CallbackState.CONNECTED, "agent_id": agent.id,
                "consult_state": ""})
    if moved is None:
        raise Conflict("the call changed meanwhile", field="conversation_id")
    assert deps.telephony is not None
    gone = callback.held_since is None and not deps.telephony.command(callback.visitor_call, hold())
    if callback.agent_call:
        deps.telephony.command(callback.agent_call, hang_up())  # the agent leaves; they wrap up (close form)
    if gone:  # the visitor hung up meanwhile: nobody to put through, nobody is dialled
        if _undo(deps, moved, {"outcome": "visitor_hung_up"}) is not None:
            end_transfer(deps, moved)
        raise Conflict("the visitor's call has ended", field="conversation_id")
    moved = _dial(deps, moved, number)  # the visitor hears the music until the number answers
    callback_notices.tell(deps, moved)
    return _view(deps, moved)


# ---- the SMA's events (services/call_flow.py hands them here) -----------------------------------------------------
def on_event(deps: Deps, callback: Callback, party: str, event: SmaEvent, music: Music) -> CallAnswer | None:
    """The answer to an event of the consulted call, or of the visitor's call after a cold transfer; None: the
    usual call flow answers (any other event, and every command: CALL_UPDATE_REQUESTED)."""
    if party == PARTY:
        return _consulted(deps, callback, event)
    if party == "visitor" and callback.consult_state in OUT:
        return _transferred_visitor(deps, callback, event, music)
    return None


def _consulted(deps: Deps, callback: Callback, event: SmaEvent) -> CallAnswer:
    token = event.attributes.get("consult", "")
    current = bool(token) and token == callback.consult_id and str(callback.attempt) == event.attributes.get(
        "attempt")
    if isinstance(event, CallAnswered):
        live = callback.consult_state == TRANSFERRING or (
            callback.consult_state == RINGING and callback.state is CallbackState.CONNECTED)
        return _answered(deps, callback) if current and live else _HANG_UP
    if isinstance(event, HungUp):
        if event.tag is LegTag.B:
            return _HANG_UP  # its room leg went (the room closed): nobody is left on a silent line
        if current:
            _gone(deps, callback, event.sip_response_code)
    return NOTHING


def _answered(deps: Deps, callback: Callback) -> CallAnswer:
    after = TALKING if callback.consult_state == RINGING else TRANSFERRED
    joined = call_attempts.store(deps).change(callback.tenant, callback.id, {
        "consult_state": after, "consult_since": deps.clock.now()},
        expect={"consult_id": callback.consult_id, "consult_state": callback.consult_state})
    if joined is None or deps.telephony is None or not joined.room:
        return NOTHING
    room = Room(joined.room)
    seat = deps.telephony.add_member(room, f"consult-{joined.consult_id}")
    if after == TRANSFERRED:
        _join(deps, joined)  # the visitor leaves the music for the room where the number is
    callback_notices.tell(deps, joined)
    return CallAnswer(actions=(JoinChimeMeeting(seat.join_token, room.meeting_id),))


def _gone(deps: Deps, callback: Callback, sip_code: int | None) -> None:
    """The consulted leg hung up, or was never reached."""
    state = callback.consult_state
    if state == RINGING:
        outcome = {_BUSY: "busy", _NO_ANSWER: "no_answer"}.get(sip_code or 0, "declined")
    else:
        outcome = "transfer_failed" if state == TRANSFERRING else "hung_up"
    changes: dict[str, Any] = {**_CLEARED, "consult_outcome": outcome}
    if state == TRANSFERRING:
        changes["outcome"] = "transfer_failed"
    cleared = call_attempts.store(deps).change(callback.tenant, callback.id, changes,
                                               expect={"consult_id": callback.consult_id})
    if cleared is None:
        return
    if state in OUT:  # the visitor is alone: hung up, and the room closes
        end_transfer(deps, callback)
    log.info("a consulted call ended", extra={"callback": callback.id, "consult": state, "outcome": outcome})
    callback_notices.tell(deps, cleared)


def _transferred_visitor(deps: Deps, callback: Callback, event: SmaEvent, music: Music) -> CallAnswer:
    transferring = callback.consult_state == TRANSFERRING
    if isinstance(event, HungUp):
        if event.tag is LegTag.B:  # out of the room for the music (the hold), or the room closed
            return CallAnswer(actions=music(deps, callback.tenant)) if transferring else NOTHING
        cleared = call_attempts.store(deps).change(callback.tenant, callback.id, _CLEARED,
                                                   expect={"consult_id": callback.consult_id})
        if cleared is not None:
            end_transfer(deps, callback)
            callback_notices.tell(deps, cleared)
        return NOTHING
    if isinstance(event, ActionSucceeded) and event.action == "PlayAudio" and transferring:
        return CallAnswer(actions=music(deps, callback.tenant))  # the loop ran out while the number rings
    if isinstance(event, CallAnswered):
        return _HANG_UP
    return NOTHING


def end_transfer(deps: Deps, callback: Callback) -> None:
    """Both legs of a transferred call hang up (the one already gone answers 'gone') and the room closes."""
    if deps.telephony is None:
        return
    for call in (callback.visitor_call, callback.consult_call):
        if call:
            deps.telephony.command(call, hang_up())
    if callback.room:
        deps.telephony.close_room(Room(callback.room))


# ---- helpers ------------------------------------------------------------------------------------------------------
def _consulted_agent(deps: Deps, agent: Principal, to_agent: str) -> tuple[str, str, str]:
    """The line, name and id of an agent who may be consulted now."""
    if to_agent == agent.id:
        raise InvalidInput("consult another agent than yourself", field="to_agent")
    found = deps.agents.get(agent.tenant, to_agent)
    if found is None:
        raise NotFound("no such agent", field="to_agent")
    if not found.call_line:
        raise Conflict("this agent has no phone to ring", field="to_agent")
    if found.status is AgentStatus.OFFLINE:
        raise Conflict("this agent is offline", field="to_agent")
    if found.call_active >= max(found.call_capacity, 1):
        raise Conflict("this agent is on a call", field="to_agent")
    return found.call_line, found.name, found.id


def _rules(deps: Deps, tenant: str) -> numbers.NumberRules:
    return tenants.settings_of(deps, tenant).callback.numbers


def _dial(deps: Deps, callback: Callback, line: str) -> Callback:
    """Dials the consulted party (the consult's state already says so: that conditional change is the guard)."""
    assert deps.telephony is not None
    arguments = {"tenant": callback.tenant, "callback": callback.id, "attempt": str(callback.attempt),
                 "party": PARTY, "consult": callback.consult_id}
    call_id = deps.telephony.dial(line, arguments)
    return call_attempts.store(deps).change(callback.tenant, callback.id, {"consult_call": call_id},
                                            expect={"consult_id": callback.consult_id}) or callback


def _undo(deps: Deps, callback: Callback, changes: dict[str, Any]) -> Callback | None:
    """A consult that could not start (the visitor's call is gone) is cleared, unless its end cleared it first."""
    undone = call_attempts.store(deps).change(callback.tenant, callback.id, {**_CLEARED, **changes},
                                              expect={"consult_id": callback.consult_id})
    if undone is not None:
        callback_notices.tell(deps, undone)
    return undone


def _join(deps: Deps, callback: Callback) -> bool:
    """The visitor joins the room again (a new seat), which interrupts their music; False: their call is gone (its
    hang-up ends the callback)."""
    assert deps.telephony is not None
    seat = deps.telephony.add_member(Room(callback.room), "visitor")
    return deps.telephony.command(callback.visitor_call, join_room(callback.room, seat.join_token))


def _view(deps: Deps, callback: Callback) -> dict[str, Any]:
    return callback_notices.agent_view(callback, callback_notices.attempts_of(deps, callback.tenant))
