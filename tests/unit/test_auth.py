import pytest

from chalicelib.domain import visitor_tokens
from chalicelib.domain.errors import Forbidden, Unauthorized
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.services import auth
from tests.unit.fakes import FakeAgentTokens, FakeClock, FakeKeys

KEYS = FakeKeys()
CLOCK = FakeClock()


def authenticate(token: str | None, tenant: str | None) -> Principal:
    return auth.authenticate(token, tenant, secrets=KEYS, agent_tokens=FakeAgentTokens(), clock=CLOCK)


def test_a_missing_token_is_unauthorized() -> None:
    with pytest.raises(Unauthorized):
        authenticate(None, "demo")


def test_a_visitor_token_authenticates_its_visitor() -> None:
    token, _ = visitor_tokens.sign(KEYS.key, "demo", "v9", CLOCK.now())
    principal = authenticate(token, "demo")
    assert principal == authenticate(token, "demo")
    assert principal.kind is PrincipalKind.VISITOR


def test_a_token_of_another_tenant_is_forbidden() -> None:
    token, _ = visitor_tokens.sign(KEYS.key, "acme", "v9", CLOCK.now())
    with pytest.raises(Forbidden):
        authenticate(token, "demo")
    with pytest.raises(Forbidden):
        authenticate("agent:acme:a1", "demo")


def test_an_agent_token_carries_roles() -> None:
    principal = authenticate("agent:demo:a1", "demo")
    assert principal.roles == frozenset({Role.AGENT})


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer ", None), (None, None),
])
def test_bearer_header_parsing(header: str | None, token: str | None) -> None:
    assert auth.bearer(header) == token
