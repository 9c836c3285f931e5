"""The visitor's answer to the end screen's Net Promoter Score question (issue 15; domain/end_survey.py).

The rating (CSAT, 1 to 5) is `conversations.rate`; the NPS question (0 to 10) is asked when the tenant had
`nps_enabled` on as the chat closed (`Conversation.survey`). Both answers are stored once with their time, as the
reports need them (docs/reports.md): a second answer is a Conflict, as a second rating is.
"""

from __future__ import annotations

from chalicelib.domain.end_survey import nps_score
from chalicelib.domain.errors import Conflict, Forbidden
from chalicelib.domain.model import ConversationStatus, Principal, PrincipalKind
from chalicelib.ports import Deps
from chalicelib.services import chat_request as parse
from chalicelib.services.conversations import participant_view


def answer_nps(deps: Deps, visitor: Principal, conversation_id: object, score: object) -> int:
    """The visitor answers the NPS question of their closed chat, once. Forbidden for anyone but a visitor; NotFound
    for a conversation not theirs; Conflict (`field: score`) while it is not closed, when its end screen does not ask
    the question, or when it was answered already."""
    if visitor.kind is not PrincipalKind.VISITOR:
        raise Forbidden("only the visitor answers the survey")
    conversation = participant_view(deps, visitor, parse.required_str("conversation_id", conversation_id))
    chosen = nps_score(score)
    if conversation.status is not ConversationStatus.CLOSED:
        raise Conflict("the conversation is not closed", field="score")
    if conversation.survey is None or not conversation.survey.nps:
        raise Conflict("this conversation's end screen does not ask the NPS question", field="score")
    if conversation.nps is not None:
        raise Conflict("the NPS question was answered already", field="score")
    # The write's condition guards a race with another tab: it says Conflict too.
    deps.conversations.answer_nps(visitor.tenant, conversation.id, chosen, deps.clock.now())
    return chosen
