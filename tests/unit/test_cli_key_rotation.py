"""Secret rotation (issue 16, `guichet secret rotate`): the key ring's rule, and every verifier accepting what the
previous key signed during the grace period only, while signing with the new key."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import identity, links, sales, visitor_tokens
from chalicelib.domain.errors import Conflict, InvalidInput, Unauthorized
from chalicelib.domain.key_rotation import (
    KeyRing,
    grace_from_hours,
    ring_from_secret,
    ring_to_secret,
    rotated,
)
from chalicelib.services import operator, visitors
from tests.unit.fakes import FakeKeys, FakeRateLimits, make_deps

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_a_secret_never_rotated_is_a_ring_of_its_one_key() -> None:
    ring = ring_from_secret("plain-random-KEY-123")
    assert ring == KeyRing(current="plain-random-KEY-123")
    assert ring.verifying(NOW) == ("plain-random-KEY-123",)
    assert ring.stable_key == "plain-random-KEY-123"
    assert ring_from_secret("12345") == KeyRing(current="12345")  # JSON, but no ring


def test_rotation_keeps_the_old_key_verifying_until_the_grace_ends_and_the_stable_key_for_ever() -> None:
    ring = rotated(KeyRing(current="old"), "new", NOW, DAY)
    assert ring == KeyRing(current="new", previous="old", previous_until=NOW + DAY, stable="old")
    assert ring.verifying(NOW + DAY - timedelta(seconds=1)) == ("new", "old")
    assert ring.verifying(NOW + DAY) == ("new",)
    again = rotated(ring, "newer", NOW + DAY, DAY)
    assert again == KeyRing(current="newer", previous="new", previous_until=NOW + 2 * DAY, stable="old")
    assert ring_from_secret(ring_to_secret(again)) == again
    assert json.loads(ring_to_secret(again))["version"] == 1


def test_rotating_again_within_the_grace_is_refused_unless_forced() -> None:
    ring = rotated(KeyRing(current="old"), "new", NOW, DAY)
    with pytest.raises(Conflict) as refused:
        rotated(ring, "newer", NOW + timedelta(hours=1), DAY)
    assert refused.value.field == "grace_hours"
    forced = rotated(ring, "newer", NOW + timedelta(hours=1), DAY, force=True)
    assert forced.verifying(NOW + timedelta(hours=1)) == ("newer", "new")  # "old" stops at once
    with pytest.raises(InvalidInput):
        rotated(ring, "new", NOW + 2 * DAY, DAY)


@pytest.mark.parametrize("hours", [-1, 721, 1.5, True, "24"])
def test_a_grace_is_whole_hours_from_0_to_720(hours: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        grace_from_hours(hours)
    assert refused.value.field == "grace_hours"
    assert grace_from_hours(0) == timedelta(0) and grace_from_hours(720) == timedelta(days=30)


def test_visitor_tokens_and_links_signed_with_the_previous_key_verify_with_the_ring_only() -> None:
    token, _ = visitor_tokens.sign(b"old", "acme", "v1", NOW)
    resume = links.resume_token(b"old", links.Resume("acme", "v1", "c1"), NOW)
    assert visitor_tokens.verify((b"new", b"old"), token, NOW).id == "v1"
    assert links.verify_resume((b"new", b"old"), resume, NOW).conversation_id == "c1"
    with pytest.raises(Unauthorized):
        visitor_tokens.verify((b"new",), token, NOW)
    with pytest.raises(Unauthorized):
        links.verify_resume(b"new", resume, NOW)
    with pytest.raises(Unauthorized):
        visitor_tokens.verify((), token, NOW)


def test_identity_and_sale_signatures_verify_with_any_of_the_secrets_given() -> None:
    claimed = {"external_id": "c-42", "name": "Zoé", "email": "", "signature": identity.sign("old", "c-42", "Zoé")}
    assert identity.verify(("new", "old"), claimed).external_id == "c-42"
    with pytest.raises(InvalidInput):
        identity.verify(("new",), claimed)
    with pytest.raises(InvalidInput):
        identity.verify(("", ""), {**claimed, "signature": identity.sign("", "c-42", "Zoé")})
    body = b'{"order_id":"o1"}'
    sales.check_signature(("new", "old"), body, sales.signature("old", body))
    with pytest.raises(Unauthorized):
        sales.check_signature("new", body, sales.signature("old", body))


def test_a_session_opened_after_a_rotation_keeps_the_visitor_and_signs_with_the_new_key() -> None:
    deps = make_deps("acme")
    before = FakeKeys(b"old")
    first = visitors.open_session("acme", None, tenants=deps.tenants, secrets=before, ids=deps.ids, clock=deps.clock,
                                  rate_limits=FakeRateLimits(), source_ip="198.51.100.7")
    after = FakeKeys(b"new", previous=b"old", previous_until=deps.clock.now() + DAY, stable=b"old")
    second = visitors.open_session("acme", first.token, tenants=deps.tenants, secrets=after, ids=deps.ids,
                                   clock=deps.clock, rate_limits=FakeRateLimits(), source_ip="198.51.100.7")
    assert second.visitor_id == first.visitor_id
    assert visitor_tokens.verify(b"new", second.token, deps.clock.now()).id == first.visitor_id
    # An identified customer keeps their id (and history) through the rotation: the id comes from the stable key.
    assert visitors.identified_visitor_id(after.visitor_id_key(), "acme", "c-42") == \
        visitors.identified_visitor_id(b"old", "acme", "c-42")


def test_rotating_a_tenants_identity_secret_keeps_the_old_one_for_the_grace() -> None:
    deps = make_deps("acme")
    deps.tenants.put(replace(deps.tenants.get("acme"), identity_secret="old-secret"))  # type: ignore[arg-type]
    tenant = operator.rotate_identity_secret(deps, "acme", DAY)
    assert tenant.identity_secret == "id1id2"  # two fresh ids: 256 random bits with the real ids
    assert deps.tenants.get("acme") == tenant
    now = deps.clock.now()
    assert tenant.identity_secrets(now) == (tenant.identity_secret, "old-secret")
    assert tenant.identity_secrets(now + DAY) == (tenant.identity_secret,)
    with pytest.raises(Conflict):
        operator.rotate_identity_secret(deps, "acme", DAY)
