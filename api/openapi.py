"""The OpenAPI 3 document, built from the routes' @operation metadata and marshmallow schemas."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from . import schemas

_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(title="Motcua API", version="1", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "One-stop administrative procedures on BPMN. Errors are "
                                        "application/problem+json (RFC 9457)."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=schemas.Problem)
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        op = getattr(view, "_operation", None)
        if op is None:
            continue
        path = _PARAM.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(op, rule, getattr(view, "_auth", None))
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(op: Any, rule: Any, auth: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "responses": {}}
    params = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
              for name in rule.arguments]
    if op.query is not None:
        params.append({"in": "query", "schema": op.query})
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    if not op.public:
        doc["security"] = [{"bearer": []}]
        doc["responses"]["401"] = _problem("missing, invalid or expired token")
    if op.body is not None:
        doc["responses"]["400"] = _problem("malformed body")
        doc["responses"]["422"] = _problem("invalid data; `errors` maps each field to its messages")
    for status, schema in op.responses.items():
        if isinstance(schema, tuple):  # (media types, description): a body that is not JSON
            media, description = schema
            doc["responses"][str(status)] = {"description": description,
                                             "content": {m: {} for m in media.split()}}
        elif isinstance(schema, str) and status < 300:
            doc["responses"][str(status)] = {"description": schema}
        elif isinstance(schema, str):
            doc["responses"][str(status)] = _problem(schema)
        else:
            doc["responses"][str(status)] = {"description": "OK",
                                             "content": {"application/json": {"schema": schema}}}
    if auth and auth != ("any",):
        doc["description"] = f"Requires one of the roles: {', '.join(auth)}."
        doc["responses"].setdefault("403", _problem("the signed-in user lacks the role"))
    if rule.arguments:
        doc["responses"].setdefault("404", _problem("nothing found at this path"))
    # Every error is a problem document: 405 (with Allow), 413, 429 and 503 (with Retry-After), and any other.
    doc["responses"]["default"] = _problem("an error, as RFC 9457 problem details")
    return doc


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
