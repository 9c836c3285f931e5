"""Customers' records, their email and external-id pointers, and their cases.

The item layout: docs/data-model.md.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.items import CaseItem, ContactItem, ContactPointerItem
from chalicelib.adapters.dynamodb.keys import (
    CASE,
    POINTER,
    PROFILE,
    _contact_pk,
    _email_pointer_pk,
    _external_pointer_pk,
)
from chalicelib.adapters.dynamodb.table import connection
from chalicelib.adapters.dynamodb.transactions import _reason
from chalicelib.domain.contacts import Case, Contact
from chalicelib.domain.errors import Conflict


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
