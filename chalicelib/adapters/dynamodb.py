"""DynamoDB repositories (PynamoDB). One table; every partition key starts with the tenant (invariant 6).

Item layout (pk / sk):
- ``T#<t>#TENANT`` / ``CONFIG``: the tenant.
- ``T#<t>#CONV#<id>`` / ``STATE``: a conversation, with the set of its participants' WebSocket connections.
- ``T#<t>#CONV#<id>`` / ``MSG#<seq:010>``: its messages. ``STATE`` sorts after every ``MSG#``, so one descending
  query from the top returns the conversation, its connections and its newest messages together.
- ``T#<t>#AGENT#<id>`` / ``PROFILE``: an agent's status and chat capacity.
- ``T#<t>#AGENT#<id>`` or ``T#<t>#VISITOR#<id>`` / ``CONN#<connection>``: a principal's open connections.
- ``T#<t>#AGENT#<id>`` / ``CONV#<id>``: the agent's assigned conversations.
- ``T#<t>#VISITOR#<id>`` / ``CONV#<id>`` and ``OPEN``: the visitor's conversations and the open one.
- ``T#<t>#CONTACT#<id>`` / ``PROFILE``: a customer's record; ``CASE#<conversation id>``: its cases (CHAT-11).
- ``T#<t>#CONTACT-EMAIL#<lowercased email>`` and ``T#<t>#CONTACT-EXT#<external id>`` / ``POINTER``: the contact
  holding that email or external id, written with the contact in one transaction, so that two contacts never
  claim one email (found by key, never by a scan).
- The routing index (docs/scaling.md), written in the same transactions as the agent or conversation it indexes:
  - ``T#<t>#READY#<group>#<channel>[#<skill>]#<shard>`` / fairness key: agents who can take that channel now,
    best first (ROUTE-2, ROUTE-6); the agent's item lists its entries in ``index_keys``.
  - ``T#<t>#WAIT#<group>#<medium>[#<skill>#<level>]#<shard>`` / waiting key: the group's queues, priority then
    arrival order (ROUTE-5).
  - ``T#<t>#GROUP#<group>#<shard>`` / ``COUNT``: how many conversations wait in that shard of the group (``n``, kept
    below the shard's share of the threshold: ROUTE-4) and in each of its queues (``q:<queue>``).
  - ``T#<t>#ROSTER#<group>`` / agent id: the group's members, for reports and re-indexing (never for a decision).
- ``T#<t>#LIMIT#<kind>#<key>`` / ``W#<window start>``: per-visitor counters of sessions and conversations, written
  by adapters/rate_limits.py.
GSI ``gsi1`` (keys, plus connections) lists a group's waiting conversations (``T#<t>#WAITING#<group>``, oldest
first) for the waiting screen's positions.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.aws import POOL_CONNECTIONS, error_code
from chalicelib.domain.contacts import Case, Contact, normalize_email
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import (
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    Message,
    Notification,
    Offer,
    PageContext,
    Principal,
    PrincipalKind,
    Reservation,
    Sender,
    Snooze,
    VisitorInfo,
    WrapUp,
)
from chalicelib.domain.routing import (
    AgentSettings,
    Channel,
    Group,
    Medium,
    ReadyEntry,
    RoutingConfig,
    SkillNeed,
    Waiting,
    can_take,
    candidate_order,
    conversation_list,
    parse_queue_list,
    ready_entries,
    ready_lists,
    routing_view,
    shard_capacity,
    shard_of,
    waiting_key,
    with_settings,
)
from chalicelib.domain.routing import config_from_json as routing_from_json
from chalicelib.domain.routing import config_to_json as routing_to_json
from chalicelib.domain.sales import Credit, Sale
from chalicelib.domain.settings import from_json as settings_from_json
from chalicelib.ports import AssignmentLost, ConversationView, GroupCount, SeqTaken, Tenant

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


class _Meta:
    table_name = os.environ.get("TABLE_NAME", "guichet")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    host = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL") or None
    max_retry_attempts = 3
    max_pool_connections = POOL_CONNECTIONS


class _Item(Model):
    """What every item of the table has: the tenant-prefixed partition key and the sort key."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """PynamoDB builds one botocore client per model class (and several at once when threads race to the first
        request); building one costs ~100 ms of CPU. Every model of this table shares the one client instead."""
        fresh = cls._connection is None or cls._connection.table_name != cls.Meta.table_name
        table = super()._get_connection()
        if fresh:
            table.connection._client = connection().client
        return table


class Gsi1(GlobalSecondaryIndex["Gsi1Entry"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi1"
        projection = IncludeProjection(["connections"])

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi1Entry(_Item):
    """What the index returns: the base item's keys, and a waiting conversation's connections."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    connections = UnicodeSetAttribute(null=True)
    gsi1 = Gsi1()


class Utf8JSONAttribute(JSONAttribute):
    """JSON kept as UTF-8 text. PynamoDB's escapes every character outside ASCII (an emoji takes 12 bytes instead of
    4), which took a tenant's settings and routing, each within the 128 KB of a request body, over DynamoDB's 400 KB
    item. Items written the escaped way read the same."""

    def serialize(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)


class TenantItem(_Item):
    name = UnicodeAttribute()
    settings = Utf8JSONAttribute(null=True)
    identity_secret = UnicodeAttribute(null=True)
    routing = Utf8JSONAttribute(null=True)


class ConversationPart(_Item):
    """Any item of a conversation's partition; the discriminator tells the state from the messages."""

    kind = DiscriminatorAttribute(attr_name="t")


class ConversationItem(ConversationPart, discriminator="c"):
    status = UnicodeAttribute()
    queue = UnicodeAttribute()
    visitor_id = UnicodeAttribute()
    agent_id = UnicodeAttribute(null=True)
    agent_name = UnicodeAttribute(null=True)
    page_url = UnicodeAttribute(null=True)
    page_title = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    assigned_at = UTCDateTimeAttribute(null=True)
    connections = UnicodeSetAttribute(null=True)
    visitor_name = UnicodeAttribute(null=True)
    visitor_email = UnicodeAttribute(null=True)
    visitor_ip = UnicodeAttribute(null=True)
    visitor_external_id = UnicodeAttribute(null=True)
    custom = Utf8JSONAttribute(null=True)
    offer_id = UnicodeAttribute(null=True)
    offer_agent_id = UnicodeAttribute(null=True)
    offer_expires_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    disposition = UnicodeAttribute(null=True)
    wrap_notes = UnicodeAttribute(null=True)
    saved_as = UnicodeAttribute(null=True)
    rating = NumberAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    medium = UnicodeAttribute(null=True)
    rule = UnicodeAttribute(null=True)
    priority = NumberAttribute(null=True)
    skill = UnicodeAttribute(null=True)  # "<skill>#<min level>"
    queue_shard = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    asynchronous = BooleanAttribute(null=True)
    consent_at = UTCDateTimeAttribute(null=True)
    notify_email = UnicodeAttribute(null=True)
    notify_off = BooleanAttribute(null=True)
    snooze_id = UnicodeAttribute(null=True)
    snooze_until = UTCDateTimeAttribute(null=True)
    snooze_kept = BooleanAttribute(null=True)
    reservation_id = UnicodeAttribute(null=True)
    reservation_until = UTCDateTimeAttribute(null=True)
    transfer_from = UnicodeAttribute(null=True)
    visitor_read_seq = NumberAttribute(null=True)
    notified_seq = NumberAttribute(null=True)
    visitor_blocked = BooleanAttribute(null=True)

    def to_domain(self, tenant: str) -> Conversation:
        return Conversation(
            tenant=tenant,
            id=self.pk.rsplit("#", 1)[1],
            visitor_id=self.visitor_id,
            created_at=self.created_at,
            status=ConversationStatus(self.status),
            queue=self.queue,
            agent_id=self.agent_id,
            agent_name=self.agent_name,
            page=PageContext(url=self.page_url, title=self.page_title or "") if self.page_url is not None else None,
            connections=frozenset(self.connections or ()),
            visitor=VisitorInfo(self.visitor_name or "", self.visitor_email or "", self.visitor_ip or "",
                                self.visitor_external_id or ""),
            custom=dict(self.custom or {}),
            offer=Offer(self.offer_id, self.offer_agent_id or "", self.offer_expires_at)
            if self.offer_id and self.offer_expires_at else None,
            wrap_up=WrapUp(self.closed_at, self.disposition or "", self.wrap_notes or "", self.saved_as or "case")
            if self.closed_at else None,
            rating=int(self.rating) if self.rating is not None else None,
            rating_comment=self.rating_comment or "",
            medium=self.medium or "chat",
            rule=self.rule or "",
            priority=int(self.priority or 0),
            skill=(self.skill.split("#")[0], int(self.skill.split("#")[1])) if self.skill else None,
            queue_shard=int(self.queue_shard) if self.queue_shard is not None else None,
            asynchronous=bool(self.asynchronous),
            consent_at=self.consent_at,
            notification=Notification(self.notify_email or "", not self.notify_off),
            snooze=Snooze(self.snooze_id, self.snooze_until, bool(self.snooze_kept))
            if self.snooze_id and self.snooze_until else None,
            reservation=Reservation(self.reservation_id, self.reservation_until, self.transfer_from or "")
            if self.reservation_id and self.reservation_until else None,
            visitor_read_seq=int(self.visitor_read_seq or 0),
            notified_seq=int(self.notified_seq or 0),
            visitor_blocked=bool(self.visitor_blocked),
        )


