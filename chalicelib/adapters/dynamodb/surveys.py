"""The end screen's answers on the conversation item: the rating (CSAT) and the NPS score, each once, with its time;
and the conversation's first human answer (the first response's stop, for the reports).

Each is one conditional UpdateItem: a failed condition (not closed, answered already, NPS not asked) is a Conflict
naming the answer's field, without a second read. The times are what the reports' stream consumer reads
(docs/reports.md, "Fields the stream consumer needs").
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamodb.items import ConversationItem
from chalicelib.adapters.dynamodb.keys import STATE, _conv_pk
from chalicelib.adapters.dynamodb.transactions import _failed_condition
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import ConversationStatus

_CLOSED = ConversationItem.status == ConversationStatus.CLOSED.value


def rate(tenant: str, conversation_id: str, rating: int, comment: str, now: datetime) -> None:
    item = ConversationItem(_conv_pk(tenant, conversation_id), STATE)
    try:
        item.update(
            actions=[ConversationItem.rating.set(rating), ConversationItem.rating_comment.set(comment or ""),
                     ConversationItem.rated_at.set(now)],
            condition=_CLOSED & ConversationItem.rating.does_not_exist(),
        )
    except UpdateError as exc:
        if _failed_condition(exc):
            raise Conflict("this conversation is not closed, or was rated already", field="rating") from exc
        raise


def answer_nps(tenant: str, conversation_id: str, score: int, now: datetime) -> None:
    item = ConversationItem(_conv_pk(tenant, conversation_id), STATE)
    try:
        item.update(
            actions=[ConversationItem.nps.set(score), ConversationItem.nps_at.set(now)],
            condition=_CLOSED & (ConversationItem.nps_asked == True) & ConversationItem.nps.does_not_exist(),  # noqa: E712
        )
    except UpdateError as exc:
        if _failed_condition(exc):
            raise Conflict("this conversation is not closed, does not ask the NPS question, or was answered already",
                           field="score") from exc
        raise


def first_reply(tenant: str, conversation_id: str, agent_id: str, at: datetime) -> None:
    """The conversation's first agent message: its time and agent, once (a later or concurrent one changes
    nothing). One conditional UpdateItem, made only while the item read before the message had none."""
    try:
        ConversationItem(_conv_pk(tenant, conversation_id), STATE).update(
            actions=[ConversationItem.first_reply_at.set(at), ConversationItem.first_reply_by.set(agent_id)],
            condition=ConversationItem.pk.exists() & ConversationItem.first_reply_at.does_not_exist())
    except UpdateError as exc:
        if not _failed_condition(exc):
            raise
