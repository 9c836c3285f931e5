"""WebSocket connections kept in a principal's partition.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.adapters.dynamodb.items import LinkItem
from chalicelib.adapters.dynamodb.keys import CONN, CONNECTION_TTL, _principal_pk
from chalicelib.domain.model import Principal


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
