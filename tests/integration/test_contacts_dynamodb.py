"""Customers' records on DynamoDB (moto's server): an email or external id is claimed by one record only, even
under concurrent creates, and cases are stored on the record by conversation."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.domain.contacts import Case, Contact
from chalicelib.domain.errors import Conflict

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_concurrent_creates_of_one_email_leave_exactly_one_record(tenant: str) -> None:
    repo = bootstrap.container().deps.contacts
    start = threading.Barrier(8)

    def create(n: int) -> str:
        start.wait()
        try:
            repo.create(Contact(tenant, f"k{n}", f"Zoé {n}", "Zoe@Example.org" if n % 2 else "zoe@example.org",
                                "", "", NOW))
        except Conflict as lost:
            assert lost.field == "email"
            return "lost"
        return f"k{n}"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(8)))
    winners = [r for r in results if r != "lost"]
    assert len(winners) == 1, results
    found = repo.find(tenant, email="ZOE@example.org")
    assert found is not None and found.id == winners[0]
    assert [n for n in range(8) if repo.get(tenant, f"k{n}") is not None] == [int(winners[0][1:])]


def test_an_external_id_is_claimed_once_and_a_loser_stores_nothing(tenant: str) -> None:
    repo = bootstrap.container().deps.contacts
    repo.create(Contact(tenant, "k1", "Zoé", "", "+33 6", "cust-42", NOW))
    with pytest.raises(Conflict) as taken:
        repo.create(Contact(tenant, "k2", "Zed", "zed@example.org", "", "cust-42", NOW))
    assert taken.value.field == "external_id"
    assert repo.get(tenant, "k2") is None and repo.find(tenant, email="zed@example.org") is None
    found = repo.find(tenant, external_id="cust-42")
    assert found == Contact(tenant, "k1", "Zoé", "", "+33 6", "cust-42", NOW)
    assert repo.find(tenant, external_id="cust-43") is None and repo.find(tenant) is None


def test_cases_are_stored_per_conversation_newest_first_and_per_tenant(tenant: str, stack: object) -> None:
    from chalicelib.services import tenants

    repo = bootstrap.container().deps.contacts
    repo.create(Contact(tenant, "k1", "Zoé", "zoe@example.org", "", "", NOW))
    first = Case(tenant, "k1", "c1", "Resolved", "", "case", NOW)
    repo.add_case(first)
    later = Case(tenant, "k1", "c2", "", "call back", "draft", NOW + timedelta(hours=1))
    repo.add_case(later)
    repo.add_case(first)  # saved again (a retried close): still one case for c1
    assert repo.cases(tenant, "k1") == [later, first]
    assert repo.cases(tenant, "k2") == []

    other = f"{tenant}x"
    tenants.create_tenant(bootstrap.container().deps, other, "Other Brand")
    assert repo.get(other, "k1") is None and repo.find(other, email="zoe@example.org") is None
    assert repo.cases(other, "k1") == []
