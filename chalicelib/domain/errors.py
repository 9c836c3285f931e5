"""Domain errors. Each carries a stable `code`; `app.py` maps codes to HTTP statuses and error frames once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause or meet."""

    code = "internal"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """A request field is missing or malformed."""

    code = "invalid_field"


class MissingField(InvalidInput):
    code = "missing_field"

    def __init__(self, field: str) -> None:
        super().__init__(f"'{field}' is required", field=field)


class Unauthorized(DomainError):
    """No credentials, or credentials that do not verify (forged, expired, wrong audience)."""

    code = "unauthorized"


class Forbidden(DomainError):
    """Valid credentials that do not grant this: another tenant, another visitor's conversation, a role missing."""

    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The state changed under the request; retrying later may succeed."""

    code = "conflict"


class Unavailable(DomainError):
    """No group of the matching rule can take a new conversation now (ROUTE-4): the visitor is not engaged."""

    code = "unavailable"


class RateLimited(DomainError):
    """A visitor went over a per-visitor limit (sessions, conversations or messages in a window): nothing was stored;
    the same request succeeds after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class ConnectionGone(Exception):
    """A WebSocket connection no longer exists (API Gateway answered 410 Gone)."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(connection_id)
        self.connection_id = connection_id
