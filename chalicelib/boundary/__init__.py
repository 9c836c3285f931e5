"""The input boundary: every REST body, query and WebSocket frame is checked here, once, before a service sees it.

Two steps, each naming the input at fault (docs/limits.md lists every limit):
1. ``load_json``: the raw text as JSON, within a size and a nesting limit, with no lone surrogate in any string or
   key and no NaN/Infinity (``invalid_json``, or ``invalid_field`` with the path of the bad string).
2. ``validate``: the decoded value against the pydantic model of that body, query or frame (``models.py``,
   ``frames.py``): types, string lengths, number ranges, enums, email syntax (``missing_field``/``invalid_field``).

This module stays light: pydantic and the models are imported on the first ``validate``, so the Lambda functions
that never parse client input (timers, the authorizer, SNS) do not pay for them at a cold start.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.callbacks.audio import MAX_UPLOAD_CHARS
from chalicelib.domain.errors import DomainError, InvalidInput, MissingField

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    Model = TypeVar("Model", bound=BaseModel)

MAX_DEPTH = 16  # the deepest documented input (routing: body > groups > group > members > id) is 5
MAX_REST_BODY_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024  # one API Gateway WebSocket frame
#: The calls' audio upload (issue 13): a WAV's base64 text (the domain takes at most 60 s of 8 kHz mono 16-bit PCM),
#: and the JSON around it.
AUDIO_BODY_BYTES = MAX_UPLOAD_CHARS + 1024
_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidJson(DomainError):
    code = "invalid_json"


def load_json(raw: str | bytes | None, *, limit: int, what: str = "body", check: bool = True) -> Any:
    """`raw` decoded as JSON, or InvalidJson / InvalidInput. Empty input is None. With `check=False` the caller runs
    `check_tree` itself (ws.py first reads the frame's id, so that the error can echo it)."""
    if raw is None or raw in ("", b""):
        return None
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    if size > limit:
        raise InvalidInput(f"the {what} holds at most {limit} bytes, got {size}", field=what)
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError as exc:
        raise InvalidJson(f"the {what} is nested more than {MAX_DEPTH} levels deep") from exc
    except ValueError as exc:  # also UnicodeDecodeError: bytes that are not UTF-8
        raise InvalidJson(f"the {what} is not valid JSON") from exc
    if check:
        check_tree(value, what)
    return value


def check_tree(value: Any, what: str = "body") -> None:
    """No deeper than MAX_DEPTH, and every string and key valid Unicode (a lone surrogate cannot be stored as UTF-8,
    nor sent to a client that decodes UTF-8); the field at fault is named by its path."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if not is_unicode(node):
                raise InvalidInput(f"'{path or what}' holds an invalid character (a lone surrogate)",
                                   field=path or what)
        elif isinstance(node, float) and not math.isfinite(node):  # 1e400 decodes as infinity
            raise InvalidInput(f"'{path or what}' is out of range", field=path or what)
        elif isinstance(node, dict | list):
            if depth >= MAX_DEPTH:
                raise InvalidJson(f"the {what} is nested more than {MAX_DEPTH} levels deep")
            pairs = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in pairs:
                if isinstance(key, str) and not is_unicode(key):
                    raise InvalidInput(f"a key of '{path or what}' holds an invalid character", field=path or what)
                stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))


def is_unicode(text: str) -> bool:
    return text.isascii() or _SURROGATE.search(text) is None


def scrub(text: str) -> str:
    """`text` with any lone surrogate replaced by U+FFFD, so that it encodes as UTF-8 (what the server emits)."""
    return text if is_unicode(text) else _SURROGATE.sub("\ufffd", text)


def validate(model: type[Model], value: Any, what: str = "body") -> Model:
    """`value` as `model`, or the first failure as MissingField / InvalidInput naming its field."""
    from pydantic import ValidationError

    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InvalidInput(f"the {what} must be a JSON object", field=what)
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise _field_error(exc, what) from exc


def rest_body(model_name: str, raw: str | bytes | None, limit: int = MAX_REST_BODY_BYTES) -> Any:
    """A REST request's JSON body as `models.<model_name>` (an absent body is an empty object), of at most `limit`
    bytes (the audio upload's is bigger than the others')."""
    from chalicelib.boundary import models  # pydantic: loaded on the first request, not at a cold import

    try:
        value = load_json(raw, limit=limit)
    except InvalidJson as exc:  # REST names the body (docs/openapi.yaml); a frame's error has no field
        raise InvalidInput(exc.message, field="body") from exc
    return validate(getattr(models, model_name), value)


def rest_query(model_name: str, params: Mapping[str, str] | None) -> Any:
    """A REST request's query as `models.<model_name>`; `custom.<name>` parameters gather under `custom`."""
    from chalicelib.boundary import models

    values: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if name.startswith("custom."):
            values.setdefault("custom", {})[name[len("custom."):]] = value
        else:
            values[name] = value
    check_tree(values, "query")
    return validate(getattr(models, model_name), values, "query")


_TENANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PATH_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def path_parameter(name: str, value: str) -> str:
    """A tenant (1-64 letters, digits, _ or -) or an id (1-128 letters, digits or . _ : -) in a route's path."""
    pattern, what = (_TENANT, "1-64 letters, digits, _ or -") if name == "tenant" else (
        _PATH_ID, "1-128 letters, digits or . _ : -")
    if not pattern.match(value):
        raise InvalidInput(f"'{name}' must be {what}", field=name)
    return value


_UNION_TAGS = {"str", "int", "float", "bool", "none", "list", "dict", "[key]"}


def _field_error(exc: ValidationError, what: str) -> DomainError:
    first = exc.errors(include_url=False, include_input=False)[0]
    parts = [str(part) for part in first["loc"]]
    field = ".".join(p for p in parts if p not in _UNION_TAGS and "[" not in p) or what
    if first["type"] == "missing":
        return MissingField(field)
    if first["type"] == "extra_forbidden":
        return InvalidInput(f"unknown field '{field}'", field=field)
    message = str(first["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return InvalidInput(f"'{field}': {message}", field=field)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
