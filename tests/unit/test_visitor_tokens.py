from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import visitor_tokens
from chalicelib.domain.errors import Unauthorized
from chalicelib.domain.model import PrincipalKind

KEY = b"secret-key-for-tests"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_a_signed_token_names_its_tenant_and_visitor() -> None:
    token, expires_at = visitor_tokens.sign(KEY, "demo", "v1", NOW)
    principal = visitor_tokens.verify(KEY, token, NOW)
    assert (principal.tenant, principal.id, principal.kind) == ("demo", "v1", PrincipalKind.VISITOR)
    assert expires_at == NOW + visitor_tokens.LIFETIME


def test_a_token_signed_with_another_key_is_refused() -> None:
    token, _ = visitor_tokens.sign(b"other key", "demo", "v1", NOW)
    with pytest.raises(Unauthorized, match="signature"):
        visitor_tokens.verify(KEY, token, NOW)


def test_a_token_whose_payload_was_edited_is_refused() -> None:
    token, _ = visitor_tokens.sign(KEY, "demo", "v1", NOW)
    forged_payload, _ = visitor_tokens.sign(KEY, "acme", "v1", NOW)
    prefix, _, signature = token.split(".")
    tampered = ".".join([prefix, forged_payload.split(".")[1], signature])
    with pytest.raises(Unauthorized):
        visitor_tokens.verify(KEY, tampered, NOW)


def test_an_expired_token_is_refused() -> None:
    token, expires_at = visitor_tokens.sign(KEY, "demo", "v1", NOW)
    with pytest.raises(Unauthorized, match="expired"):
        visitor_tokens.verify(KEY, token, expires_at + timedelta(seconds=1))


@pytest.mark.parametrize("token", ["", "v1", "v1.a", "v1.!!!.###", "v2.a.b", "v1.a.b.c"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthorized):
        visitor_tokens.verify(KEY, token, NOW)
