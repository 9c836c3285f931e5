"""Sales the brand reported and the agent each was credited to.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.adapters.dynamodb.items import SaleItem
from chalicelib.adapters.dynamodb.keys import SALE, _sale_pk
from chalicelib.adapters.dynamodb.transactions import _failed_condition
from chalicelib.domain.sales import Credit, Sale


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
