"""Shared schema pieces: strict loading, local-time output, the problem document."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields

from engine.time.clock import LOCAL_TZ


class LocalDateTime(fields.DateTime):
    """Stored in UTC, shown in Asia/Ho_Chi_Minh (ISO 8601 with +07:00)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.astimezone(LOCAL_TZ).isoformat()


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    code = fields.String()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "field -> list of messages"})
