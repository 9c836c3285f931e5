"""The SIP media application's Lambda (`app.sma_handler`) on every saved SMA event, each delivered twice, against
the table on moto: the same answer twice, one stored invocation per (TransactionId, Sequence), kept a day."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import app as lambda_app
from chalicelib.adapters.dynamodb import DynamoSmaInvocations
from chalicelib.adapters.dynamodb.items import SmaInvocationItem
from tests.integration.conftest import Stack

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "aws-events"  # copies of ../shared/aws-events
FIXTURES = sorted(SAMPLES.glob("chime-sma-*.json"))
NOTHING = {"SchemaVersion": "1.0", "Actions": []}
REFUSED = {"SchemaVersion": "1.0", "Actions": [{"Type": "Hangup", "Parameters": {"ParticipantTag": "LEG-A",
                                                                                  "SipResponseCode": "0"}}]}


def _fresh(path: Path) -> tuple[dict[str, Any], str | None]:
    """The saved event with a transaction id of its own (tests share one table), and that id (None: an excerpt
    without CallDetails)."""
    event = dict(json.loads(path.read_text()))
    details = event.get("CallDetails")
    if not isinstance(details, dict):
        return event, None
    details["TransactionId"] = f"tx-{uuid.uuid4().hex}"
    return event, str(details["TransactionId"])


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_each_invocation_delivered_twice_gets_one_answer_stored_once(stack: Stack, path: Path) -> None:
    event, transaction_id = _fresh(path)
    first = lambda_app.sma_handler(event, None)
    second = lambda_app.sma_handler(event, None)
    # An inbound call is refused; an answered call that is none of Guichet's callbacks (these samples carry no
    # arguments of ours) is hung up, so that nobody is left on a silent line.
    hung_up = event["InvocationEventType"] in ("NEW_INBOUND_CALL", "CALL_ANSWERED")
    assert first == second == (REFUSED if hung_up else NOTHING)
    if transaction_id is None:
        return
    stored = list(SmaInvocationItem.query(f"T#*#SMA#{transaction_id}", consistent_read=True))
    if event["InvocationEventType"] in ("RINGING", "DIGITS_RECEIVED"):  # no effect, so nothing to remember
        assert stored == []
        return
    assert [(item.sk, item.response) for item in stored] == [(f"SEQ#{event['Sequence']:010d}", first)]


def test_an_invocation_is_kept_a_day(stack: Stack) -> None:
    now = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)
    invocations = DynamoSmaInvocations(now=lambda: now)
    key = (f"tx-{uuid.uuid4().hex}", 3)
    invocations.remember(key, NOTHING)
    item = SmaInvocationItem.get(f"T#*#SMA#{key[0]}", "SEQ#0000000003", consistent_read=True)
    assert item.expires_at == now + timedelta(days=1)


def test_the_first_stored_answer_wins(stack: Stack) -> None:
    invocations = DynamoSmaInvocations()
    key = (f"tx-{uuid.uuid4().hex}", 1)
    assert invocations.remembered(key) is None
    assert invocations.remember(key, REFUSED) == REFUSED
    assert invocations.remember(key, NOTHING) == REFUSED  # a racing delivery's answer is not kept
    assert invocations.remembered(key) == REFUSED


def test_the_wiring_turns_telephony_on_with_a_calling_number(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import bootstrap
    from chalicelib.adapters.chime import ChimeTelephony
    from tests.integration.conftest import rewire

    assert bootstrap.container().deps.telephony is None  # CallingNumber is empty locally: telephony off
    assert isinstance(bootstrap.container().deps.sma_invocations, DynamoSmaInvocations)
    monkeypatch.setenv("CALLING_NUMBER", "+12065550100")
    monkeypatch.setenv("SIP_MEDIA_APPLICATION_ID", "sma-1")
    monkeypatch.setenv("CHIME_MEDIA_REGION", "us-west-2")
    monkeypatch.setenv("CHIME_ENDPOINT_URL", "http://127.0.0.1:9")
    rewire()
    try:
        telephony = bootstrap.container().deps.telephony
        assert isinstance(telephony, ChimeTelephony)
        assert (telephony._sma, telephony._calling_number, telephony._media_region, telephony._endpoint_url) == (
            "sma-1", "+12065550100", "us-west-2", "http://127.0.0.1:9")
    finally:
        monkeypatch.undo()
        rewire()
