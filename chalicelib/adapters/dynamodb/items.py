"""The item models (PynamoDB), and `configure`, which points every one of them at one table.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

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
from pynamodb.models import Model

from chalicelib.adapters.dynamodb.audit import AuditItem
from chalicelib.adapters.dynamodb.callback_items import (
    AgendaLineItem,
    CallbackItem,
    CallTimeItem,
    DailyCountItem,
    NumberLockItem,
)
from chalicelib.adapters.dynamodb.keys import CASE, MSG, PACK_TEXT_ABOVE_BYTES
from chalicelib.adapters.dynamodb.table import Gsi1Entry, Utf8JSONAttribute, _Item, _Meta, _shared
from chalicelib.adapters.dynamodb.user_items import AdminCountItem, UserItem
from chalicelib.domain.contacts import Case, Contact
from chalicelib.domain.model import (
    ANSWER_ON_LINE,
    Agent,
    AgentStatus,
    Conversation,
    ConversationStatus,
    EndSurvey,
    Message,
    Notification,
    Offer,
    PageContext,
    PrincipalKind,
    Reservation,
    Sender,
    Snooze,
    VisitorInfo,
    WrapUp,
)


class TenantItem(_Item):
    name = UnicodeAttribute()
    settings = Utf8JSONAttribute(null=True)
    identity_secret = UnicodeAttribute(null=True)
    routing = Utf8JSONAttribute(null=True)
    version = NumberAttribute(null=True)  # every admin write is conditional on the revision it read (issue 16)
    #: After `guichet secret rotate`: the identity secret it replaced and the end of its grace (absent before).
    previous_identity_secret = UnicodeAttribute(null=True)
    previous_identity_until = UTCDateTimeAttribute(null=True)


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
    rated_at = UTCDateTimeAttribute(null=True)
    survey_sent_at = UTCDateTimeAttribute(null=True)  # the end screen's survey (EndSurvey), with the close
    nps_asked = BooleanAttribute(null=True)
    nps = NumberAttribute(null=True)
    nps_at = UTCDateTimeAttribute(null=True)
    status_at = UTCDateTimeAttribute(null=True)  # the report consumer's (docs/reports.md)
    enqueued_at = UTCDateTimeAttribute(null=True)
    first_reply_at = UTCDateTimeAttribute(null=True)
    first_reply_by = UnicodeAttribute(null=True)
    declines = NumberAttribute(null=True)
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
            survey=EndSurvey(self.survey_sent_at, bool(self.nps_asked)) if self.survey_sent_at else None,
            rated_at=self.rated_at,
            nps=int(self.nps) if self.nps is not None else None,
            nps_at=self.nps_at,
            status_at=self.status_at,
            assigned_at=self.assigned_at,
            enqueued_at=self.enqueued_at,
            first_reply_at=self.first_reply_at,
            first_reply_by=self.first_reply_by or "",
            declines=int(self.declines or 0),
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
    status_since = UTCDateTimeAttribute(null=True)
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
    #: Call settings (issue 13); absent on agents stored before them, read as their defaults.
    takes_calls = BooleanAttribute(null=True)
    own_line = UnicodeAttribute(null=True)
    ask_line_at_login = BooleanAttribute(null=True)
    auto_answer = BooleanAttribute(null=True)
    auto_answer_seconds = NumberAttribute(null=True)
    #: The number the agent gave at this login (PUT /agents/me/line); removed when they go Offline.
    login_line = UnicodeAttribute(null=True)
    #: "desk" when the agent answers calls in the browser (issue 14); absent: "line".
    answer_calls = UnicodeAttribute(null=True)
    #: The id typed on an ACD's keypad (CB-5); its KeypadItem makes it unique in the tenant.
    keypad_id = UnicodeAttribute(null=True)

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
            status_since=self.status_since,
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
            takes_calls=bool(self.takes_calls),
            own_line=self.own_line or "",
            ask_line_at_login=bool(self.ask_line_at_login),
            auto_answer=self.auto_answer is not False,
            auto_answer_seconds=int(self.auto_answer_seconds if self.auto_answer_seconds is not None else 20),
            login_line=self.login_line or "",
            answer_calls=self.answer_calls or ANSWER_ON_LINE,
            keypad_id=self.keypad_id or "",
        )


class KeypadItem(_Item):
    """An agent's keypad id (``T#<t>#KEYPAD`` / ``<digits>``), written with the agent on a condition that no other
    agent holds it (ACD mode, CB-5)."""

    agent_id = UnicodeAttribute()


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
    """A sale the brand reported (``T#<t>#SALE#<order id>`` / ``SALE``) and the agent it was credited to. Its type
    `t` lets the report consumer's stream filter select it (adapters/dynamodb/stream_records.py)."""

    kind = UnicodeAttribute(attr_name="t", null=True, default="sale")
    visitor_id = UnicodeAttribute()
    amount = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    agent_id = UnicodeAttribute(null=True)
    agent_name = UnicodeAttribute(null=True)
    conversation_id = UnicodeAttribute(null=True)
    credited_message_at = UTCDateTimeAttribute(null=True)


class SmaInvocationItem(_Item):
    """The answer to one SMA invocation (``T#*#SMA#<transaction>`` / ``SEQ#<sequence>``), kept a day (TTL)."""

    response = Utf8JSONAttribute()
    expires_at = TTLAttribute()


MODELS: tuple[type[Model], ...] = (
    _Item, Gsi1Entry, TenantItem, ConversationPart, ConversationItem, MessageItem, AgentItem, LinkItem, ContactItem,
    ContactPointerItem, CaseItem, ReadyItem, QueueItem, CounterItem, RosterItem, VisitorPrefsItem, SaleItem,
    ReplyKeyItem, CallbackItem, CallTimeItem, NumberLockItem, DailyCountItem, AgendaLineItem, SmaInvocationItem,
    AuditItem, UserItem, AdminCountItem,
)


def configure(table_name: str, region: str, host: str | None) -> None:
    """Point every model at one table (the stage's, or a test's). The shared botocore client (~100 ms to build) is
    kept while the Region and the endpoint stay the same: the local stack's reset configures the same ones again."""
    same_endpoint = (_Meta.region, _Meta.host) == (region, host)
    _Meta.table_name = table_name
    _Meta.region = region
    _Meta.host = host
    for model in MODELS:
        model._connection = None
    if not same_endpoint:
        _shared.clear()

