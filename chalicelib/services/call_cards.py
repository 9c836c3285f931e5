"""The call card's part of an offer (issue 13, CB-12): ringing the agent's phone, and what the desk shows with it:
the callback (number, name, attempt, phase) and the chat the visitor asked from."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.callbacks.model import Callback
from chalicelib.domain.model import Agent, Conversation, Offer
from chalicelib.ports import Deps
from chalicelib.services import call_attempts, callback_notices, frames


def offer_part(deps: Deps, conversation: Conversation, agent: Agent, offer: Offer) -> dict[str, Any]:
    """Rings the agent (call_attempts.on_offered) and answers the offer frame's `callback` and `origin` keys."""
    callback = call_attempts.on_offered(deps, conversation, agent, offer)
    if callback is None:
        return {"callback": None, "origin": None}
    attempts = callback_notices.attempts_of(deps, callback.tenant)
    policy = callback_notices.recording_policy(deps, callback.tenant)  # the card's record control (CB-10)
    return {"callback": callback_notices.agent_view(callback, attempts, policy), "origin": origin(deps, callback)}


def origin(deps: Deps, callback: Callback) -> dict[str, Any] | None:
    """The chat the callback was asked from, with its newest messages as far as a frame holds them."""
    if not callback.conversation_id:
        return None
    view = deps.conversations.view_for_send(callback.tenant, callback.conversation_id, None)
    if view is None or view.conversation.visitor_id != callback.visitor_id:
        return None  # not the visitor's own chat: nothing of someone else's is shown
    newest = sorted(view.recent, key=lambda m: m.seq)
    part: dict[str, Any] = {"conversation": frames.conversation(view.conversation, newest[-1].seq if newest else 0)}
    part["messages"] = frames.messages_that_fit(part, [frames.message(m) for m in newest], newest=True)
    return part