class MessageItem(ConversationPart, discriminator="m"):
    """A stored message. Short attribute names, an epoch timestamp and deflated long texts keep most messages
    within 1 KB, i.e. one write unit; the sequence number is the sort key."""

    client_message_id = UnicodeAttribute(attr_name="c")
    sender_kind = UnicodeAttribute(attr_name="k")
    sender_id = UnicodeAttribute(attr_name="u")
    sender_name = UnicodeAttribute(attr_name="n", null=True)
    text = UnicodeAttribute(attr_name="x", null=True)
    packed_text = BinaryAttribute(attr_name="z", null=True, legacy_encoding=False)
    sent_at_ms = NumberAttribute(attr_name="at")
    #: How many messages the visitor sent in this message's minute, up to it (domain/rate_limits.py); absent: 0.
    visitor_pace = NumberAttribute(attr_name="v", null=True)

    def set_text(self, text: str) -> None:
        """Long texts are stored deflated when that is smaller: a write unit is 1 KB, and chat text packs well."""
        raw = text.encode("utf-8")
        packed = zlib.compress(raw, 9) if len(raw) > PACK_TEXT_ABOVE_BYTES else raw
        if len(packed) < len(raw):
            self.packed_text, self.text = packed, None
        else:
            self.text, self.packed_text = text, None

    def get_text(self) -> str:
        if self.packed_text is not None:
            return zlib.decompress(self.packed_text).decode("utf-8")
        return self.text or ""

    def to_domain(self, tenant: str) -> Message:
        return Message(
            tenant=tenant,
            conversation_id=self.pk.rsplit("#", 1)[1],
            seq=int(self.sk[len(MSG):]),
            client_message_id=self.client_message_id,
            sender=Sender(kind=PrincipalKind(self.sender_kind), id=self.sender_id, name=self.sender_name or ""),
            text=self.get_text(),
            sent_at=datetime.fromtimestamp(self.sent_at_ms / 1000, UTC),
        )


class AgentItem(_Item):
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    capacity = NumberAttribute()
    active = NumberAttribute()
    queues = UnicodeSetAttribute(null=True)
    queues_off = UnicodeSetAttribute(null=True)
    idle_since = UTCDateTimeAttribute(null=True)
    skills = JSONAttribute(null=True)
    route_first = BooleanAttribute(null=True)
    multi_channel = BooleanAttribute(null=True)
    call_capacity = NumberAttribute(null=True)
    email_capacity = NumberAttribute(null=True)
    call_active = NumberAttribute(null=True)
    email_active = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    index_keys = UnicodeSetAttribute(null=True)
    #: How many conversations wait for this agent alone (RSV# links): a pull looks at them only when there are.
    reserved = NumberAttribute(null=True)

    def to_domain(self, tenant: str) -> Agent:
        return Agent(
            tenant=tenant,
            id=self.pk.rsplit("#", 1)[1],
            name=self.name,
            status=AgentStatus(self.status),
            capacity=int(self.capacity),
            active=int(self.active),
            queues=tuple(sorted(self.queues or ())),
            queues_off=tuple(sorted(self.queues_off or ())),
            idle_since=self.idle_since,
            skills={str(k): int(v) for k, v in (self.skills or {}).items()},
            route_first=bool(self.route_first),
            multi_channel=bool(self.multi_channel),
            call_capacity=int(self.call_capacity if self.call_capacity is not None else 1),
            email_capacity=int(self.email_capacity or 0),
            call_active=int(self.call_active or 0),
            email_active=int(self.email_active or 0),
            version=int(self.version or 0),
            index_keys=frozenset(self.index_keys or ()),
            reserved=int(self.reserved or 0),
        )


class LinkItem(_Item):
    """A pointer kept in a principal's partition: a connection, an assigned or a visitor's conversation."""

    conversation_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class ContactItem(_Item):
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    external_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)

    def to_domain(self, tenant: str) -> Contact:
        return Contact(tenant=tenant, id=self.pk.rsplit("#", 1)[1], name=self.name, email=self.email or "",
                       phone=self.phone or "", external_id=self.external_id or "", created_at=self.created_at)


class ContactPointerItem(_Item):
    """``T#<t>#CONTACT-EMAIL#<email>`` or ``T#<t>#CONTACT-EXT#<id>`` / ``POINTER``: which contact holds it."""

    contact_id = UnicodeAttribute()


class CaseItem(_Item):
    disposition = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    saved_as = UnicodeAttribute()
    closed_at = UTCDateTimeAttribute()

    def to_domain(self, tenant: str) -> Case:
        return Case(tenant=tenant, contact_id=self.pk.rsplit("#", 1)[1], conversation_id=self.sk[len(CASE):],
                    disposition=self.disposition or "", notes=self.notes or "", saved_as=self.saved_as,
                    closed_at=self.closed_at)


class ReadyItem(_Item):
    """An agent's line in a ready list; the sort key is its fairness key."""

    agent_id = UnicodeAttribute()


class QueueItem(_Item):
    """A conversation's line in one of its group's queues; the sort key is its waiting key."""

    conversation_id = UnicodeAttribute()


class CounterItem(_Item):
    """One shard of a group's waiting count; per-queue counts are attributes named ``q:<queue>``."""

    n = NumberAttribute(null=True)


class RosterItem(_Item):
    """A member of a group (sort key: the agent id)."""


class VisitorPrefsItem(_Item):
    """A visitor's choices (``T#<t>#VISITOR#<id>`` / ``PREFS``): hide their history (ASYNC-5)."""

    hide_history = BooleanAttribute(null=True)


class ReplyKeyItem(_Item):
    """``T#<t>#REPLY#<key>`` / ``REPLY``: the conversation a reply address ``reply+<t>.<key>@…`` belongs to (the key
    is an HMAC: it cannot be guessed from a conversation id)."""

    conversation_id = UnicodeAttribute()


class SaleItem(_Item):
    """A sale the brand reported (``T#<t>#SALE#<order id>`` / ``SALE``) and the agent it was credited to."""

    visitor_id = UnicodeAttribute()
    amount = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    agent_id = UnicodeAttribute(null=True)
    agent_name = UnicodeAttribute(null=True)
    conversation_id = UnicodeAttribute(null=True)
    credited_message_at = UTCDateTimeAttribute(null=True)


MODELS: tuple[type[Model], ...] = (
    _Item, Gsi1Entry, TenantItem, ConversationPart, ConversationItem, MessageItem, AgentItem, LinkItem, ContactItem,
    ContactPointerItem, CaseItem, ReadyItem, QueueItem, CounterItem, RosterItem, VisitorPrefsItem, SaleItem,
    ReplyKeyItem,
)


def configure(table_name: str, region: str, host: str | None) -> None:
    """Point every model at one table (the stage's, or a test's)."""
    _Meta.table_name = table_name
    _Meta.region = region
    _Meta.host = host
    for model in MODELS:
        model._connection = None
    _shared.clear()


_shared: list[Connection] = []
_shared_lock = threading.Lock()


def connection() -> Connection:
    """The connection transactions use, and whose botocore client every model shares; made once, since a botocore
    client costs ~100 ms to build."""
    if not _shared:
        with _shared_lock:
            if not _shared:
                made = Connection(region=_Meta.region, host=_Meta.host, max_retry_attempts=_Meta.max_retry_attempts,
                                  max_pool_connections=_Meta.max_pool_connections)
                made.client  # noqa: B018 - built here, under the lock, once
                _shared.append(made)
    return _shared[0]


def _failed_condition(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoTenants:
    """A tenant's configuration, read through a per-container cache.

    Every routing decision, close and queue announcement needs the tenant's settings, which change a few times a
    year; like Powertools' parameters, a container keeps what it read for `max_age_seconds`. A change made in this
    container is seen at once; other warm containers see it within that time."""

    def __init__(self, max_age_seconds: float = 5.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Tenant | None]] = {}

    def get(self, tenant: str) -> Tenant | None:
        cached = self._cache.get(tenant)
        now = self._monotonic()
        if cached is not None and now - cached[0] < self._max_age:
            return cached[1]
        try:
            item = TenantItem.get(f"T#{tenant}#TENANT", "CONFIG")
        except DoesNotExist:
            return None  # not cached: a tenant created a moment later is found at once
        found = Tenant(id=tenant, name=item.name, settings=settings_from_json(item.settings or {}),
                       identity_secret=item.identity_secret or "",
                       routing=routing_from_json(item.routing) if item.routing else RoutingConfig())
        self._cache[tenant] = (now, found)
        return found

    def put(self, tenant: Tenant) -> None:
        TenantItem(f"T#{tenant.id}#TENANT", "CONFIG", name=tenant.name, settings=tenant.settings.to_json(),
                   identity_secret=tenant.identity_secret or None, routing=routing_to_json(tenant.routing)).save()
        self._cache[tenant.id] = (self._monotonic(), tenant)


