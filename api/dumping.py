"""Response schemas compiled into plain functions.

marshmallow walks its machinery for every field of every object: an inbox page of 50 tasks is some 1,000
fields and took longer than the query behind it. The schemas stay the one description of each response (and
of the OpenAPI document); this module reads each schema once and builds a function that gives the same
output: the same keys, the same `attribute` paths and defaults, and each field's own `_serialize` for the value
(a plain str, int or bool goes through as it is, as marshmallow returns it). A schema with dump hooks, or a
field that does not read an attribute (`Function`, `Method`), is dumped by marshmallow itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, missing

Dump = Callable[[Any], Any]
_BY_CLASS: dict[type[Schema], Dump] = {}


def dumper_for(schema_class: type[Schema]) -> Dump:
    """The compiled dump of a response schema class, built on first use."""
    dump = _BY_CLASS.get(schema_class)
    if dump is None:
        dump = _BY_CLASS[schema_class] = compile_schema(schema_class())
    return dump


def compile_schema(schema: Schema) -> Dump:
    hooks = getattr(schema, "_hooks", {})
    if any(hooks.get(key) for key in hooks if "dump" in str(key)):
        return lambda obj: schema.dump(obj)
    plan = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        if not field._CHECK_ATTRIBUTE:  # Function, Method: computed from the whole object
            plan.append((key, None, field, name))
            continue
        plan.append((key, _getter(field.attribute or name), field, _converter(field, name)))
    many = schema.many

    def dump_one(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, getter, field, convert in plan:
            if getter is None:
                value = field.serialize(convert, obj, accessor=schema.get_attribute)
                if value is not missing:
                    out[key] = value
                continue
            value = getter(obj)
            if value is missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is missing:
                    continue
            out[key] = convert(value, obj)
        return out

    if many:
        return lambda objs: None if objs is None else [dump_one(obj) for obj in objs]
    return dump_one


def _value_for_key(obj: Any, key: str) -> Any:
    """marshmallow's own rule: `obj[key]` when it can be indexed, else the attribute."""
    if type(obj) is dict:
        try:
            return obj[key]
        except KeyError:
            return getattr(obj, key, missing)
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def _getter(path: str) -> Callable[[Any], Any]:
    if "." not in path:
        return lambda obj: _value_for_key(obj, path)
    keys = path.split(".")

    def get(obj: Any) -> Any:
        for key in keys:
            obj = _value_for_key(obj, key)
        return obj

    return get


def _converter(field: fields.Field, name: str) -> Callable[[Any, Any], Any]:
    kind = type(field)
    if kind is fields.String:
        return lambda value, obj: value if value is None or type(value) is str else field._serialize(value, name, obj)
    if kind is fields.Integer and not field.as_string:
        return lambda value, obj: value if value is None or type(value) is int else field._serialize(value, name, obj)
    if kind is fields.Boolean:
        return lambda value, obj: value if value is None or type(value) is bool else field._serialize(value, name, obj)
    if kind is fields.Nested:
        nested = compile_schema(field.schema)
        many = field.many or field.schema.many

        def dump_nested(value: Any, obj: Any) -> Any:
            if value is None:
                return None
            if many and not field.schema.many:
                return [nested(item) for item in value]
            return nested(value)

        return dump_nested
    if kind is fields.List:
        inner = _converter(field.inner, name)
        return lambda value, obj: None if value is None else [inner(item, obj) for item in value]
    return lambda value, obj: field._serialize(value, name, obj)
