"""bpmn.io form-js definitions: checked when a procedure is loaded, turned into marshmallow schemas.

The same JSON is what the web UI's form-js editor writes and its viewer renders, so the server validates
exactly the form the officer saw. FEEL `conditional` expressions are not evaluated here; a field a form
hides conditionally must therefore not be marked required.

A field's `validate.pattern` is matched with RE2 (`google-re2`), whose time is linear in the value: with
Python's backtracking `re`, a pattern such as `^(a+)+$` made 31 characters typed by an anonymous citizen tie
up a worker. What RE2 cannot express (back-references, look-arounds, repetitions above 1000) is refused when
the form is loaded, naming the form and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import re2
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from engine.errors import Problem, ValidationFailed

# form-js component types that carry no data
STATIC_TYPES = frozenset({"text", "html", "spacer", "separator", "image", "button", "iframe", "table"})
INPUT_TYPES = frozenset({"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select",
                         "taglist", "datetime", "expression", "filepicker"})
CONTAINER_TYPES = frozenset({"group", "dynamiclist"})
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_PATTERN_CHARS = 1000
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False   # a refused pattern is a finding, not a line on stderr
_RE2_OPTIONS.max_mem = 8 << 20    # the compiled program and its DFA cache, per pattern


def compile_pattern(pattern: Any) -> Any:
    """The pattern compiled by RE2, or None when it is not one RE2 can run."""
    if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN_CHARS:
        return None
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except (re2.error, ValueError, TypeError):
        return None


class PatternMatch(validate.Validator):
    """marshmallow's Regexp (a match at the start of the value), on RE2."""

    def __init__(self, pattern: str, error: str) -> None:
        self.pattern = pattern
        self.regex = compile_pattern(pattern)
        self.error = error

    def __call__(self, value: str) -> str:
        if self.regex is None or self.regex.match(value) is None:
            raise ValidationError(self.error)
        return value


class Text(fields.String):
    """A text answer. Left empty, an optional one is accepted as it is: its pattern and lengths apply to what was
    typed (form-js sends "" for an empty text field, and an e-mail pattern must not refuse a missing e-mail)."""

    def _validate(self, value: Any) -> None:
        if value == "" and not self.required:
            return
        super()._validate(value)