class DynamoConversations:
    def create(self, conversation: Conversation) -> None:
        tenant = conversation.tenant
        visitor_pk = _principal_pk(tenant, PrincipalKind.VISITOR, conversation.visitor_id)
        item = ConversationItem(
            _conv_pk(tenant, conversation.id),
            STATE,
            status=conversation.status.value,
            queue=conversation.queue,
            visitor_id=conversation.visitor_id,
            page_url=conversation.page.url if conversation.page else None,
            page_title=conversation.page.title if conversation.page else None,
            created_at=conversation.created_at,
            connections=set(conversation.connections) or None,
            visitor_name=conversation.visitor.name or None,
            visitor_email=conversation.visitor.email or None,
            visitor_ip=conversation.visitor.ip or None,
            visitor_external_id=conversation.visitor.external_id or None,
            custom=dict(conversation.custom) or None,
            medium=conversation.medium,
            rule=conversation.rule or None,
            priority=conversation.priority,
            skill=f"{conversation.skill[0]}#{conversation.skill[1]}" if conversation.skill else None,
            asynchronous=conversation.asynchronous or None,
            consent_at=conversation.consent_at,
            notify_email=conversation.notification.email or None,
            notify_off=None if conversation.notification.enabled else True,
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(item, condition=ConversationItem.pk.does_not_exist())
                tx.save(LinkItem(visitor_pk, f"{CONV}{conversation.id}", conversation_id=conversation.id,
                                 created_at=conversation.created_at))
                tx.save(LinkItem(visitor_pk, OPEN, conversation_id=conversation.id),
                        condition=LinkItem.pk.does_not_exist())
        except TransactWriteError as exc:
            raise Conflict("the visitor already has an open conversation") from exc

    def get(self, tenant: str, conversation_id: str) -> Conversation | None:
        try:
            item = ConversationItem.get(_conv_pk(tenant, conversation_id), STATE, consistent_read=True)
        except DoesNotExist:
            return None
        return item.to_domain(tenant)

    def view_for_send(self, tenant: str, conversation_id: str, after_seq: int | None) -> ConversationView | None:
        # One descending query: STATE sorts after every MSG#, so it comes first, then the newest messages.
        page = 3 if after_seq is not None else 1 + RECENT_WITHOUT_CURSOR
        conversation: Conversation | None = None
        recent: list[Message] = []
        pace = 0
        results = ConversationPart.query(
            _conv_pk(tenant, conversation_id),
            ConversationPart.sk >= MSG,
            scan_index_forward=False,
            consistent_read=True,
            page_size=page,
        )
        for part in results:
            if isinstance(part, ConversationItem):
                conversation = part.to_domain(tenant)
            elif isinstance(part, MessageItem):
                if not recent:
                    pace = int(part.visitor_pace or 0)
                recent.append(part.to_domain(tenant))
                seq = recent[-1].seq
                if after_seq is None:
                    enough = len(recent) >= RECENT_WITHOUT_CURSOR
                else:
                    enough = seq <= after_seq + 1 or len(recent) >= MAX_CATCH_UP
                if enough:
                    break
        if conversation is None:
            return None
        return ConversationView(conversation=conversation, recent=recent, visitor_pace=pace)

    def put_message(self, message: Message, visitor_pace: int = 0) -> None:
        item = MessageItem(
            _conv_pk(message.tenant, message.conversation_id),
            _msg_sk(message.seq),
            client_message_id=message.client_message_id,
            sender_kind=message.sender.kind.value,
            sender_id=message.sender.id,
            sender_name=message.sender.name or None,
            sent_at_ms=int(message.sent_at.timestamp() * 1000),
            visitor_pace=visitor_pace or None,
        )
        item.set_text(message.text)
        request = item.get_save_kwargs_from_instance(
            condition=MessageItem.sk.does_not_exist(), return_values_on_condition_failure="ALL_OLD"
        )
        try:
            MessageItem._get_connection().connection.dispatch("PutItem", request)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            # The message holding this number comes back with the failure: no second read to see whose it is.
            holder = exc.response.get("Item")
            taken = MessageItem.from_raw_data(holder).to_domain(message.tenant) if holder else None
            raise SeqTaken(taken) from exc

    def messages(self, tenant: str, conversation_id: str, after_seq: int, limit: int) -> list[Message]:
        results = ConversationPart.query(
            _conv_pk(tenant, conversation_id),
            ConversationPart.sk.between(_msg_sk(after_seq + 1), _msg_sk(10**10 - 1)),
            consistent_read=True,
            limit=limit,
        )
        return [part.to_domain(tenant) for part in results if isinstance(part, MessageItem)]

    def open_for_visitor(self, tenant: str, visitor_id: str) -> list[Conversation]:
        try:
            pointer = LinkItem.get(_principal_pk(tenant, PrincipalKind.VISITOR, visitor_id), OPEN,
                                   consistent_read=True)
        except DoesNotExist:
            return []
        found = self.get(tenant, pointer.conversation_id or "")
        return [found] if found is not None and found.status is not ConversationStatus.CLOSED else []

    def open_for_agent(self, tenant: str, agent_id: str) -> list[Conversation]:
        links = LinkItem.query(_principal_pk(tenant, PrincipalKind.AGENT, agent_id), LinkItem.sk.startswith(CONV),
                               consistent_read=True)
        keys = [(_conv_pk(tenant, link.conversation_id or ""), STATE) for link in links]
        if not keys:
            return []
        found = [item.to_domain(tenant) for item in ConversationItem.batch_get(keys, consistent_read=True)]
        open_ones = [c for c in found if c.status is not ConversationStatus.CLOSED]
        return sorted(open_ones, key=lambda c: c.created_at)

    def waiting_in(self, tenant: str, group: str, limit: int) -> list[Conversation]:
        """A group's waiting conversations, oldest first (for the supervisors' report; may lag slightly)."""
        ids = [conversation_id for conversation_id, _ in self.waiting_connections(tenant, group, limit)]
        if not ids:
            return []
        items = ConversationItem.batch_get([(_conv_pk(tenant, i), STATE) for i in ids], consistent_read=True)
        found = [item.to_domain(tenant) for item in items]
        waiting = [c for c in found if c.status is ConversationStatus.WAITING]
        return sorted(waiting, key=lambda c: (c.created_at, c.id))

    def waiting_connections(self, tenant: str, queue: str, limit: int) -> list[tuple[str, frozenset[str]]]:
        entries = Gsi1Entry.gsi1.query(_waiting_pk(tenant, queue), limit=limit)
        return [(entry.pk.rsplit("#", 1)[1], frozenset(entry.connections or ())) for entry in entries]

    def add_connections(self, tenant: str, conversation_id: str, connection_ids: Iterable[str]) -> None:
        self._change_connections(tenant, conversation_id, set(connection_ids), add=True)

    def remove_connections(self, tenant: str, conversation_id: str, connection_ids: Iterable[str]) -> None:
        self._change_connections(tenant, conversation_id, set(connection_ids), add=False)

    def waiting_ahead(self, conversation: Conversation) -> int:
        return int(Gsi1Entry.count(_waiting_pk(conversation.tenant, conversation.queue),
                                   Gsi1Entry.gsi1sk < _waiting_sk(conversation), index_name="gsi1"))

    def rate(self, tenant: str, conversation_id: str, rating: int, comment: str, now: datetime) -> None:
        item = ConversationItem(_conv_pk(tenant, conversation_id), STATE)
        try:
            item.update(
                actions=[ConversationItem.rating.set(rating), ConversationItem.rating_comment.set(comment or "")],
                condition=(ConversationItem.status == ConversationStatus.CLOSED.value)
                & ConversationItem.rating.does_not_exist(),
            )
        except UpdateError as exc:
            if _failed_condition(exc):
                raise Conflict("this conversation is not closed, or was rated already", field="rating") from exc
            raise

    def dissuade(self, conversation: Conversation, now: datetime) -> bool:
        visitor_pk = _principal_pk(conversation.tenant, PrincipalKind.VISITOR, conversation.visitor_id)
        tx = _Tx()
        tx.named_delete("gone", LinkItem(visitor_pk, OPEN), condition=LinkItem.conversation_id == conversation.id)
        _dequeue(tx, conversation)
        tx.named_update(
            "gone",
            ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
            actions=[ConversationItem.status.set(ConversationStatus.DISSUADED.value),
                     ConversationItem.closed_at.set(now), ConversationItem.queue_shard.remove(),
                     ConversationItem.gsi1pk.remove(), ConversationItem.gsi1sk.remove()],
            condition=(ConversationItem.status == ConversationStatus.WAITING.value) & _in_queue_as_read(conversation),
        )
        try:
            tx.commit()
        except TransactWriteError as exc:
            if tx.failed(exc) == "gone":
                return False
            raise
        return True

    def visitor_state(self, tenant: str, visitor_id: str) -> tuple[Conversation | None, bool]:
        """The visitor's open conversation, and whether an agent blocked them: one Query reads both markers."""
        open_id, blocked = None, False
        for link in LinkItem.query(_principal_pk(tenant, PrincipalKind.VISITOR, visitor_id),
                                   LinkItem.sk.startswith(OPEN), consistent_read=True):
            if link.sk == BLOCKED:
                blocked = True
            elif link.sk == OPEN:
                open_id = link.conversation_id
        found = self.get(tenant, open_id) if open_id else None
        return (found if found is not None and found.status.is_open else None), blocked

    def block_visitor(self, conversation: Conversation, agent_id: str, now: datetime) -> None:
        """The assigned agent blocks the visitor (ASYNC-15); Conflict if the conversation is not on their desk."""
        tx = _Tx()
        tx.named_save("none", LinkItem(_principal_pk(conversation.tenant, PrincipalKind.VISITOR,
                                                     conversation.visitor_id), BLOCKED, created_at=now))
        tx.named_update("not_yours", ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
                        actions=[ConversationItem.visitor_blocked.set(True)],
                        condition=(ConversationItem.status == ConversationStatus.ASSIGNED.value)
                        & (ConversationItem.agent_id == agent_id))
        try:
            tx.commit()
        except TransactWriteError as exc:
            raise Conflict("the conversation is not on your desk", field="conversation_id") from exc

    def set_notification(self, tenant: str, conversation_id: str, notification: Notification) -> None:
        self._update_open(tenant, conversation_id, [
            ConversationItem.notify_email.set(notification.email) if notification.email
            else ConversationItem.notify_email.remove(),
            ConversationItem.notify_off.set(True) if not notification.enabled else ConversationItem.notify_off.remove(),
        ])

    def set_page(self, tenant: str, conversation_id: str, page: PageContext) -> None:
        self._update_open(tenant, conversation_id, [ConversationItem.page_url.set(page.url),
                                                    ConversationItem.page_title.set(page.title)])

    def mark_read(self, tenant: str, conversation_id: str, seq: int) -> None:
        """Raise the visitor's read mark to `seq` (never lower it)."""
        try:
            ConversationItem(_conv_pk(tenant, conversation_id), STATE).update(
                actions=[ConversationItem.visitor_read_seq.set(seq)],
                condition=ConversationItem.pk.exists() & (ConversationItem.visitor_read_seq.does_not_exist()
                                                         | (ConversationItem.visitor_read_seq < seq)))
        except UpdateError as exc:
            if not _failed_condition(exc):
                raise

    def claim_notification(self, tenant: str, conversation_id: str, seq: int) -> bool:
        """Note that an email told the visitor of the messages up to `seq`; False if one already did (a timer
        delivered twice sends one email)."""
        try:
            ConversationItem(_conv_pk(tenant, conversation_id), STATE).update(
                actions=[ConversationItem.notified_seq.set(seq)],
                condition=ConversationItem.pk.exists() & (ConversationItem.notified_seq.does_not_exist()
                                                         | (ConversationItem.notified_seq < seq)))
        except UpdateError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def release_notification(self, tenant: str, conversation_id: str, seq: int, previous: int) -> None:
        """Undo a claim whose email could not be sent, so that a retry sends it."""
        try:
            ConversationItem(_conv_pk(tenant, conversation_id), STATE).update(
                actions=[ConversationItem.notified_seq.set(previous)], condition=ConversationItem.notified_seq == seq)
        except UpdateError as exc:
            if not _failed_condition(exc):
                raise

    def of_visitor(self, tenant: str, visitor_id: str, limit: int) -> list[Conversation]:
        """The visitor's conversations, newest first (their history, ASYNC-5)."""
        links = LinkItem.query(_principal_pk(tenant, PrincipalKind.VISITOR, visitor_id), LinkItem.sk.startswith(CONV),
                               consistent_read=True)
        ids = sorted(((link.created_at, link.conversation_id or "") for link in links if link.created_at),
                     reverse=True)[:limit]
        return self._many(tenant, [i for _, i in ids], newest_first=True)

    def linked_to_agent(self, tenant: str, agent_id: str, kind: str, limit: int) -> list[Conversation]:
        """An agent's conversations of one kind: "reserved" (waiting for them alone) or "snoozed" (kept)."""
        prefix = {"reserved": RESERVED_LINK, "snoozed": SNOOZED_LINK}[kind]
        links = LinkItem.query(_principal_pk(tenant, PrincipalKind.AGENT, agent_id), LinkItem.sk.startswith(prefix),
                               consistent_read=True, limit=limit)
        return self._many(tenant, [link.conversation_id or "" for link in links])

    def remember_reply_key(self, tenant: str, key: str, conversation_id: str) -> None:
        ReplyKeyItem(f"T#{tenant}#REPLY#{key}", REPLY, conversation_id=conversation_id).save()

    def reply_target(self, tenant: str, key: str) -> str | None:
        try:
            item = ReplyKeyItem.get(f"T#{tenant}#REPLY#{key}", REPLY, consistent_read=True)
        except DoesNotExist:
            return None
        return item.conversation_id

    def history_hidden(self, tenant: str, visitor_id: str) -> bool:
        try:
            item = VisitorPrefsItem.get(_principal_pk(tenant, PrincipalKind.VISITOR, visitor_id), PREFS,
                                        consistent_read=True)
        except DoesNotExist:
            return False
        return bool(item.hide_history)

    def set_history_hidden(self, tenant: str, visitor_id: str, hidden: bool) -> None:
        VisitorPrefsItem(_principal_pk(tenant, PrincipalKind.VISITOR, visitor_id), PREFS, hide_history=hidden).save()

    def last_agent_message(self, tenant: str, conversation_id: str, before: datetime) -> Message | None:
        """Reads backwards from the newest message, a page at a time, to the newest agent message at or before."""
        limit_ms = int(before.timestamp() * 1000)
        for part in ConversationPart.query(_conv_pk(tenant, conversation_id), ConversationPart.sk.startswith(MSG),
                                           scan_index_forward=False, consistent_read=True, page_size=50):
            if isinstance(part, MessageItem) and part.sender_kind == PrincipalKind.AGENT.value \
                    and part.sent_at_ms <= limit_ms:
                return part.to_domain(tenant)
        return None

    def held_in(self, tenant: str, group: str, limit: int) -> list[Conversation]:
        """A group's conversations held by agents (on a desk, reserved or snoozed), oldest first (may lag)."""
        entries = Gsi1Entry.gsi1.query(_held_pk(tenant, group), limit=limit)
        held = self._many(tenant, [entry.pk.rsplit("#", 1)[1] for entry in entries])
        return [c for c in held if c.status in (ConversationStatus.ASSIGNED, ConversationStatus.RESERVED,
                                                ConversationStatus.SNOOZED)]

    def _many(self, tenant: str, ids: Sequence[str], newest_first: bool = False) -> list[Conversation]:
        if not ids:
            return []
        found: list[Conversation] = []
        for start in range(0, len(ids), 100):
            keys = [(_conv_pk(tenant, i), STATE) for i in ids[start:start + 100]]
            found += [item.to_domain(tenant) for item in ConversationItem.batch_get(keys, consistent_read=True)]
        return sorted(found, key=lambda c: (c.created_at, c.id), reverse=newest_first)

    @staticmethod
    def _update_open(tenant: str, conversation_id: str, actions: list[Any]) -> None:
        try:
            ConversationItem(_conv_pk(tenant, conversation_id), STATE).update(
                actions=actions, condition=ConversationItem.pk.exists()
                & ~ConversationItem.status.is_in(ConversationStatus.CLOSED.value, ConversationStatus.DISSUADED.value))
        except UpdateError as exc:
            if _failed_condition(exc):
                raise Conflict("the conversation has ended", field="conversation_id") from exc
            raise

    @staticmethod
    def _change_connections(tenant: str, conversation_id: str, ids: set[str], *, add: bool) -> None:
        if not ids:
            return
        item = ConversationItem(_conv_pk(tenant, conversation_id), STATE)
        action = ConversationItem.connections.add(ids) if add else ConversationItem.connections.delete(ids)
        try:
            item.update(actions=[action], condition=ConversationItem.pk.exists())
        except UpdateError as exc:
            if not _failed_condition(exc):
                raise  # a conversation that vanished has no connections to keep


class _Tx(TransactWrite):
    """A transaction whose operations carry names, so that a cancellation tells which condition failed.

    PynamoDB sends condition checks, then deletes, then puts, then updates; the cancellation reasons follow that
    order, and so do the names."""

    def __init__(self) -> None:
        super().__init__(connection=connection())
        self._names: dict[str, list[str]] = {"delete": [], "put": [], "update": []}

    def named_delete(self, name: str, model: Model, condition: Any = None) -> None:
        self.delete(model, condition=condition)
        self._names["delete"].append(name)

    def named_save(self, name: str, model: Model, condition: Any = None) -> None:
        self.save(model, condition=condition)
        self._names["put"].append(name)

    def named_update(self, name: str, model: Model, actions: list[Any], condition: Any = None) -> None:
        self.update(model, actions=actions, condition=condition)
        self._names["update"].append(name)

    def size(self) -> int:
        return sum(len(names) for names in self._names.values())

    def commit(self) -> None:
        if self.size() > MAX_TRANSACTION_ITEMS:
            raise Conflict("this agent belongs to too many groups and skills to be routed atomically "
                           f"(more than {MAX_TRANSACTION_ITEMS} index changes); see docs/scaling.md")
        self._commit()

    def failed(self, exc: TransactWriteError) -> str:
        order = self._names["delete"] + self._names["put"] + self._names["update"]
        for index, reason in enumerate(exc.cancellation_reasons):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                return order[index] if index < len(order) else "conflict"
        return "transaction_conflict"


MAX_TRANSACTION_ITEMS = 100


def _index_agent(tx: _Tx, before: Agent, after: Agent, config: RoutingConfig) -> frozenset[str]:
    """Move the agent's ready-list entries from where they are to where `after` belongs (unchanged ones stay)."""
    wanted = {entry.encode(): entry for entry in ready_entries(routing_view(after), config)}
    for key in sorted(before.index_keys - wanted.keys()):
        gone = ReadyEntry.decode(key)
        tx.named_delete("none", ReadyItem(_ready_pk(after.tenant, gone.list_key), gone.sort_key))
    for key in sorted(wanted.keys() - before.index_keys):
        entry = wanted[key]
        tx.named_save("none", ReadyItem(_ready_pk(after.tenant, entry.list_key), entry.sort_key, agent_id=after.id))
    return frozenset(wanted)


def _write_agent(tx: _Tx, before: Agent, after: Agent, config: RoutingConfig, *, name: str = "agent_changed",
                 extra: Sequence[Any] = ()) -> Agent:
    """Update the agent's item on the exact revision read (optimistic), with its ready-list entries."""
    keys = _index_agent(tx, before, after, config)
    actions: list[Any] = [
        AgentItem.status.set(after.status.value),
        AgentItem.active.set(after.active),
        AgentItem.call_active.set(after.call_active),
        AgentItem.email_active.set(after.email_active),
        AgentItem.version.set(before.version + 1),
        AgentItem.index_keys.set(set(keys)) if keys else AgentItem.index_keys.remove(),
        *extra,
    ]
    if after.idle_since is not None:
        actions.append(AgentItem.idle_since.set(after.idle_since))
    tx.named_update(name, AgentItem(_principal_pk(after.tenant, PrincipalKind.AGENT, after.id), PROFILE),
                    actions=actions, condition=AgentItem.version == before.version)
    return replace(after, version=before.version + 1, index_keys=keys)


def _reserved_count(delta: int) -> list[Any]:
    """Count an agent's reservations up or down, as a new revision of the agent: a concurrent change of theirs
    (going Available, say) then retries on a fresh read and sees the reservation it must pull."""
    return [AgentItem.reserved.add(delta), AgentItem.version.add(1)]


def _load_field(channel: Channel) -> str:
    return {Channel.CHAT: "active", Channel.CALL: "call_active", Channel.EMAIL: "email_active"}[channel]


def _loaded(agent: Agent, channel: Channel, delta: int) -> Agent:
    field_name = _load_field(channel)
    return replace(agent, **{field_name: getattr(agent, field_name) + delta})


def _channel(conversation: Conversation) -> Channel:
    return Medium(conversation.medium).channel


def _enqueue(tx: _Tx, conversation: Conversation, shard: int, room: int | None) -> None:
    """Put a conversation in shard `shard` of its group's queue and count it; with `room`, only while fewer than
    `room` conversations wait in that shard (the group's threshold, ROUTE-4)."""
    queue = conversation_list(conversation)
    tx.named_save("none", QueueItem(_queue_pk(conversation.tenant, conversation.queue, queue, shard),
                                    _queue_key(conversation), conversation_id=conversation.id))
    condition = (CounterItem.n.does_not_exist() | (CounterItem.n < room)) if room is not None else None
    tx.named_update("full", CounterItem(*_counter_key(conversation.tenant, conversation.queue, shard)),
                    actions=[CounterItem.n.add(1), Path([QUEUE_COUNT + queue]).add(1)], condition=condition)


def _dequeue(tx: _Tx, conversation: Conversation) -> None:
    """Take a conversation out of its group's queue (it is offered, or it leaves)."""
    if conversation.queue_shard is None:
        return
    queue, shard = conversation_list(conversation), conversation.queue_shard
    tx.named_delete("none", QueueItem(_queue_pk(conversation.tenant, conversation.queue, queue, shard),
                                      _queue_key(conversation)))
    tx.named_update("none", CounterItem(*_counter_key(conversation.tenant, conversation.queue, shard)),
                    actions=[CounterItem.n.add(-1), Path([QUEUE_COUNT + queue]).add(-1)])


def _in_queue_as_read(conversation: Conversation) -> Any:
    """The conversation is in the queue shard we read (or in none), so the queue operations above are right."""
    if conversation.queue_shard is None:
        return ConversationItem.queue_shard.does_not_exist()
    return ConversationItem.queue_shard == conversation.queue_shard


class _RoutingConfigs:
    """The tenant's routing configuration, through the tenants' per-container cache."""

    def __init__(self, tenants: DynamoTenants | None) -> None:
        self._tenants = tenants or DynamoTenants()

    def routing(self, tenant: str) -> RoutingConfig:
        found = self._tenants.get(tenant)
        return found.routing if found is not None else RoutingConfig()


class DynamoAgents(_RoutingConfigs):
    _STATUS_RETRIES = 12

    def get(self, tenant: str, agent_id: str) -> Agent | None:
        try:
            item = AgentItem.get(_principal_pk(tenant, PrincipalKind.AGENT, agent_id), PROFILE, consistent_read=True)
        except DoesNotExist:
            return None
        return item.to_domain(tenant)

    def get_many(self, tenant: str, agent_ids: Sequence[str]) -> list[Agent]:
        unique = dict.fromkeys(agent_ids)
        keys = [(_principal_pk(tenant, PrincipalKind.AGENT, agent_id), PROFILE) for agent_id in unique]
        if not keys:
            return []
        return [item.to_domain(tenant) for item in AgentItem.batch_get(keys, consistent_read=True)]

    def put(self, agent: Agent) -> None:
        """Create or replace an agent (seeding, admin), with their ready-list entries and group memberships."""
        current = self.get(agent.tenant, agent.id)
        before = current or replace(agent, index_keys=frozenset(), queues=())
        tx = _Tx()
        after = replace(agent, version=before.version + 1 if current else 0)
        keys = _index_agent(tx, before, after, self.routing(agent.tenant))
        item = agent_item(replace(after, index_keys=keys))
        condition = AgentItem.version == current.version if current else AgentItem.pk.does_not_exist()
        tx.named_save("agent_changed", item, condition=condition)
        _roster(tx, before, after)
        try:
            tx.commit()
        except TransactWriteError as exc:
            raise Conflict("the agent changed meanwhile; retry", field="agent_id") from exc

    def set_status(self, tenant: str, agent_id: str, status: AgentStatus, now: datetime) -> Agent:
        def change(current: Agent) -> tuple[Agent, list[Any]]:
            idle_since = current.idle_since
            if status is AgentStatus.AVAILABLE and current.status is not AgentStatus.AVAILABLE:
                idle_since = now
            return replace(current, status=status, idle_since=idle_since), []

        return self._update(tenant, agent_id, change)

    def switch_queues(self, tenant: str, agent_id: str, queues_off: frozenset[str]) -> Agent:
        def change(current: Agent) -> tuple[Agent, list[Any]]:
            action = AgentItem.queues_off.set(set(queues_off)) if queues_off else AgentItem.queues_off.remove()
            return replace(current, queues_off=tuple(sorted(queues_off))), [action]

        return self._update(tenant, agent_id, change)

    def change_settings(self, tenant: str, agent_id: str, settings: AgentSettings) -> Agent:
        def change(current: Agent) -> tuple[Agent, list[Any]]:
            wanted = with_settings(current, settings)
            actions: list[Any] = [
                AgentItem.capacity.set(wanted.capacity),
                AgentItem.call_capacity.set(wanted.call_capacity),
                AgentItem.email_capacity.set(wanted.email_capacity),
                AgentItem.queues.set(set(wanted.queues)) if wanted.queues else AgentItem.queues.remove(),
                (AgentItem.queues_off.set(set(wanted.queues_off)) if wanted.queues_off
                 else AgentItem.queues_off.remove()),
                AgentItem.skills.set(dict(wanted.skills)) if wanted.skills else AgentItem.skills.remove(),
                AgentItem.route_first.set(wanted.route_first),
                AgentItem.multi_channel.set(wanted.multi_channel),
            ]
            return wanted, actions

        return self._update(tenant, agent_id, change)

    def reindex(self, tenant: str, agent_id: str) -> Agent | None:
        """Rewrite the agent's entries for the tenant's current routing configuration (after an admin changed it)."""
        if self.get(tenant, agent_id) is None:
            return None
        return self._update(tenant, agent_id, lambda current: (current, []))

    def members(self, tenant: str, group: str) -> list[str]:
        """The agents of a group (a report or a re-index reads this; a routing decision never does)."""
        return [item.sk for item in RosterItem.query(_roster_pk(tenant, group), consistent_read=True)]

    def _update(self, tenant: str, agent_id: str, change: Callable[[Agent], tuple[Agent, list[Any]]]) -> Agent:
        """Apply a change to the agent on the exact revision read, with their ready-list entries and memberships
        (retried when a concurrent offer or close won)."""
        config = self.routing(tenant)
        for attempt in range(self._STATUS_RETRIES):
            current = self.get(tenant, agent_id)
            if current is None:
                raise Conflict("the agent has no profile")
            wanted, actions = change(current)
            tx = _Tx()
            written = _write_agent(tx, current, wanted, config, extra=actions)
            _roster(tx, current, wanted)
            try:
                tx.commit()
            except TransactWriteError as exc:
                if tx.failed(exc) in ("agent_changed", "transaction_conflict"):
                    _step_aside(attempt)
                    continue
                raise
            return written
        raise Conflict("the agent's state keeps changing; retry")


def _step_aside(attempt: int) -> None:
    """A busy agent's item changes with every offer and close: a write that lost to one waits a jittered, growing
    moment before reading again, so that it does not lose to a whole run of them."""
    time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))  # noqa: S311 - jitter, not security


