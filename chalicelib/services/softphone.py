"""The softphone on the desk (issue 14, CB-6, the desk half): an agent whose settings say `answer_calls: "desk"`
takes calls in the browser instead of on a phone Guichet rings.

- Offered a call, no phone rings (call_attempts.on_offered): the desk shows the offer with Accept.
- Accept (`accept_offer`, services/offers.py) does what answering the phone does (call_flow.agent_took): agent
  first, the visitor is dialled; visitor first or after a transfer to a queue, the call is connected and the visitor
  joins the room. An offer that rang a phone is accepted on that phone only.
- `join_call` gives the desk a seat in the call's room: the Chime SDK meeting and an attendee (the browser joins with
  amazon-chime-sdk-js), or the phone emulator's room locally (`Deps.softphone`, from the stack's configuration).
- `set_answer_calls`: the agent's own switch, e.g. back to their line when the browser refuses the microphone.

In ACD mode (CB-5, services/call_acd.py) the tenant's calls are answered at its ACD, never on Guichet's desk:
choosing "desk" is refused with the reason (`refuse_desk_in_acd_mode`), and so is `join_call`.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain.callbacks.model import Callback, CallbackState, CallPhase
from chalicelib.domain.errors import Conflict, Forbidden, MissingField, NotFound
from chalicelib.domain.model import ANSWER_ON_DESK, Agent, Conversation, Principal
from chalicelib.domain.routing import AgentSettings
from chalicelib.domain.routing.agent_settings import answer_calls_from_json
from chalicelib.ports import Deps, Room
from chalicelib.services import agents, call_attempts, call_flow, fanout, frames, routing, tenants

log = logging.getLogger("guichet.calls")

#: Why desk answering is refused in ACD mode: the settings and the desk show it as is.
ACD_MODE_REFUSAL = ("this account sends its callbacks to its own ACD: they are answered there, not on Guichet's "
                    "desk")

#: The phases in which the desk may join the room: connected, and agent first while the visitor is dialled (the
#: desk's audio is ready when the visitor answers, so the first words are not cut).
_JOINABLE = (CallPhase.CALLING_VISITOR, CallPhase.CONNECTED)


def check_accept(deps: Deps, conversation: Conversation) -> None:
    """Before a desk's Accept of a call's offer: refused (Conflict) when the offer rang the agent's phone, which is
    where it is taken (answering is accepting there)."""
    callback = _callback_of(deps, conversation)
    if callback is not None and callback.agent_call:
        raise Conflict("this call rings your phone: answer it there", field="offer_id")


def accepted(deps: Deps, agent: Principal, conversation: Conversation) -> Callback | None:
    """The agent accepted a call's offer on the desk: the call goes on as if their phone had answered."""
    callback = _callback_of(deps, conversation)
    if callback is None or callback.agent_id != agent.id or callback.state is not CallbackState.CALLING or (
            callback.phase is not CallPhase.RINGING_AGENT):
        log.info("a call accepted on the desk had moved on", extra={"conversation": conversation.id})
        return None
    return call_flow.agent_took(deps, callback)


def join_call(deps: Deps, agent: Principal, conversation_id: str) -> dict[str, Any]:
    """A seat for the agent's softphone in the room of the call they hold: the meeting as GetMeeting answers it and
    a new attendee. Forbidden for another agent's call, Conflict when the call is not (or no longer) in progress."""
    if not agent.is_agent:
        raise Forbidden("agents only", field="conversation_id")
    conversation = deps.conversations.get(agent.tenant, conversation_id)
    callback = _callback_of(deps, conversation) if conversation is not None else None
    if callback is None:
        raise NotFound("no call in this conversation", field="conversation_id")
    if callback.agent_id != agent.id:
        raise Forbidden("this call is not yours", field="conversation_id")
    if callback.acd:
        raise Conflict(ACD_MODE_REFUSAL, field="conversation_id")
    if callback.state not in (CallbackState.CALLING, CallbackState.CONNECTED) or callback.phase not in _JOINABLE:
        raise Conflict("the call is not in progress", field="conversation_id")
    meeting = deps.telephony.meeting(Room(callback.room)) if deps.telephony is not None and callback.room else None
    if meeting is None or deps.telephony is None:
        raise Conflict("the call's room has closed", field="conversation_id")
    seat = deps.telephony.add_member(Room(callback.room), f"agent-{agent.id}")
    attendee = {"AttendeeId": seat.attendee_id, "ExternalUserId": seat.external_user_id or f"agent-{agent.id}",
                "JoinToken": seat.join_token}
    return {"seat": {"meeting": meeting, "attendee": attendee}, "softphone": deps.softphone}


def set_answer_calls(deps: Deps, principal: Principal, value: object) -> Agent:
    """The agent chooses how they answer their next calls: "line" (the phone Guichet rings) or "desk". An agent who
    can now take calls pulls a waiting one; every open desk of theirs hears the change (`agent.status`)."""
    agents.profile(deps, principal)
    chosen = answer_calls_from_json(value)
    if chosen is None:
        raise MissingField("answer_calls")
    refuse_desk_in_acd_mode(deps, principal.tenant, chosen)
    agent = deps.agents.change_settings(principal.tenant, principal.id, AgentSettings(answer_calls=chosen))
    if routing.pull(deps, agent):
        agent = agents.profile(deps, principal)
    fanout.to_connections(deps, deps.connections.of(principal), {"type": "agent.status", "agent": frames.agent(agent)})
    return agent


def refuse_desk_in_acd_mode(deps: Deps, tenant: str, answer_calls: str | None) -> None:
    """Conflict naming `answer_calls` when "desk" is chosen while the tenant is in ACD mode (CB-5)."""
    if answer_calls == ANSWER_ON_DESK and tenants.settings_of(deps, tenant).callback.acd.on:
        raise Conflict(ACD_MODE_REFUSAL, field="answer_calls")


def _callback_of(deps: Deps, conversation: Conversation) -> Callback | None:
    """The callback whose current attempt this call's conversation is (None for any other conversation)."""
    found = call_attempts.attempt_of(conversation) if call_attempts.is_call(conversation) else None
    if found is None or deps.callbacks is None:
        return None
    callback = deps.callbacks.get(conversation.tenant, found[0])
    return callback if callback is not None and callback.attempt == found[1] else None