class IsoDate(fields.Date):
    """Accepts YYYY-MM-DD and keeps it a string in task data (what form-js writes and reads back)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return parsed.isoformat() if isinstance(parsed, date) else parsed


class IsoDateTime(fields.DateTime):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return parsed.isoformat() if isinstance(parsed, datetime) else parsed


class IsoTime(fields.Time):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return parsed.isoformat(timespec="minutes") if isinstance(parsed, time) else parsed


@dataclass
class FormDefinition:
    name: str
    schema_json: dict[str, Any]
    _schema: Schema | None = field(default=None, repr=False)

    @property
    def keys(self) -> list[str]:
        return [c["key"] for c in _input_components(self.schema_json.get("components", []))]

    def validate(self, data: Any) -> dict[str, Any]:
        """Return the cleaned data, or raise ValidationFailed with per-field messages."""
        if self._schema is None:
            self._schema = build_schema(self.schema_json)
        if not isinstance(data, dict):
            raise ValidationFailed("form data must be an object", {"_schema": ["Not an object."]})
        try:
            return self._schema.load(data)
        except ValidationError as err:
            raise ValidationFailed(f"data does not satisfy form '{self.name}'",
                                   _as_dict(err.messages)) from None


def _as_dict(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _input_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for comp in components:
        ctype = comp.get("type")
        if ctype in CONTAINER_TYPES and not comp.get("path"):
            found.extend(_input_components(comp.get("components", [])))
        elif ctype in INPUT_TYPES or (ctype in CONTAINER_TYPES and comp.get("path")):
            found.append({**comp, "key": comp.get("key") or comp.get("path")})
    return found


MAX_NESTING = 8  # groups within groups; a real form nests two or three


def check_form(name: str, schema_json: Any) -> list[Problem]:
    """Problems with a form definition itself, reported at load time: anything that would make the form fail
    when an officer or a citizen fills it in is refused here, at upload."""
    file = f"forms/{name}.form"
    if not isinstance(schema_json, dict) or not isinstance(schema_json.get("components"), list):
        return [Problem("form-invalid", f"form '{name}' needs a 'components' list", file=file)]
    if _nesting(schema_json["components"]) > MAX_NESTING:
        return [Problem("form-too-deep", f"form '{name}': groups are nested more than {MAX_NESTING} deep",
                        file=file)]
    problems: list[Problem] = []
    seen: set[str] = set()
    _check_components(name, file, schema_json["components"], seen, problems)
    if not problems:
        try:
            build_schema(schema_json)
        except Exception as exc:  # a rule marshmallow cannot take: the form could never be filled in
            problems.append(Problem("form-invalid", f"form '{name}': {type(exc).__name__}: {exc}", file=file))
    return problems


def _nesting(components: list[Any]) -> int:
    """How deeply containers nest, counted without recursion."""
    deepest, stack = 0, [(components, 1)]
    while stack and deepest <= MAX_NESTING:
        items, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c["components"], depth + 1) for c in items
                     if isinstance(c, dict) and isinstance(c.get("components"), list))
    return deepest


def _check_components(name: str, file: str, components: list[Any], seen: set[str],
                      problems: list[Problem]) -> None:
    for comp in components:
        if not isinstance(comp, dict) or not isinstance(comp.get("type"), str):
            problems.append(Problem("form-invalid", f"form '{name}': a component has no type", file=file))
            continue
        ctype = comp["type"]
        if ctype in STATIC_TYPES:
            continue
        if ctype in CONTAINER_TYPES and not isinstance(comp.get("components", []), list):
            problems.append(Problem("form-invalid", f"form '{name}': a {ctype}'s components must be a list",
                                    file=file))
            continue
        if ctype in CONTAINER_TYPES and not comp.get("path"):
            _check_components(name, file, comp.get("components", []), seen, problems)
            continue
        if ctype not in INPUT_TYPES and ctype not in CONTAINER_TYPES:
            problems.append(Problem("form-unknown-component",
                                    f"form '{name}': unknown component type '{ctype}'", file=file))
            continue
        key = comp.get("key") or comp.get("path")
        if not isinstance(key, str) or not KEY_RE.match(key):
            problems.append(Problem("form-bad-key", f"form '{name}': field key {key!r} must be an identifier",
                                    file=file, field=str(key)))
            continue
        if key in seen:
            problems.append(Problem("form-duplicate-key", f"form '{name}': key '{key}' appears twice",
                                    file=file, field=key))
        seen.add(key)
        problems.extend(Problem(code, f"form '{name}': field '{key}': {message}", file=file, field=key)
                        for code, message in _rule_problems(ctype, comp))
        if ctype in CONTAINER_TYPES:  # a group with a path, or a dynamic list: its fields are its own
            _check_components(name, file, comp.get("components", []), set(), problems)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rule_problems(ctype: str, comp: dict[str, Any]) -> list[tuple[str, str]]:
    """What `_field_for` would trip over when the form is filled in, said in the designer's terms."""
    rules = comp.get("validate", {})
    if rules is None:
        return []
    if not isinstance(rules, dict):
        return [("form-bad-rule", "'validate' must be an object of rules")]
    found = []
    if "required" in rules and not isinstance(rules["required"], bool):
        found.append("'required' must be true or false")
    for bound in ("min", "max"):
        if rules.get(bound) is not None and not _is_number(rules[bound]):
            found.append(f"'{bound}' must be a number")
    if _is_number(rules.get("min")) and _is_number(rules.get("max")) and rules["min"] > rules["max"]:
        found.append("'min' is above 'max'")
    for bound in ("minLength", "maxLength"):
        value = rules.get(bound)
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            found.append(f"'{bound}' must be a whole number, 0 or more")
    if not isinstance(rules.get("patternErrorMessage", ""), str | None):
        found.append("'patternErrorMessage' must be text")
    values = comp.get("values")
    if values is not None and not (isinstance(values, list) and all(isinstance(v, dict) for v in values)):
        found.append("'values' must be a list of {label, value} objects")
    if ctype == "datetime" and comp.get("subtype", "date") not in ("date", "time", "datetime"):
        found.append("'subtype' must be date, time or datetime")
    problems = [("form-bad-rule", message) for message in found]
    pattern = rules.get("pattern")
    if pattern is not None and compile_pattern(pattern) is None:
        problems.append(("form-bad-pattern", "the pattern cannot be checked in linear time (RE2: no "
                         f"back-references or look-arounds, at most {MAX_PATTERN_CHARS} characters)"))
    return problems


