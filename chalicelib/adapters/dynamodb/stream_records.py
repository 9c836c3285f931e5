"""The table's stream records (NEW_AND_OLD_IMAGES) read as domain changes: the boundary of the report consumer.

A record's images are the items in DynamoDB's typed JSON; the item models read them (`from_raw_data`), so a
conversation in a record is the same `Conversation` the repositories return. Only what the consumer reads becomes a
change (a conversation's state item: a ConversationChange; a callback's: a CallbackChange); every other item
(messages, agents, facts and aggregates the consumer itself writes...) is None.
The deployed event source mapping filters on the same item types (infra/template.yaml, FilterCriteria), so that
Lambda is not even invoked for the others.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.callback_items import CALLBACK_TYPE, CallbackItem, callback_of
from chalicelib.adapters.dynamodb.items import ConversationItem, SaleItem
from chalicelib.adapters.dynamodb.keys import SALE, STATE
from chalicelib.domain.callbacks.model import Callback
from chalicelib.domain.model import Conversation
from chalicelib.domain.report_callback_facts import CallbackChange
from chalicelib.domain.report_facts import ConversationChange, SaleRecorded

CONVERSATION_TYPE = "c"
SALE_TYPE = "sale"
#: The item types (the `t` attribute) the consumer reads: a conversation's state, a callback's and a sale;
#: infra/template.yaml's FilterCriteria lists the same.
CONSUMED_TYPES: tuple[str, ...] = (CONVERSATION_TYPE, CALLBACK_TYPE, SALE_TYPE)
_CALLBACK = "#CALLBACK#"
_SALE = "#SALE#"


def change_of(record: dict[str, Any]) -> ConversationChange | CallbackChange | SaleRecorded | None:
    """The change one stream record carries, or None when the consumer ignores its item. Raises on an image it
    cannot read (the record is then reported as failed, and retried)."""
    stream = record.get("dynamodb") or {}
    keys = stream.get("Keys") or {}
    pk, sk = _text(keys.get("pk")), _text(keys.get("sk"))
    if sk == SALE and pk.startswith("T#") and _SALE in pk:
        return _sale(pk, stream.get("OldImage"), stream.get("NewImage"))
    if sk != STATE or not pk.startswith("T#"):
        return None
    new_image, old_image = stream.get("NewImage"), stream.get("OldImage")
    if _CALLBACK in pk:
        return _callback_change(pk, old_image, new_image)
    if "#CONV#" not in pk:
        return None
    if not any(_text((image or {}).get("t")) == CONVERSATION_TYPE for image in (new_image, old_image)):
        return None
    tenant = pk[2:].split("#", 1)[0]
    return ConversationChange(old=_conversation(old_image, tenant), new=_conversation(new_image, tenant))


def _conversation(image: dict[str, Any] | None, tenant: str) -> Conversation | None:
    if not image or _text(image.get("t")) != CONVERSATION_TYPE:
        return None
    return ConversationItem.from_raw_data(image).to_domain(tenant)


def _callback_change(pk: str, old_image: dict[str, Any] | None,
                     new_image: dict[str, Any] | None) -> CallbackChange | None:
    """A callback's state item (``T#<t>#CALLBACK#<id>`` / ``STATE``). Its key says what it is: an image written
    before the item had its type `t` (its old image, the first time an older item changes) reads all the same."""
    tenant, _, callback_id = pk[2:].partition(_CALLBACK)
    if not tenant or not callback_id or (new_image is None and old_image is None):
        return None
    return CallbackChange(tenant=tenant, old=_callback(old_image, tenant, callback_id),
                          new=_callback(new_image, tenant, callback_id))


def _callback(image: dict[str, Any] | None, tenant: str, callback_id: str) -> Callback | None:
    if not image:
        return None
    return callback_of(tenant, callback_id, CallbackItem.from_raw_data(image))


def _sale(pk: str, old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> SaleRecorded | None:
    """A sale's item when it is written (a sale is written once, never changed)."""
    tenant, _, order_id = pk[2:].partition(_SALE)
    if old_image is not None or new_image is None or not tenant or not order_id:
        return None
    item = SaleItem.from_raw_data(new_image)
    return SaleRecorded(tenant=tenant, order_id=order_id, at=item.at, agent_id=item.agent_id or "")


def _text(value: Any) -> str:
    return str(value.get("S", "")) if isinstance(value, dict) else ""