def agent_item(agent: Agent) -> AgentItem:
    """The whole stored item of an agent, revision and index bookkeeping included."""
    return AgentItem(
        _principal_pk(agent.tenant, PrincipalKind.AGENT, agent.id),
        PROFILE,
        name=agent.name,
        status=agent.status.value,
        capacity=agent.capacity,
        active=agent.active,
        queues=set(agent.queues) or None,
        queues_off=set(agent.queues_off) or None,
        idle_since=agent.idle_since,
        skills=dict(agent.skills) or None,
        route_first=agent.route_first or None,
        multi_channel=agent.multi_channel or None,
        call_capacity=agent.call_capacity,
        email_capacity=agent.email_capacity,
        call_active=agent.call_active,
        email_active=agent.email_active,
        version=agent.version,
        index_keys=set(agent.index_keys) or None,
    )


def _roster(tx: _Tx, before: Agent, after: Agent) -> None:
    for group in sorted(set(after.queues) - set(before.queues)):
        tx.named_save("none", RosterItem(_roster_pk(after.tenant, group), after.id))
    for group in sorted(set(before.queues) - set(after.queues)):
        tx.named_delete("none", RosterItem(_roster_pk(after.tenant, group), after.id))


class DynamoAssignments(_RoutingConfigs):
    """Ownership and capacity, each change one conditional transaction (invariants 1 and 2).

    An agent's loads count the slots in use, offers included, so that a 7th offer can never exist. The agent's
    item is updated on the exact revision read just before (optimistic), which also keeps their ready-list
    entries right; the conversation leaves or re-enters its group's queue in the same transaction.
    """

    _AGENT_RETRIES = 8

    def offer(self, conversation: Conversation, agent: Agent, offer: Offer, now: datetime) -> None:
        channel = _channel(conversation)
        if not can_take(routing_view(agent), channel):
            raise AssignmentLost("agent_unavailable")
        agent_pk = _principal_pk(conversation.tenant, PrincipalKind.AGENT, agent.id)
        tx = _Tx()
        tx.named_save("already_linked",
                      LinkItem(agent_pk, f"{CONV}{conversation.id}", conversation_id=conversation.id, created_at=now),
                      condition=LinkItem.pk.does_not_exist())
        _dequeue(tx, conversation)
        after = replace(_loaded(agent, channel, +1), idle_since=now)
        actions: list[Any] = [
            ConversationItem.status.set(ConversationStatus.OFFERED.value),
            ConversationItem.offer_id.set(offer.id),
            ConversationItem.offer_agent_id.set(agent.id),
            ConversationItem.offer_expires_at.set(offer.expires_at),
            ConversationItem.queue_shard.remove(),
            ConversationItem.gsi1pk.remove(),
            ConversationItem.gsi1sk.remove(),
        ]
        # Ownership (invariant 2): only a waiting conversation is offered, to one agent at a time; one reserved for
        # an agent (ASYNC-13) only to that agent, on the reservation read.
        condition = (ConversationItem.status == ConversationStatus.WAITING.value) & _in_queue_as_read(conversation)
        extra: list[Any] = []
        if conversation.status is ConversationStatus.RESERVED and conversation.reservation is not None:
            tx.named_delete("none", LinkItem(agent_pk, _reserved_sk(conversation.id, conversation.reservation)))
            extra.append(AgentItem.reserved.add(-1))
            actions += [ConversationItem.reservation_id.remove(), ConversationItem.reservation_until.remove(),
                        ConversationItem.agent_id.remove(), ConversationItem.agent_name.remove()]
            condition = (ConversationItem.status == ConversationStatus.RESERVED.value) \
                & (ConversationItem.agent_id == agent.id) \
                & (ConversationItem.reservation_id == conversation.reservation.id)
        _write_agent(tx, agent, after, self.routing(conversation.tenant), name="agent_unavailable", extra=extra)
        tx.named_update("conversation_taken", ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
                        actions=actions, condition=condition)
        try:
            tx.commit()
        except TransactWriteError as exc:
            raise AssignmentLost(tx.failed(exc)) from exc

    def accept(self, conversation: Conversation, agent: Agent, offer_id: str, agent_connections: Iterable[str],
               now: datetime) -> None:
        actions: list[Any] = [
            ConversationItem.status.set(ConversationStatus.ASSIGNED.value),
            ConversationItem.agent_id.set(agent.id),
            ConversationItem.agent_name.set(agent.name),
            ConversationItem.assigned_at.set(now),
            ConversationItem.offer_id.remove(),
            ConversationItem.offer_agent_id.remove(),
            ConversationItem.offer_expires_at.remove(),
            ConversationItem.transfer_from.remove(),
            ConversationItem.gsi1pk.set(_held_pk(conversation.tenant, conversation.queue)),
            ConversationItem.gsi1sk.set(_waiting_sk(conversation)),
        ]
        connections = set(agent_connections)
        if connections:
            actions.append(ConversationItem.connections.add(connections))
        try:
            ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE).update(
                actions=actions,
                condition=(ConversationItem.status == ConversationStatus.OFFERED.value)
                & (ConversationItem.offer_id == offer_id) & (ConversationItem.offer_agent_id == agent.id),
            )
        except UpdateError as exc:
            if _failed_condition(exc):
                raise AssignmentLost("offer_gone") from exc
            raise

    def withdraw(self, conversation: Conversation, agent: Agent, offer_id: str, *, set_away: bool,
                 now: datetime) -> None:
        config = self.routing(conversation.tenant)
        group = config.groups.get(conversation.queue) or Group(conversation.queue)
        shard = shard_of(conversation.id, group.shards)
        back = replace(conversation, queue_shard=shard)

        def attempt(tx: _Tx, current: Agent) -> None:
            tx.named_delete("none", LinkItem(_principal_pk(conversation.tenant, PrincipalKind.AGENT, agent.id),
                                             f"{CONV}{conversation.id}"))
            # Away only from Available: an agent who went Offline meanwhile stays Offline.
            away = AgentStatus.AWAY if set_away and current.status is AgentStatus.AVAILABLE else current.status
            _write_agent(tx, current, replace(_loaded(current, _channel(conversation), -1), status=away), config)
            tx.named_update(
                "offer_gone",
                ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
                actions=[
                    ConversationItem.status.set(ConversationStatus.WAITING.value),
                    ConversationItem.offer_id.remove(),
                    ConversationItem.offer_agent_id.remove(),
                    ConversationItem.offer_expires_at.remove(),
                    ConversationItem.queue_shard.set(shard),
                    ConversationItem.gsi1pk.set(_waiting_pk(conversation.tenant, conversation.queue)),
                    ConversationItem.gsi1sk.set(_waiting_sk(conversation)),
                ],
                condition=(ConversationItem.status == ConversationStatus.OFFERED.value)
                & (ConversationItem.offer_id == offer_id),
            )
            # Back at its original place, whatever the threshold: the visitor was engaged already (CHAT-7).
            _enqueue(tx, back, shard, room=None)

        self._with_fresh_agent(agent, attempt)

    def close(self, conversation: Conversation, agent: Agent, wrap_up: WrapUp) -> None:
        tenant = conversation.tenant
        visitor_pk = _principal_pk(tenant, PrincipalKind.VISITOR, conversation.visitor_id)
        config = self.routing(tenant)

        def attempt(tx: _Tx, current: Agent) -> None:
            tx.named_delete("none", LinkItem(_principal_pk(tenant, PrincipalKind.AGENT, agent.id),
                                             f"{CONV}{conversation.id}"))
            tx.named_delete("none", LinkItem(visitor_pk, OPEN))
            _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            tx.named_update(
                "not_yours",
                ConversationItem(_conv_pk(tenant, conversation.id), STATE),
                actions=[
                    ConversationItem.status.set(ConversationStatus.CLOSED.value),
                    ConversationItem.closed_at.set(wrap_up.closed_at),
                    ConversationItem.disposition.set(wrap_up.disposition),
                    ConversationItem.wrap_notes.set(wrap_up.notes),
                    ConversationItem.saved_as.set(wrap_up.saved_as),
                    ConversationItem.gsi1pk.remove(),
                    ConversationItem.gsi1sk.remove(),
                ],
                condition=(ConversationItem.status == ConversationStatus.ASSIGNED.value)
                & (ConversationItem.agent_id == agent.id),
            )

        self._with_fresh_agent(agent, attempt)

    def snooze(self, conversation: Conversation, agent: Agent, snooze: Snooze) -> None:
        """The assigned agent takes the conversation off their desk (ASYNC-10): their slot frees; if kept, it stays
        theirs (an SNZ# link in their partition), else it belongs to its group again."""
        tenant = conversation.tenant
        config = self.routing(tenant)
        agent_pk = _principal_pk(tenant, PrincipalKind.AGENT, agent.id)

        def attempt(tx: _Tx, current: Agent) -> None:
            tx.named_delete("none", LinkItem(agent_pk, f"{CONV}{conversation.id}"))
            if snooze.kept:
                tx.named_save("none", LinkItem(agent_pk, f"{SNOOZED_LINK}{conversation.id}",
                                               conversation_id=conversation.id, created_at=snooze.until))
            _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            actions: list[Any] = [ConversationItem.status.set(ConversationStatus.SNOOZED.value),
                                  ConversationItem.snooze_id.set(snooze.id),
                                  ConversationItem.snooze_until.set(snooze.until),
                                  ConversationItem.snooze_kept.set(snooze.kept)]
            if not snooze.kept:
                actions += [ConversationItem.agent_id.remove(), ConversationItem.agent_name.remove()]
            tx.named_update("not_yours", ConversationItem(_conv_pk(tenant, conversation.id), STATE), actions=actions,
                            condition=(ConversationItem.status == ConversationStatus.ASSIGNED.value)
                            & (ConversationItem.agent_id == agent.id))

        self._with_fresh_agent(agent, attempt)

    def reserve(self, conversation: Conversation, reservation: Reservation, to: Agent,
                holder: Agent | None = None) -> None:
        """The conversation waits for agent `to` alone until the reservation ends (ASYNC-13), from where it was
        read: the desk of `holder` (a transfer: their slot frees), a snooze (back to the agent who kept it, or
        transferred by a supervisor) or another reservation. AssignmentLost if it moved meanwhile."""
        tenant = conversation.tenant
        config = self.routing(tenant)
        to_pk = _principal_pk(tenant, PrincipalKind.AGENT, to.id)
        status = conversation.status
        previous = conversation.agent_id
        previous_pk = _principal_pk(tenant, PrincipalKind.AGENT, previous or "")
        same_reservation = status is ConversationStatus.RESERVED and previous == to.id
        if status is ConversationStatus.ASSIGNED:
            if holder is None or holder.id != previous:
                raise AssignmentLost("not_yours")
            condition = ConversationItem.agent_id == holder.id
        elif status is ConversationStatus.SNOOZED and conversation.snooze is not None:
            condition = ConversationItem.snooze_id == conversation.snooze.id
        elif status is ConversationStatus.RESERVED and conversation.reservation is not None:
            condition = ConversationItem.reservation_id == conversation.reservation.id
        else:
            raise AssignmentLost("not_held")
        condition &= ConversationItem.status == status.value

        def build(tx: _Tx, current: Agent | None) -> None:
            if status is ConversationStatus.ASSIGNED and current is not None:
                tx.named_delete("none", LinkItem(previous_pk, f"{CONV}{conversation.id}"))
                _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            elif status is ConversationStatus.SNOOZED and previous:
                tx.named_delete("none", LinkItem(previous_pk, f"{SNOOZED_LINK}{conversation.id}"))
            elif status is ConversationStatus.RESERVED and not same_reservation:
                tx.named_delete("none", LinkItem(previous_pk, _reserved_sk(conversation.id, conversation.reservation)))
                tx.named_update("none", AgentItem(previous_pk, PROFILE), actions=_reserved_count(-1),
                                condition=AgentItem.pk.exists())
            if not same_reservation:
                tx.named_save("none", LinkItem(to_pk, _reserved_sk(conversation.id, reservation),
                                               conversation_id=conversation.id, created_at=reservation.until))
                tx.named_update("agent_gone", AgentItem(to_pk, PROFILE), actions=_reserved_count(+1),
                                condition=AgentItem.pk.exists())
            actions: list[Any] = [ConversationItem.status.set(ConversationStatus.RESERVED.value),
                                  ConversationItem.agent_id.set(to.id), ConversationItem.agent_name.set(to.name),
                                  ConversationItem.reservation_id.set(reservation.id),
                                  ConversationItem.reservation_until.set(reservation.until),
                                  ConversationItem.snooze_id.remove(), ConversationItem.snooze_until.remove(),
                                  ConversationItem.snooze_kept.remove(),
                                  ConversationItem.transfer_from.set(reservation.transfer_from)
                                  if reservation.transfer_from else ConversationItem.transfer_from.remove()]
            tx.named_update("moved", ConversationItem(_conv_pk(tenant, conversation.id), STATE), actions=actions,
                            condition=condition)

        if status is ConversationStatus.ASSIGNED and holder is not None:
            self._with_fresh_agent(holder, build)
        else:
            self._retrying(lambda tx: build(tx, None))

    def requeue(self, conversation: Conversation, group: Group) -> Conversation:
        """Put a held conversation in `group`'s queue, at its original place whatever the threshold (the visitor
        was engaged already): from a desk (transfer to a queue, a supervisor's release: the slot frees), from a
        reservation (expired or released) or from a snooze. AssignmentLost if it changed since it was read."""
        tenant = conversation.tenant
        config = self.routing(tenant)
        shard = shard_of(conversation.id, group.shards)
        back = replace(conversation, queue=group.id, queue_shard=shard)
        status = conversation.status
        holder_pk = _principal_pk(tenant, PrincipalKind.AGENT, conversation.agent_id or "")
        condition = ConversationItem.status == status.value
        if conversation.agent_id:
            condition &= ConversationItem.agent_id == conversation.agent_id
        else:
            condition &= ConversationItem.agent_id.does_not_exist()
        if status is ConversationStatus.RESERVED and conversation.reservation is not None:
            condition &= ConversationItem.reservation_id == conversation.reservation.id
        elif status is ConversationStatus.SNOOZED and conversation.snooze is not None:
            condition &= ConversationItem.snooze_id == conversation.snooze.id
        elif status is not ConversationStatus.ASSIGNED:
            raise AssignmentLost("not_held")

        def build(tx: _Tx, current: Agent | None) -> None:
            if status is ConversationStatus.ASSIGNED and current is not None:
                tx.named_delete("none", LinkItem(holder_pk, f"{CONV}{conversation.id}"))
                _write_agent(tx, current, _loaded(current, _channel(conversation), -1), config)
            elif status is ConversationStatus.RESERVED:
                tx.named_delete("none", LinkItem(holder_pk, _reserved_sk(conversation.id, conversation.reservation)))
                tx.named_update("none", AgentItem(holder_pk, PROFILE), actions=_reserved_count(-1),
                                condition=AgentItem.pk.exists())
            elif conversation.agent_id:  # snoozed and kept
                tx.named_delete("none", LinkItem(holder_pk, f"{SNOOZED_LINK}{conversation.id}"))
            tx.named_update("moved", ConversationItem(_conv_pk(tenant, conversation.id), STATE), actions=[
                ConversationItem.status.set(ConversationStatus.WAITING.value),
                ConversationItem.queue.set(group.id),
                ConversationItem.agent_id.remove(), ConversationItem.agent_name.remove(),
                ConversationItem.snooze_id.remove(), ConversationItem.snooze_until.remove(),
                ConversationItem.snooze_kept.remove(), ConversationItem.reservation_id.remove(),
                ConversationItem.reservation_until.remove(), ConversationItem.transfer_from.remove(),
                ConversationItem.queue_shard.set(shard),
                ConversationItem.gsi1pk.set(_waiting_pk(tenant, group.id)),
                ConversationItem.gsi1sk.set(_waiting_sk(conversation)),
            ], condition=condition)
            _enqueue(tx, back, shard, room=None)

        if status is ConversationStatus.ASSIGNED and conversation.agent_id:
            holder = DynamoAgents(self._tenants).get(tenant, conversation.agent_id)
            if holder is None:
                raise AssignmentLost("agent_gone")
            self._with_fresh_agent(holder, build)
        else:
            self._retrying(lambda tx: build(tx, None))
        return replace(back, status=ConversationStatus.WAITING, agent_id=None, agent_name=None, snooze=None,
                       reservation=None)

    def _retrying(self, build: Callable[[_Tx], None]) -> None:
        """Commit a transaction that writes no agent revision, again when it only collided with another one."""
        for _ in range(self._AGENT_RETRIES):
            tx = _Tx()
            build(tx)
            try:
                tx.commit()
                return
            except TransactWriteError as exc:
                reason = tx.failed(exc)
                if reason != "transaction_conflict":
                    raise AssignmentLost(reason) from exc
        raise AssignmentLost("transaction_conflict")

    def _with_fresh_agent(self, agent: Agent, attempt: Callable[[_Tx, Agent], None]) -> None:
        """Run a transaction that lowers an agent's load, re-reading the agent when a concurrent change won."""
        current = agent
        for retry in range(self._AGENT_RETRIES):
            tx = _Tx()
            attempt(tx, current)
            try:
                tx.commit()
                return
            except TransactWriteError as exc:
                reason = tx.failed(exc)
                if reason not in ("agent_changed", "transaction_conflict"):
                    raise AssignmentLost(reason) from exc
            if retry:
                _step_aside(retry)
            fresh = DynamoAgents(self._tenants).get(agent.tenant, agent.id)
            if fresh is None:
                raise AssignmentLost("agent_gone")
            current = fresh
        raise AssignmentLost("agent_busy")


