"""The table's stream records (NEW_AND_OLD_IMAGES) read as domain changes: the boundary of the report consumer.

A record's images are the items in DynamoDB's typed JSON; the item models read them (`from_raw_data`), so a
conversation in a record is the same `Conversation` the repositories return. Only what the consumer reads becomes a
change; every other item (messages, agents, facts and aggregates the consumer itself writes...) is None.
The deployed event source mapping filters on the same item types (infra/template.yaml, FilterCriteria), so that
Lambda is not even invoked for the others.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.items import ConversationItem
from chalicelib.adapters.dynamodb.keys import STATE
from chalicelib.domain.model import Conversation
from chalicelib.domain.report_facts import ConversationChange

#: The item types (the `t` attribute) the consumer reads; infra/template.yaml's FilterCriteria lists the same.
CONSUMED_TYPES: tuple[str, ...] = ("c",)


def change_of(record: dict[str, Any]) -> ConversationChange | None:
    """The change one stream record carries, or None when the consumer ignores its item. Raises on an image it
    cannot read (the record is then reported as failed, and retried)."""
    stream = record.get("dynamodb") or {}
    keys = stream.get("Keys") or {}
    pk, sk = _text(keys.get("pk")), _text(keys.get("sk"))
    if sk != STATE or "#CONV#" not in pk or not pk.startswith("T#"):
        return None
    new_image, old_image = stream.get("NewImage"), stream.get("OldImage")
    if not any(_text((image or {}).get("t")) in CONSUMED_TYPES for image in (new_image, old_image)):
        return None
    tenant = pk[2:].split("#", 1)[0]
    return ConversationChange(old=_conversation(old_image, tenant), new=_conversation(new_image, tenant))


def _conversation(image: dict[str, Any] | None, tenant: str) -> Conversation | None:
    if not image or _text(image.get("t")) != "c":
        return None
    return ConversationItem.from_raw_data(image).to_domain(tenant)


def _text(value: Any) -> str:
    return str(value.get("S", "")) if isinstance(value, dict) else ""
