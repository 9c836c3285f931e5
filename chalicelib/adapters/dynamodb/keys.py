"""Key builders and sort-key prefixes of the one table; every partition key starts with the tenant (invariant 6).

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.contacts import normalize_email
from chalicelib.domain.model import Conversation, PrincipalKind, Reservation
from chalicelib.domain.routing import waiting_key

STATE = "STATE"
PROFILE = "PROFILE"
OPEN = "OPEN"
MSG = "MSG#"
CONN = "CONN#"
CONV = "CONV#"
CASE = "CASE#"
POINTER = "POINTER"
PREFS = "PREFS"
REPLY = "REPLY"
SALE = "SALE"
RECENT_WITHOUT_CURSOR = 10  # how far back a resend without `after_seq` is recognised
PACK_TEXT_ABOVE_BYTES = 600  # below this, deflate rarely wins enough to matter
MAX_CATCH_UP = 500  # a sender further behind than this is not checked for a resend beyond it
CONNECTION_TTL = timedelta(hours=3)  # API Gateway closes a connection after 2 h


def _conv_pk(tenant: str, conversation_id: str) -> str:
    return f"T#{tenant}#CONV#{conversation_id}"


def _principal_pk(tenant: str, kind: PrincipalKind, principal_id: str) -> str:
    return f"T#{tenant}#{kind.value.upper()}#{principal_id}"


def _msg_sk(seq: int) -> str:
    return f"{MSG}{seq:010d}"


def _waiting_pk(tenant: str, queue: str) -> str:
    return f"T#{tenant}#WAITING#{queue}"


def _waiting_sk(conversation: Conversation) -> str:
    """Arrival order: a conversation put back (a rejected offer) returns to its original place (CHAT-7)."""
    return f"{_stamp(conversation.created_at)}#{conversation.id}"


def _ready_pk(tenant: str, list_key: str) -> str:
    return f"T#{tenant}#READY#{list_key}"


def _queue_pk(tenant: str, group: str, queue: str, shard: int) -> str:
    return f"T#{tenant}#WAIT#{group}#{queue}#{shard}"


def _counter_key(tenant: str, group: str, shard: int) -> tuple[str, str]:
    """One partition per shard of a group's counter: a counter is one item, and one item cannot be split."""
    return f"T#{tenant}#GROUP#{group}#{shard}", COUNT


def _keypad_pk(tenant: str) -> str:
    """The tenant's agents' keypad ids (ACD mode, CB-5): one item per id, its sort key, naming its agent."""
    return f"T#{tenant}#KEYPAD"


def _roster_pk(tenant: str, group: str) -> str:
    return f"T#{tenant}#ROSTER#{group}"


def _held_pk(tenant: str, group: str) -> str:
    """GSI1 partition of a group's conversations held by agents: on a desk, snoozed or reserved (supervisors)."""
    return f"T#{tenant}#HELD#{group}"


RESERVED_LINK = "RSV#"  # in an agent's partition: a conversation waiting for that agent alone, soonest end first


def _reserved_sk(conversation_id: str, reservation: Reservation | None) -> str:
    """An RSV# link sorts by the end of its reservation, so a pull reads the oldest reservations first."""
    until = _stamp(reservation.until) if reservation is not None else ""
    return f"{RESERVED_LINK}{until}#{conversation_id}"
SNOOZED_LINK = "SNZ#"  # in an agent's partition: a conversation the agent snoozed and keeps
BLOCKED = "OPEN#BLOCKED"  # in a visitor's partition, next to OPEN: one Query reads both


COUNT = "COUNT"
QUEUE_COUNT = "q:"  # prefix of a group counter's attribute per queue: q:chat, q:chat#billing#3


def _queue_key(conversation: Conversation) -> str:
    """A conversation's place in its group's queue: priority, then arrival (ROUTE-5)."""
    return waiting_key(conversation.priority, conversation.created_at, conversation.id)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _contact_pk(tenant: str, contact_id: str) -> str:
    return f"T#{tenant}#CONTACT#{contact_id}"


def _email_pointer_pk(tenant: str, email: str) -> str:
    return f"T#{tenant}#CONTACT-EMAIL#{normalize_email(email)}"


def _external_pointer_pk(tenant: str, external_id: str) -> str:
    return f"T#{tenant}#CONTACT-EXT#{external_id}"


def _sale_pk(tenant: str, order_id: str) -> str:
    return f"T#{tenant}#SALE#{order_id}"


CALL_TIME = "TIME#"  # in the tenant's call-times partition: one item per booked call time
DAILY = "DAILY"


def _callback_pk(tenant: str, callback_id: str) -> str:
    return f"T#{tenant}#CALLBACK#{callback_id}"


def _call_times_pk(tenant: str) -> str:
    """The tenant's booked call times (CB-2), sorted by time: one Query reads a day, a slot or the whole booking
    horizon, and one conditional Put takes a time. Slots never overlap, so a time belongs to one slot."""
    return f"T#{tenant}#CALL-TIMES"


def _daily_pk(tenant: str, day: str, kind: str, key: str) -> str:
    """A day's count of callbacks asked by one visitor (`visitor`) or for one number (`number`)."""
    return f"T#{tenant}#CALLBACKS-{day}#{kind}#{key}"


def _number_pk(tenant: str, phone: str) -> str:
    """The lock of a number while it has an open callback."""
    return f"T#{tenant}#CALLBACK-NUMBER#{phone}"


def _agenda_pk(tenant: str) -> str:
    """The tenant's agenda (CB-11): a line per scheduled callback, sorted by call time, kept in every state."""
    return f"T#{tenant}#AGENDA"


def _live_calls_pk(tenant: str) -> str:
    """The tenant's live calls (issue 14): one item per callback while it is calling or connected (sk: its id)."""
    return f"T#{tenant}#LIVE-CALLS"


def _agenda_line_sk(at: datetime, callback_id: str) -> str:
    """By call time, then callback: a freed time's cancelled line and the next booking's line both stay."""
    return f"{_stamp(at)}#{callback_id}"


STACK_TENANT = "*"  # not a tenant id (boundary/fields.py): the stack's own items, shared by every tenant
SMA_INVOCATION = "SEQ#"  # in an SMA transaction's partition: one answer per invocation (Sequence)
SMA_INVOCATION_TTL = timedelta(days=1)  # the SMA retries within seconds; a call lasts hours at most


def _sma_transaction_pk(transaction_id: str) -> str:
    """A call's invocations. The SMA serves every tenant of the stack and a NEW_INBOUND_CALL names none, so the
    partition is the stack's (invariant 6's one exception, which holds no tenant data: only the actions answered)."""
    return f"T#{STACK_TENANT}#SMA#{transaction_id}"


def _sma_invocation_sk(sequence: int) -> str:
    return f"{SMA_INVOCATION}{sequence:010d}"