class DynamoRoutingIndex(_RoutingConfigs):
    """The routing engine's reads: a few sorted heads and counters per decision, whatever the number of agents."""

    def counts(self, tenant: str, groups: Sequence[Group]) -> dict[str, GroupCount]:
        """How many conversations wait in each group, and which queues (and shards) hold some: one BatchGetItem
        per 100 shards."""
        keys = [(group.id, shard) for group in groups for shard in range(group.shards)]
        found: dict[tuple[str, int], dict[str, Any]] = {}
        for start in range(0, len(keys), 100):
            chunk = keys[start:start + 100]
            request: dict[str, Any] = {_Meta.table_name: {"ConsistentRead": True, "Keys": [
                {"pk": {"S": _counter_key(tenant, g, s)[0]}, "sk": {"S": COUNT}} for g, s in chunk]}}
            for _ in range(5):
                answer = connection().dispatch("BatchGetItem", {"RequestItems": request})
                for raw in answer.get("Responses", {}).get(_Meta.table_name, []):
                    group_id, shard = raw["pk"]["S"].split("#GROUP#", 1)[1].rsplit("#", 1)
                    found[(group_id, int(shard))] = raw
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
        counts: dict[str, GroupCount] = {}
        for group in groups:
            waiting = 0
            lists: dict[str, list[int]] = {}
            for shard in range(group.shards):
                raw = found.get((group.id, shard), {})
                waiting += int(raw.get("n", {}).get("N", "0"))
                for name, value in raw.items():
                    if name.startswith(QUEUE_COUNT) and int(value["N"]) > 0:
                        lists.setdefault(name[len(QUEUE_COUNT):], []).append(shard)
            counts[group.id] = GroupCount(waiting=waiting, queues={k: tuple(v) for k, v in lists.items()})
        return counts

    def ready(self, tenant: str, group: Group, channel: Channel, need: SkillNeed | None, limit: int) -> list[str]:
        """The best agents of a group who can take this channel and skill level now, best first (may lag: each
        candidate is re-read and checked before an offer)."""
        heads: list[tuple[str, str]] = []
        for list_key, prefix in ready_lists(group, channel, need):
            condition = ReadyItem.sk.startswith(prefix) if prefix else None
            for item in ReadyItem.query(_ready_pk(tenant, list_key), condition, limit=limit, consistent_read=True):
                heads.append((candidate_order(item.sk, need is not None), item.agent_id))
        chosen: list[str] = []
        for _, agent_id in sorted(heads):
            if agent_id not in chosen:
                chosen.append(agent_id)
        return chosen[:limit]

    def heads(self, tenant: str, group: str, queue: str, shards: Sequence[int]) -> list[Waiting]:
        """The first conversation of each shard of one of a group's queues."""
        medium, need = parse_queue_list(queue)
        found: list[Waiting] = []
        for shard in shards:
            for item in QueueItem.query(_queue_pk(tenant, group, queue, shard), limit=1, consistent_read=True):
                priority, arrived, _ = item.sk.split("#", 2)
                found.append(Waiting(conversation_id=item.conversation_id, group=group, medium=medium,
                                     priority=999 - int(priority),
                                     arrived_at=datetime.strptime(arrived, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC),
                                     skill=need))
        return found

    def enqueue(self, conversation: Conversation, group: Group) -> Conversation | None:
        """Put a placed conversation in its group's queue while the group has room (ROUTE-4): one conditional
        transaction per shard tried; None when every shard is full."""
        start = shard_of(conversation.id, group.shards)
        placed = replace(conversation, queue=group.id)
        for turn in range(group.shards):
            shard = (start + turn) % group.shards
            room = shard_capacity(group, shard)
            if room <= 0:
                continue
            tx = _Tx()
            tx.named_update(
                "moved",
                ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
                actions=[ConversationItem.queue.set(group.id), ConversationItem.queue_shard.set(shard),
                         ConversationItem.gsi1pk.set(_waiting_pk(conversation.tenant, group.id)),
                         ConversationItem.gsi1sk.set(_waiting_sk(conversation))],
                condition=(ConversationItem.status == ConversationStatus.WAITING.value)
                & ConversationItem.queue_shard.does_not_exist(),
            )
            _enqueue(tx, placed, shard, room)
            try:
                tx.commit()
            except TransactWriteError as exc:
                reason = tx.failed(exc)
                if reason == "full":
                    continue
                raise Conflict("the conversation is no longer waiting", field="conversation_id") from exc
            return replace(placed, queue_shard=shard)
        return None


