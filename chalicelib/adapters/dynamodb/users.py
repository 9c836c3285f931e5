"""The user directory: one item per user and the tenant's active admins' count, each change with its audit entry
in one transaction, so that the last active admin can never be demoted or deactivated, even by two admins at once.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.adapters.dynamodb.audit import audit_put
from chalicelib.adapters.dynamodb.transactions import _Tx
from chalicelib.adapters.dynamodb.user_items import ADMINS, USER, AdminCountItem, UserItem, _users_pk
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict
from chalicelib.ports import User


def _user(tenant: str, item: UserItem) -> User:
    return User(tenant=tenant, id=item.sk[len(USER):], username=item.username, email=item.email, name=item.name,
                roles=tuple(sorted(item.roles or ())), active=bool(item.active), status=item.status,
                created_at=item.created_at)


def _item(user: User, version: int) -> UserItem:
    return UserItem(_users_pk(user.tenant), USER + user.id, username=user.username, email=user.email, name=user.name,
                    roles=set(user.roles) or None, active=user.active, status=user.status,
                    created_at=user.created_at, version=version)


class DynamoUsers:
    def of_tenant(self, tenant: str) -> list[User]:
        items = UserItem.query(_users_pk(tenant), UserItem.sk.startswith(USER), consistent_read=True)
        return sorted((_user(tenant, item) for item in items), key=lambda u: (u.name.casefold(), u.id))

    def get(self, tenant: str, user_id: str) -> User | None:
        item = self._item(tenant, user_id)
        return _user(tenant, item) if item is not None else None

    def _item(self, tenant: str, user_id: str) -> UserItem | None:
        try:
            return UserItem.get(_users_pk(tenant), USER + user_id, consistent_read=True)
        except DoesNotExist:
            return None

    def create(self, user: User, entry: AuditEntry | None) -> None:
        tx = _Tx()
        tx.named_save("user_exists", _item(user, 0), condition=UserItem.pk.does_not_exist())
        if user.is_active_admin:
            _count(tx, user.tenant, +1)
        audit_put(tx, entry)
        try:
            tx.commit()
        except TransactWriteError as exc:
            raise Conflict("this user is in the directory already", field="email") from exc

    def change(self, before: User, after: User, entry: AuditEntry | None) -> None:
        current = self._item(before.tenant, before.id)
        if current is None or _user(before.tenant, current) != before:
            raise Conflict("this user changed meanwhile: reload and try again", field="version")
        tx = _Tx()
        tx.named_save("user_changed", _item(after, int(current.version) + 1),
                      condition=UserItem.version == current.version)
        delta = int(after.is_active_admin) - int(before.is_active_admin)
        if delta:
            _count(tx, before.tenant, delta)
        audit_put(tx, entry)
        try:
            tx.commit()
        except TransactWriteError as exc:
            if tx.failed(exc) == "admins":
                raise Conflict("the tenant's last active admin keeps the admin role and stays active",
                               field="roles") from exc
            raise Conflict("this user changed meanwhile: reload and try again", field="version") from exc


def _count(tx: _Tx, tenant: str, delta: int) -> None:
    """Count active admins up or down; down only while at least two are left (so one always remains)."""
    item = AdminCountItem(_users_pk(tenant), ADMINS)
    actions: list[Any] = [AdminCountItem.admins.add(delta)]
    condition = AdminCountItem.admins >= 2 if delta < 0 else None
    tx.named_update("admins", item, actions=actions, condition=condition)
