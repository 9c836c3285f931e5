"""What every REST route shares: the domain error -> HTTP status map, JSON responses, the `rest` wrapper that checks
path parameters and maps errors, and the request's body, query, caller, origin and source address, each read
through the boundary (docs/limits.md). app.py binds the one Chalice app with `serve(app)`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib import bootstrap, boundary
from chalicelib.domain.errors import DomainError, RateLimited
from chalicelib.domain.model import Principal
from chalicelib.services import auth, tenants

_app: Chalice | None = None


def serve(app: Chalice) -> None:
    """The app whose current request the helpers below read (set once, by app.py)."""
    global _app
    _app = app


def current_request() -> Request | None:
    return _app.current_request if _app else None


STATUS_BY_CODE = {
    "blocked": 403,
    "invalid_json": 400,
    "missing_field": 400,
    "invalid_field": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "slot_full": 409,
    "unavailable": 409,
    "rate_limited": 429,
    "internal": 500,
}


def json_response(status: int, body: Any) -> Response:
    # Stored text is valid Unicode (the boundary refuses lone surrogates); scrub() keeps it so for older items.
    return Response(body=boundary.scrub(json.dumps(body, ensure_ascii=False)), status_code=status,
                    headers={"Content-Type": "application/json"})


def rest(handler: Callable[..., Any]) -> Callable[..., Response]:
    """Turn a handler's result into JSON and each domain error into its 4xx, in one place."""

    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            for name, value in kwargs.items():  # the route's path parameters
                boundary.path_parameter(name, value)
            result = handler(*args, **kwargs)
        except DomainError as exc:
            body = {"code": exc.code, "message": exc.message}
            if exc.field:
                body["field"] = exc.field
            response = json_response(STATUS_BY_CODE.get(exc.code, 400), body)
            if isinstance(exc, RateLimited):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(result, Response):
            return result
        return json_response(200, result)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    wrapped.__wrapped__ = handler  # type: ignore[attr-defined]  # for readers of the route table (tests)
    return wrapped


def request_body(model: str, limit: int = boundary.MAX_REST_BODY_BYTES) -> Any:
    """The request's JSON body as `chalicelib/boundary/models.<model>` (docs/limits.md)."""
    request = current_request()
    return boundary.rest_body(model, request.raw_body if request else b"", limit)


def domain_checked_body() -> dict[str, Any]:
    """A body whose every field the domain checks (settings, routing): as JSON, within the boundary's limits."""
    return dict(request_body("DomainChecked").model_extra or {})


def authenticated(tenant: str) -> Principal:
    request = current_request()
    headers = request.headers if request else {}
    c = bootstrap.container()
    return auth.authenticate(
        auth.bearer(headers.get("authorization")), tenant, secrets=c.secrets, agent_tokens=c.agent_tokens,
        clock=c.deps.clock,
    )


def request_query(model: str) -> Any:
    """The request's query as `chalicelib/boundary/models.<model>`."""
    request = current_request()
    return boundary.rest_query(model, request.query_params if request else None)


def visitor_origin(tenant: str, caller: Principal | None = None) -> None:
    """A visitor's (or the widget's public) request comes from the tenant's site origins, when it lists them."""
    request = current_request()
    origin = request.headers.get("origin") if request else None
    tenants.check_origin(bootstrap.container().deps, tenant, origin, caller)


def source_ip() -> str:
    """The caller's address as API Gateway saw it (per-visitor limits count new visitors by it)."""
    request = current_request()
    context = request.context if request else {}
    return str((context.get("identity") or {}).get("sourceIp") or "")
