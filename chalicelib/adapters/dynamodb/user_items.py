"""The user directory's items (issue 16): one per user, and the count of the tenant's active admins, in the
tenant's `USERS` partition (one Query lists them). The item layout: docs/data-model.md."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.adapters.dynamodb.table import _Item

USER = "USER#"
ADMINS = "ADMINS"


def _users_pk(tenant: str) -> str:
    return f"T#{tenant}#USERS"


class UserItem(_Item):
    username = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    roles = UnicodeSetAttribute(null=True)
    active = BooleanAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute()


class AdminCountItem(_Item):
    """How many of the tenant's users are active admins: a change that would take it below one is refused."""

    admins = NumberAttribute()
