"""Crediting a sale (ASYNC-12): the reference's examples, message by message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import sales
from chalicelib.domain.errors import Unauthorized
from chalicelib.domain.model import Message, PrincipalKind, Sender

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=48)


def said(who: str, at: datetime, conversation: str = "c1", seq: int = 1) -> Message:
    kind = PrincipalKind.VISITOR if who == "visitor" else PrincipalKind.AGENT
    return Message("demo", conversation, seq, f"m{seq}", Sender(kind, who, who.title()), "…", at)


def test_operator_b_gets_the_sale_made_after_b_snoozed_and_before_c_wrote() -> None:
    # A <> V, A snoozes, B <> V, B snoozes, sale, C <> V, close.
    t = MONDAY
    messages = [said("visitor", t, seq=1), said("a", t + timedelta(minutes=1), seq=2),
                said("visitor", t + timedelta(hours=5), seq=3), said("b", t + timedelta(hours=5, minutes=2), seq=4)]
    sale_at = t + timedelta(hours=20)
    later = [said("visitor", t + timedelta(hours=30), seq=5), said("c", t + timedelta(hours=30, minutes=1), seq=6)]
    credit = sales.credit(messages + later, sale_at, WINDOW)
    assert credit is not None and credit.agent_id == "b"


def test_expert_b_gets_the_sale_after_a_forwarded_to_b() -> None:
    # Expert A <> V, A snoozes, A <> V, A forwards, B <> V, B snoozes, sale, B <> V, close.
    t = MONDAY
    messages = [said("a", t, seq=1), said("a", t + timedelta(hours=3), seq=2),
                said("b", t + timedelta(hours=4), seq=3)]
    sale_at = t + timedelta(hours=10)
    credit = sales.credit([*messages, said("b", t + timedelta(hours=11), seq=4)], sale_at, WINDOW)
    assert credit is not None and (credit.agent_id, credit.last_message_at) == ("b", t + timedelta(hours=4))


def test_nobody_gets_a_sale_more_than_48_hours_after_the_last_agent_message() -> None:
    # The expert writes on Monday, snoozes for a week without a word; the sale comes on Thursday.
    credit = sales.credit([said("a", MONDAY)], MONDAY + timedelta(days=3), WINDOW)
    assert credit is None
    assert sales.credit([said("a", MONDAY)], MONDAY + WINDOW, WINDOW) is not None  # 48 h exactly still counts


def test_visitor_messages_never_take_the_credit() -> None:
    assert sales.credit([said("visitor", MONDAY)], MONDAY + timedelta(hours=1), WINDOW) is None


def test_the_brands_signature_is_checked() -> None:
    body = b'{"order_id":"o1"}'
    sales.check_signature("secret", body, sales.signature("secret", body))
    for bad in (None, "", sales.signature("other", body), sales.signature("secret", body + b" ")):
        with pytest.raises(Unauthorized):
            sales.check_signature("secret", body, bad)
