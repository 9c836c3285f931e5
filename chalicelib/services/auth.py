"""Turning a bearer token into a principal bound to one tenant."""

from __future__ import annotations

from chalicelib.domain import visitor_tokens
from chalicelib.domain.errors import Forbidden, InvalidInput, MissingField, Unauthorized
from chalicelib.domain.model import Principal, Role
from chalicelib.ports import AgentTokenVerifier, Clock, IdentityProvider, LoginResult, SecretStore

MAX_TOKEN_CHARS = 8192


def authenticate(
    token: str | None,
    tenant: str | None,
    *,
    secrets: SecretStore,
    agent_tokens: AgentTokenVerifier,
    clock: Clock,
) -> Principal:
    """The caller of a request aimed at `tenant`; Unauthorized without valid credentials, Forbidden across tenants."""
    if not token:
        raise Unauthorized("a bearer token is required")
    if not token.isascii() or len(token) > MAX_TOKEN_CHARS:  # tokens are base64url: anything else is forged
        raise Unauthorized("malformed token")
    if visitor_tokens.is_visitor_token(token):
        now = clock.now()
        principal = visitor_tokens.verify(secrets.visitor_token_keys(now), token, now)
    else:
        principal = agent_tokens.verify(token)
    if not tenant:
        raise Forbidden("the request names no tenant")
    if principal.tenant != tenant:
        raise Forbidden("this token belongs to another tenant")
    return principal


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_role(principal: Principal, role: Role, *others: Role) -> None:
    """The principal is an agent with `role` (or one of `others`); Forbidden otherwise."""
    wanted = {role, *others}
    if not principal.is_agent or not wanted & principal.roles:
        raise Forbidden(f"this requires the {' or '.join(sorted(r.value for r in wanted))} role")


def login(identity: IdentityProvider, agent_tokens: AgentTokenVerifier, username: object, password: object
          ) -> tuple[LoginResult, Principal]:
    """An agent's password login; the principal comes from verifying the token Cognito issued."""
    result = password_login(identity, username, password)
    if result.challenge:
        raise Unauthorized(f"login needs a further step: {result.challenge}")
    return result, agent_tokens.verify(result.id_token)


def password_login(identity: IdentityProvider, username: object, password: object) -> LoginResult:
    """A password login: a token, or the "new_password" challenge of a user who has a temporary password."""
    for name, value in (("username", username), ("password", password)):
        if value is None or value == "":
            raise MissingField(name)
        if not isinstance(value, str):
            raise InvalidInput(f"'{name}' must be a string", field=name)
    return identity.login(str(username), str(password))
