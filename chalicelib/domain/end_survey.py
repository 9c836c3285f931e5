"""The widget's end screen survey (issue 15): what it asks when an agent closes a conversation, and the NPS answer's
rule. The definitions of CSAT and NPS over many answers are in reports/surveys.py."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import InvalidInput, MissingField
from chalicelib.domain.model import Conversation, EndSurvey
from chalicelib.domain.routing import Channel, Medium
from chalicelib.domain.settings import TenantSettings

#: The end screen's scales: the rating (CSAT, 1 to 5) and the NPS question (0 to 10); the reports read them too.
CSAT_SCALE = range(1, 6)
NPS_SCALE = range(0, 11)


def end_survey(settings: TenantSettings, conversation: Conversation, closed_at: datetime) -> EndSurvey | None:
    """The survey the end screen of `conversation` shows once it closes at `closed_at`: none for a call (the visitor
    is on the phone, not on the widget), else the rating, and the NPS question when the tenant has it on."""
    if Medium(conversation.medium).channel is Channel.CALL:
        return None
    return EndSurvey(sent_at=closed_at, nps=settings.nps_enabled)


def nps_score(value: object) -> int:
    """The NPS answer: an integer from 0 to 10 (not a boolean, not 9.5); else the error names `score`."""
    if value is None:
        raise MissingField("score")
    if isinstance(value, bool) or not isinstance(value, int) or value not in NPS_SCALE:
        raise InvalidInput("'score' must be an integer from 0 to 10", field="score")
    return value
