"""When a conversation held off the queues is overdue (issue 15's stuck list): a snooze or a reservation more than
OVERDUE_AFTER past its end. Its timer should have moved it; the supervisor's Held list and the Production board flag
it, and a supervisor can release it."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.model import Conversation, ConversationStatus

OVERDUE_AFTER = timedelta(minutes=5)


def overdue(conversation: Conversation, now: datetime) -> bool:
    if conversation.status is ConversationStatus.SNOOZED and conversation.snooze is not None:
        ends = conversation.snooze.until
    elif conversation.status is ConversationStatus.RESERVED and conversation.reservation is not None:
        ends = conversation.reservation.until
    else:
        return False
    return now - ends > OVERDUE_AFTER
