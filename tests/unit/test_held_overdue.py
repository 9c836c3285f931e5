"""The supervisors' Held list flags a snooze or a reservation past its end by more than 5 minutes (issue 15's stuck
list: "snooze overdue"): its timer should have moved it, and a supervisor can release it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.held import overdue as _overdue
from chalicelib.domain.model import Conversation, ConversationStatus, Reservation, Snooze

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BASE = Conversation(tenant="t", id="c", visitor_id="v", created_at=NOW - timedelta(days=1))


@pytest.mark.parametrize(("conversation", "overdue"), [
    (replace(BASE, status=ConversationStatus.SNOOZED, snooze=Snooze("s", NOW - timedelta(minutes=6), True)), True),
    (replace(BASE, status=ConversationStatus.SNOOZED, snooze=Snooze("s", NOW - timedelta(minutes=5), True)), False),
    (replace(BASE, status=ConversationStatus.SNOOZED, snooze=Snooze("s", NOW + timedelta(hours=3), False)), False),
    (replace(BASE, status=ConversationStatus.RESERVED, reservation=Reservation("r", NOW - timedelta(hours=1))), True),
    (replace(BASE, status=ConversationStatus.ASSIGNED), False),
], ids=["snooze-6-min-late", "snooze-5-min-late", "snooze-ahead", "reservation-late", "on-desk"])
def test_a_held_conversation_past_its_end_is_overdue(conversation: Conversation, overdue: bool) -> None:
    assert _overdue(conversation, NOW) is overdue
