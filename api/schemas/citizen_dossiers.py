"""The signed-in citizen's own dossiers ("Hồ sơ của tôi") in the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import LocalDateTime


class OwnedDossierOut(Schema):
    code = fields.String()
    procedure_name = fields.Dict(keys=fields.String(), values=fields.String(),
                                 metadata={"description": "{vi, en}"})
    status = fields.String()
    channel = fields.String(metadata={"description": "online, counter, postal or portal"})
    created_at = LocalDateTime()
    due_at = LocalDateTime(allow_none=True)


class OwnedDossierList(Schema):
    items = fields.List(fields.Nested(OwnedDossierOut))
