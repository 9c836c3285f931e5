"""Conversations: their state, messages, the visitor's markers and reply keys.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.aws import error_code
from chalicelib.adapters.dynamodb import surveys
from chalicelib.adapters.dynamodb.items import (
    ConversationItem,
    ConversationPart,
    LinkItem,
    MessageItem,
    ReplyKeyItem,
    VisitorPrefsItem,
)
from chalicelib.adapters.dynamodb.keys import (
    BLOCKED,
    CONV,
    MAX_CATCH_UP,
    MSG,
    OPEN,
    PREFS,
    RECENT_WITHOUT_CURSOR,
    REPLY,
    RESERVED_LINK,
    SNOOZED_LINK,
    STATE,
    _conv_pk,
    _held_pk,
    _msg_sk,
    _principal_pk,
    _waiting_pk,
    _waiting_sk,
)
from chalicelib.adapters.dynamodb.routing_index import _dequeue, _in_queue_as_read
from chalicelib.adapters.dynamodb.table import Gsi1Entry, connection
from chalicelib.adapters.dynamodb.transactions import _failed_condition, _Tx
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Conversation, ConversationStatus, Message, Notification, PageContext, PrincipalKind
from chalicelib.domain.routing import Channel, Medium
from chalicelib.ports import ConversationView, SeqTaken


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
            status_at=conversation.created_at,
            enqueued_at=conversation.created_at,
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
                if _holds_open_pointer(conversation):
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
        surveys.rate(tenant, conversation_id, rating, comment, now)

    def answer_nps(self, tenant: str, conversation_id: str, score: int, now: datetime) -> None:
        surveys.answer_nps(tenant, conversation_id, score, now)

    def mark_first_reply(self, tenant: str, conversation_id: str, agent_id: str, at: datetime) -> None:
        surveys.first_reply(tenant, conversation_id, agent_id, at)

    def dissuade(self, conversation: Conversation, now: datetime) -> bool:
        visitor_pk = _principal_pk(conversation.tenant, PrincipalKind.VISITOR, conversation.visitor_id)
        tx = _Tx()
        if _holds_open_pointer(conversation):
            tx.named_delete("gone", LinkItem(visitor_pk, OPEN), condition=LinkItem.conversation_id == conversation.id)
        _dequeue(tx, conversation)
        tx.named_update(
            "gone",
            ConversationItem(_conv_pk(conversation.tenant, conversation.id), STATE),
            actions=[ConversationItem.status.set(ConversationStatus.DISSUADED.value),
                     ConversationItem.closed_at.set(now), ConversationItem.status_at.set(now),
                     ConversationItem.queue_shard.remove(),
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


def _holds_open_pointer(conversation: Conversation) -> bool:
    """A visitor has one open chat, which the widget resumes (the OPEN pointer). A callback's call is a conversation
    of the same visitor that the widget does not show as a chat: it never takes or frees the pointer."""
    return Medium(conversation.medium).channel is not Channel.CALL
