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
from engine.serialization import encode_json

F = TypeVar("F", bound=Callable[..., Any])
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    body: Schema | None = None
    query: Schema | None = None
    responses: dict[int, Schema | str] = field(default_factory=dict)
    public: bool = False


def operation(summary: str, *, tag: str, body: Schema | None = None, query: Schema | None = None,
              responses: dict[int, Schema | str] | None = None, public: bool = False) -> Callable[[F], F]:
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
    if not raw:
        raise BadRequest("a JSON request body is required")
    mimetype = request.mimetype or "application/json"
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise BadRequest(f"expected application/json, got {mimetype}")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None


def _load(schema: Schema, data: Any) -> Any:
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    try:
        return schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed("the request is not valid", messages) from None


def respond(schema: Schema, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(schema.dump(obj)), status=status, mimetype="application/json",
                    headers=headers)