# A start-form field that repeats the applicant's details says so with a form-js custom property,
# `"properties": {"applicant": "name"}`: the portal asks the applicant once and fills the field from it.
APPLICANT_PROPERTY = "applicant"
APPLICANT_FIELDS = ("name", "id_number", "phone", "email", "address")


def applicant_bindings(schema_json: dict[str, Any]) -> dict[str, str]:
    """Field key -> the applicant's detail it repeats."""
    found = {}
    for comp in _input_components(schema_json.get("components", [])):
        props = comp.get("properties")
        if isinstance(props, dict) and props.get(APPLICANT_PROPERTY) in APPLICANT_FIELDS:
            found[comp["key"]] = props[APPLICANT_PROPERTY]
    return found


def without_applicant_fields(schema_json: dict[str, Any] | None) -> dict[str, Any] | None:
    """The form as shown where the applicant's details are asked for beside it: without the fields repeating
    them (the server fills those from the applicant)."""
    if not schema_json:
        return schema_json
    bound = set(applicant_bindings(schema_json))

    def keep(components: list[Any]) -> list[Any]:
        return [({**c, "components": keep(c["components"])} if isinstance(c.get("components"), list) else c)
                for c in components if isinstance(c, dict) and c.get("key") not in bound]

    return {**schema_json, "components": keep(schema_json.get("components", []))}


REQUIRED_MESSAGE = "Missing data for required field."  # marshmallow's own wording, which the pages translate


def build_schema(schema_json: dict[str, Any]) -> Schema:
    declared = {c["key"]: _field_for(c) for c in _input_components(schema_json.get("components", []))}
    schema_cls = Schema.from_dict(declared, name="FormSchema")
    return schema_cls(unknown=RAISE)


def _field_for(comp: dict[str, Any]) -> fields.Field:
    ctype = comp["type"]
    rules = comp.get("validate") or {}
    required = bool(rules.get("required"))
    readonly = bool(comp.get("readonly") or comp.get("disabled") or ctype == "expression")
    if readonly:  # shown to the officer, never written by them
        return fields.Raw(dump_only=True)
    opts: dict[str, Any] = {"required": required}
    if not required:
        opts["allow_none"] = True
    validators: list[Any] = []

    if ctype in CONTAINER_TYPES:  # a group with a path nests its fields in an object
        nested = build_schema({"components": comp.get("components", [])})
        field_: fields.Field = fields.Nested(nested, **opts)
        if ctype == "dynamiclist":
            field_ = fields.List(fields.Nested(nested), **opts)
        return field_
    if ctype in ("textfield", "textarea"):
        if required:  # an empty answer to a required question says so, not "too short"
            validators.append(validate.Length(min=1, error=REQUIRED_MESSAGE))
        if rules.get("minLength") or rules.get("maxLength") is not None:
            validators.append(validate.Length(min=rules.get("minLength"), max=rules.get("maxLength")))
        if rules.get("pattern"):
            validators.append(PatternMatch(rules["pattern"], error=rules.get(
                "patternErrorMessage") or "Giá trị không đúng định dạng."))
        return Text(validate=validators, **opts)
    if ctype == "number":
        if rules.get("min") is not None or rules.get("max") is not None:
            validators.append(validate.Range(min=rules.get("min"), max=rules.get("max")))
        if comp.get("decimalDigits") == 0:
            return fields.Integer(strict=True, validate=validators, **opts)
        return fields.Float(allow_nan=False, validate=validators, **opts)
    if ctype == "checkbox":
        return fields.Boolean(truthy={True}, falsy={False}, **opts)
    allowed = [v.get("value") for v in comp.get("values") or [] if isinstance(v, dict)]
    choice = [validate.OneOf(allowed)] if allowed else []
    if ctype in ("radio", "select"):
        return fields.Raw(validate=choice, **opts)
    if ctype in ("checklist", "taglist"):
        if required:
            validators.append(validate.Length(min=1))
        return fields.List(fields.Raw(validate=choice), validate=validators, **opts)
    if ctype == "datetime":
        subtype = comp.get("subtype", "date")
        cls = {"date": IsoDate, "time": IsoTime}.get(subtype, IsoDateTime)
        return cls(**opts)
    if ctype == "filepicker":
        return fields.Raw(**opts)
    return fields.Raw(dump_only=True)