def _reason(exc: TransactWriteError, names: Sequence[str]) -> str:
    """Which item of the transaction failed its condition, in the caller's words. PynamoDB sends a transaction's
    condition checks, then deletes, then puts, then updates, and the reasons follow that order."""
    for index, reason in enumerate(exc.cancellation_reasons):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return names[index] if index < len(names) else "conflict"
    return "transaction_conflict"


class DynamoConnections:
    def add(self, principal: Principal, connection_id: str, now: datetime) -> None:
        LinkItem(
            _principal_pk(principal.tenant, principal.kind, principal.id),
            f"{CONN}{connection_id}",
            created_at=now,
            expires_at=now + CONNECTION_TTL,
        ).save()

    def remove(self, principal: Principal, connection_id: str) -> None:
        LinkItem(_principal_pk(principal.tenant, principal.kind, principal.id), f"{CONN}{connection_id}").delete()

    def of(self, principal: Principal) -> list[str]:
        links = LinkItem.query(
            _principal_pk(principal.tenant, principal.kind, principal.id),
            LinkItem.sk.startswith(CONN),
            consistent_read=True,
        )
        return [link.sk[len(CONN):] for link in links]


def _contact_pk(tenant: str, contact_id: str) -> str:
    return f"T#{tenant}#CONTACT#{contact_id}"


