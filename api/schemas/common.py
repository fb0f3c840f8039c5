"""Shared schema pieces: strict loading, local-time output, the problem document."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate

from engine.time.clock import LOCAL_TZ

from ..integers import INT32_MAX, INT64_MAX

__all__ = ["INT32_MAX", "Integer", "LocalDateTime", "Problem", "Strict", "supported_date"]



class Integer(fields.Integer):
    """An integer in a request: beyond signed 64 bits (or the narrower Range given) it is a 422, not an
    overflow in the database driver. The bounds also go into the OpenAPI document."""

    def __init__(self, *, validate: Any = None, **kwargs: Any) -> None:
        given = [] if validate is None else list(validate) if isinstance(validate, list | tuple) else [validate]
        super().__init__(validate=[*given, _INT64], **kwargs)


_INT64 = validate.Range(min=-INT64_MAX - 1, max=INT64_MAX)


class LocalDateTime(fields.DateTime):
    """Stored in UTC, shown in Asia/Ho_Chi_Minh (ISO 8601 with +07:00)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.astimezone(LOCAL_TZ).isoformat()


EARLIEST, LATEST = datetime(1900, 1, 2, tzinfo=UTC), datetime(9998, 12, 31, tzinfo=UTC)


def supported_date(value: date | datetime) -> None:
    """A date or time the app can convert between zones and store: neither year 1 nor year 9999."""
    instant = value if isinstance(value, datetime) else datetime.combine(value, time(12), tzinfo=UTC)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    if not EARLIEST <= instant <= LATEST:
        raise ValidationError(f"Between {EARLIEST.year} and {LATEST.year}.")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Problem(Schema):
    """RFC 9457 problem details; a problem may carry more members than these (the RFC's extension members)."""

    class Meta:
        unknown = INCLUDE  # documented as open: `additionalProperties` is not false

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    code = fields.String()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "422 validation-failed: each field's messages (a list of "
                                                  "strings, or for a list or an object, its items' messages "
                                                  "by index or key)"})
    reason = fields.String(metadata={"description": "401: token-expired, token-invalid, no-session or "
                                                    "session-expired"})
    element = fields.String(allow_none=True, metadata={"description": "422 process-error: the BPMN element"})
    message_vi = fields.String(metadata={"description": "422 process-error: what failed and what to change, in "
                                                        "Vietnamese (the engine's words quoted at the end)"})
    message_en = fields.String(metadata={"description": "422 process-error: the same in English (also `detail`)"})
    problems = fields.List(fields.Dict(), metadata={"description": "422 invalid-package: each problem "
                                                                   "(code, message, file, element, field)"})
    retry_after = fields.Integer(metadata={"description": "429 and 503: seconds to wait (also `Retry-After`)"})
    state = fields.String(metadata={"description": "409 on a task: the state it is in"})
    assignee_id = fields.Integer(allow_none=True, metadata={"description": "409 on a claim: who holds the task"})
    dossier_status = fields.String(metadata={"description": "409 on a rating: the dossier's status"})
    allowed_actions = fields.List(fields.String(), metadata={"description": "409 on a lifecycle action: what is "
                                                                            "possible now"})
    fee_amount = fields.Integer(metadata={"description": "409 fee-unpaid: the fee owed, in VND"})
