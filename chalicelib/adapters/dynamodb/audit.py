"""The audit log: one append-only item per entry in the tenant's `AUDIT` partition, newest first by its sort key.

An entry is written in the same transaction as the change it records (`audit_put`), on the condition that it is
new; nothing updates or deletes one. The item layout: docs/data-model.md.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.adapters.dynamodb.keys import _stamp
from chalicelib.adapters.dynamodb.table import Utf8JSONAttribute, _Item
from chalicelib.adapters.dynamodb.transactions import _Tx
from chalicelib.domain.audit import AuditEntry, AuditQuery
from chalicelib.domain.errors import Conflict


class AuditItem(_Item):
    at = UTCDateTimeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    target = UnicodeAttribute(null=True)
    before = Utf8JSONAttribute(null=True)
    after = Utf8JSONAttribute(null=True)

    def to_domain(self, tenant: str) -> AuditEntry:
        return AuditEntry(tenant=tenant, id=self.sk.rsplit("#", 1)[-1], at=self.at, actor_id=self.actor_id,
                          actor_name=self.actor_name or "", ip=self.ip or "", action=self.action,
                          target=self.target or "", before=self.before or {}, after=self.after or {})


def _audit_pk(tenant: str) -> str:
    """The tenant's audit log: one partition, sorted by time then entry id (admin changes are rare)."""
    return f"T#{tenant}#AUDIT"


def audit_item(entry: AuditEntry) -> AuditItem:
    return AuditItem(_audit_pk(entry.tenant), f"{_stamp(entry.at)}#{entry.id}", at=entry.at, actor_id=entry.actor_id,
                     actor_name=entry.actor_name or None, ip=entry.ip or None, action=entry.action,
                     target=entry.target or None, before=entry.before or None, after=entry.after or None)


def audit_put(tx: _Tx, entry: AuditEntry | None) -> None:
    """Add the entry to a transaction: a Put on the condition that no item has its key (append-only)."""
    if entry is not None:
        tx.named_save("audit", audit_item(entry), condition=AuditItem.pk.does_not_exist())


class DynamoAuditLog:
    _SCAN_PAGES = 20  # filtered pages read at most per request (a filter that matches little returns a short page)

    def record(self, entry: AuditEntry) -> None:
        tx = _Tx()
        audit_put(tx, entry)
        try:
            tx.commit()
        except TransactWriteError as exc:
            raise Conflict("this audit entry exists already", field="id") from exc

    def entries(self, tenant: str, query: AuditQuery) -> tuple[list[AuditEntry], str]:
        upper = _stamp(query.end) + "~" if query.end else "~"
        if query.after_key:
            upper = min(upper, query.after_key)
        lower = _stamp(query.start) if query.start else ""
        condition: Any = AuditItem.sk.between(lower, upper) if lower else AuditItem.sk < upper
        filters: Any = None
        if query.actor:
            filters = AuditItem.actor_id == query.actor
        if query.action:
            by_action = AuditItem.action == query.action
            filters = by_action if filters is None else filters & by_action
        found: list[AuditEntry] = []
        last_key: dict[str, Any] | None = None
        for _ in range(self._SCAN_PAGES):
            results = AuditItem.query(_audit_pk(tenant), condition, filter_condition=filters, scan_index_forward=False,
                                      limit=query.limit - len(found), last_evaluated_key=last_key,
                                      consistent_read=True)
            for item in results:
                if item.sk == upper:  # between() includes its upper end: the cursor's own entry was on the last page
                    continue
                found.append(item.to_domain(tenant))
            last_key = results.last_evaluated_key
            if not last_key or len(found) >= query.limit:
                break
        if last_key is None or not found:
            return found, ""
        return found, _stamp(found[-1].at) + "#" + found[-1].id