def _email_pointer_pk(tenant: str, email: str) -> str:
    return f"T#{tenant}#CONTACT-EMAIL#{normalize_email(email)}"


def _external_pointer_pk(tenant: str, external_id: str) -> str:
    return f"T#{tenant}#CONTACT-EXT#{external_id}"


class DynamoContacts:
    """Customers' records. Email and external id are unique per tenant through pointer items, each written with
    the contact in one transaction on the condition that nobody holds it yet."""

    def find(self, tenant: str, *, email: str | None = None, external_id: str | None = None) -> Contact | None:
        if external_id:
            pk = _external_pointer_pk(tenant, external_id)
        elif email:
            pk = _email_pointer_pk(tenant, email)
        else:
            return None
        try:
            pointer = ContactPointerItem.get(pk, POINTER, consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(tenant, pointer.contact_id)

    def get(self, tenant: str, contact_id: str) -> Contact | None:
        try:
            item = ContactItem.get(_contact_pk(tenant, contact_id), PROFILE, consistent_read=True)
        except DoesNotExist:
            return None
        return item.to_domain(tenant)

    def create(self, contact: Contact) -> None:
        tenant = contact.tenant
        reasons = ["id"]
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(ContactItem(_contact_pk(tenant, contact.id), PROFILE, name=contact.name,
                                    email=contact.email or None, phone=contact.phone or None,
                                    external_id=contact.external_id or None, created_at=contact.created_at),
                        condition=ContactItem.pk.does_not_exist())
                if contact.email:
                    reasons.append("email")
                    tx.save(ContactPointerItem(_email_pointer_pk(tenant, contact.email), POINTER,
                                               contact_id=contact.id),
                            condition=ContactPointerItem.pk.does_not_exist())
                if contact.external_id:
                    reasons.append("external_id")
                    tx.save(ContactPointerItem(_external_pointer_pk(tenant, contact.external_id), POINTER,
                                               contact_id=contact.id),
                            condition=ContactPointerItem.pk.does_not_exist())
        except TransactWriteError as exc:
            field = _reason(exc, reasons)
            if field == "transaction_conflict":
                raise Conflict("another record was being saved at the same time; retry", field="email") from exc
            raise Conflict(f"another customer record already has this {field.replace('_', ' ')}",
                           field=field) from exc

    def add_case(self, case: Case) -> None:
        CaseItem(_contact_pk(case.tenant, case.contact_id), f"{CASE}{case.conversation_id}",
                 disposition=case.disposition or None, notes=case.notes or None, saved_as=case.saved_as,
                 closed_at=case.closed_at).save()

    def cases(self, tenant: str, contact_id: str) -> list[Case]:
        items = CaseItem.query(_contact_pk(tenant, contact_id), CaseItem.sk.startswith(CASE), consistent_read=True)
        return sorted((item.to_domain(tenant) for item in items), key=lambda c: c.closed_at, reverse=True)


class DynamoSales:
    """Reported sales, one item per order id (a repeat of the report finds the first one)."""

    def get(self, tenant: str, order_id: str) -> Sale | None:
        try:
            item = SaleItem.get(_sale_pk(tenant, order_id), SALE, consistent_read=True)
        except DoesNotExist:
            return None
        credit = Credit(item.agent_id, item.agent_name or "", item.conversation_id or "", item.credited_message_at) \
            if item.agent_id and item.credited_message_at else None
        return Sale(tenant=tenant, order_id=order_id, visitor_id=item.visitor_id, at=item.at, amount=item.amount or "",
                    currency=item.currency or "", credit=credit)

    def record(self, sale: Sale) -> Sale:
        credit = sale.credit
        item = SaleItem(_sale_pk(sale.tenant, sale.order_id), SALE, visitor_id=sale.visitor_id,
                        amount=sale.amount or None, currency=sale.currency or None, at=sale.at,
                        agent_id=credit.agent_id if credit else None,
                        agent_name=(credit.agent_name or None) if credit else None,
                        conversation_id=credit.conversation_id if credit else None,
                        credited_message_at=credit.last_message_at if credit else None)
        try:
            item.save(condition=SaleItem.pk.does_not_exist())
        except PutError as exc:
            if not _failed_condition(exc):
                raise
            return self.get(sale.tenant, sale.order_id) or sale
        return sale


def _sale_pk(tenant: str, order_id: str) -> str:
    return f"T#{tenant}#SALE#{order_id}"
