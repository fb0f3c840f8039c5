"""The @operation decorator: parse and validate a request with marshmallow, and describe it for OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

import orjson
from flask import Response, g, request
from marshmallow import Schema, ValidationError

from engine.errors import BadRequest, ValidationFailed
from engine.procedures.serialization import encode_json

from .dumping import dumper_for

F = TypeVar("F", bound=Callable[..., Any])
MAX_BODY_BYTES = 1024 * 1024
# JSON nested deeper than this is refused before anything walks it (marshmallow, the forms, the serializers
# recurse; orjson itself stops at 1,024 when reading and at 254 when writing). A package's forms nest ~12.
MAX_BODY_DEPTH = 40


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    body: Schema | None = None
    query: Schema | None = None
    # a schema (JSON), a description (no body, or an error's), or (media types, description) for another body
    responses: dict[int, Any] = field(default_factory=dict)
    public: bool = False


def operation(summary: str, *, tag: str, body: Schema | None = None, query: Schema | None = None,
              responses: dict[int, Any] | None = None, public: bool = False) -> Callable[[F], F]:
    op = Operation(summary, tag, body, query, responses or {}, public)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if body is not None:
                g.body = _load(body, _json_body())
            if query is not None:
                g.query = _load(query, request.args.to_dict())
            return view(*args, **kwargs)

        wrapper._operation = op  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _json_body() -> Any:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise BadRequest("the request body is too large")
    raw = request.get_data(cache=False)
    if not raw.strip():
        return {}  # no body: the schema says whether anything was required
    mimetype = request.mimetype or "application/json"
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise BadRequest(f"expected application/json, got {mimetype}")
    return load_json(raw)


def load_json(raw: bytes | str, what: str = "JSON") -> Any:
    """JSON from a client: well formed, without NUL (PostgreSQL text cannot hold it) and not nested deeper
    than anything here walks; otherwise BadRequest."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}" if what == "JSON" else f"the {what} is not JSON: {exc}") from None
    escaped_nul = b"\\u0000" if isinstance(raw, bytes) else "\\u0000"
    if escaped_nul in raw and _has_nul(body):  # a cheap scan first; the walk only if it may hold one
        raise BadRequest("NUL characters are not allowed")
    if _too_deep(body):
        raise BadRequest(f"the {what} is nested more than {MAX_BODY_DEPTH} deep")
    return body


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_BODY_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def reject_nul_in_url() -> None:
    """PostgreSQL text cannot hold NUL; refuse it at the door rather than as a database error: in the path,
    the query string and the fields of a posted form (a page's sign-in, the portal's submission)."""
    fields = request.form.items(multi=True) if _takes_form() else ()
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)) \
            or any("\x00" in k or "\x00" in v for k, v in fields):
        raise BadRequest("NUL characters are not allowed")


def _takes_form() -> bool:
    """Pages post forms, the portal's API multipart; reading any other API body as a form would consume it."""
    return request.mimetype == "multipart/form-data" or (
        request.mimetype == "application/x-www-form-urlencoded" and not request.path.startswith("/api/"))


def _load(schema: Schema, data: Any) -> Any:
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    try:
        return schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed("the request is not valid", messages) from None


def respond(schema: Schema | type[Schema], obj: Any, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    """The object through its response schema, as JSON. A schema class is compiled once (`dumping.py`)."""
    body = dumper_for(schema)(obj) if isinstance(schema, type) else schema.dump(obj)
    return Response(encode_json(body), status=status, mimetype="application/json", headers=headers)
