from datetime import UTC, datetime

import pytest

from chalicelib.domain import messages
from chalicelib.domain.errors import InvalidInput, MissingField
from chalicelib.domain.model import MAX_MESSAGE_CHARS, Message, PrincipalKind, Sender

VISITOR = Sender(PrincipalKind.VISITOR, "v1")
AGENT = Sender(PrincipalKind.AGENT, "a1")


def msg(seq: int, client_id: str, sender: Sender = VISITOR) -> Message:
    return Message("demo", "c1", seq, client_id, sender, "hi", datetime(2026, 1, 1, tzinfo=UTC))


def test_text_of_exactly_the_limit_is_accepted_and_one_more_is_refused() -> None:
    assert messages.validate_text("x" * MAX_MESSAGE_CHARS) == "x" * MAX_MESSAGE_CHARS
    with pytest.raises(InvalidInput) as refused:
        messages.validate_text("x" * (MAX_MESSAGE_CHARS + 1))
    assert refused.value.field == "text"


@pytest.mark.parametrize("text", ["", "   \n", 42, ["hi"]])
def test_blank_or_non_string_text_is_refused(text: object) -> None:
    with pytest.raises(InvalidInput):
        messages.validate_text(text)


def test_missing_text_names_the_field() -> None:
    with pytest.raises(MissingField) as missing:
        messages.validate_text(None)
    assert missing.value.field == "text"


@pytest.mark.parametrize("client_id", ["", "has space", "x" * 65, 7, "<script>"])
def test_bad_client_message_ids_are_refused(client_id: object) -> None:
    with pytest.raises(InvalidInput):
        messages.validate_client_message_id(client_id)


def test_next_sequence_follows_the_highest_seen() -> None:
    assert messages.next_seq([]) == 1
    assert messages.next_seq([msg(7, "a"), msg(5, "b")]) == 8


def test_a_retry_is_the_same_sender_with_the_same_client_id() -> None:
    stored = msg(3, "abc")
    assert messages.find_retry([msg(4, "zzz", AGENT), stored], VISITOR, "abc") is stored
    assert messages.find_retry([msg(4, "abc", AGENT)], VISITOR, "abc") is None
