"""Drafts, publishing, what-if and migration."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.reform.creation import NewProcedureIn as _NewProcedure

from .common import Integer, LocalDateTime, Strict
from .procedures import FindingOut, PackageIn


class VersionOut(Schema):
    number = fields.Integer()
    status = fields.String()
    content_hash = fields.String()
    created_at = LocalDateTime()
    published_at = LocalDateTime(allow_none=True)
    published_by = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class VersionList(Schema):
    items = fields.List(fields.Nested(VersionOut))


class DraftIn(PackageIn):
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    base_hash = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "the content_hash of the version the designer opened: if the open draft now holds other "
                       "content (someone else saved it), the save is refused with 409 `draft-changed`; "
                       "without it, the save overwrites the open draft"})


class DraftOut(Schema):
    version = fields.Nested(VersionOut)
    problems = fields.List(fields.Nested(FindingOut))


class PublishIn(Strict):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "why: the reform decision"})


class PublishRequestIn(Strict):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "why: the reform decision (the publication's note)"})


class ApproveIn(Strict):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class RejectIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "what to change before asking again"})


class PublishRequestOut(Schema):
    id = fields.Integer()
    procedure = fields.String()
    procedure_name = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"description": "pending | approved | rejected | voided (the draft changed "
                                                    "after the request, or was published otherwise)"})
    note = fields.String()
    requested_by = fields.Integer()
    requested_by_name = fields.String()
    requested_at = LocalDateTime()
    decided_by = fields.Integer(allow_none=True)
    decided_by_name = fields.String(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class PublishRequestList(Schema):
    items = fields.List(fields.Nested(PublishRequestOut))


class WhatIfOut(Schema):
    version = fields.Integer()
    months = fields.Integer()
    legal_working_hours = fields.Float()
    actual = fields.Dict()
    estimate = fields.Dict()
    removed_steps = fields.Dict()
    steps = fields.Dict(metadata={"description": "per kept step: steps, on_time (actual), on_time_with_version"})
    step_budgets = fields.Dict()


class MigrationIn(Strict):
    to_version = Integer(required=True, strict=True, validate=validate.Range(min=1))
    dossiers = fields.List(fields.String(), load_default=None)
    dry_run = fields.Boolean(load_default=True)


class MigrationOut(Schema):
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    movable = fields.List(fields.String())
    moved = fields.List(fields.String())
    blocked = fields.List(fields.Dict())


class PackageOut(Schema):
    code = fields.String()
    number = fields.Integer()
    status = fields.String(metadata={"description": "draft or published"})
    content_hash = fields.String(metadata={"description": "send it back as a draft's `base_hash`"})
    process_id = fields.String()
    files = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "procedure.toml, the BPMN and any DMN, by file name"})
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(), metadata={"description": "form-js schemas"})


class NewProcedureIn(_NewProcedure):
    """A new procedure from a template (or from `bpmn`, a diagram made elsewhere): its first draft."""


class NewProcedureOut(DraftOut):
    code = fields.String()


class LegalFactsIn(Strict):
    """The legal facts, as procedure.toml holds them (docs/procedures.md); a key left out keeps its value."""

    name = fields.Dict(metadata={"description": "{vi, en}"})
    national_code = fields.String(allow_none=True, metadata={"description": "MATTHC, e.g. 1.001612"})
    level = fields.String()
    authority = fields.Dict(metadata={"description": "{vi, en}"})
    legal_time = fields.Dict(metadata={"description": "the default: {value, unit, cutoff, source}"})
    fee = fields.Dict(metadata={"description": "the default: {amount, currency, note}"})
    channels = fields.Dict(metadata={"description": "counter | online | postal -> {legal_time: {value, unit, "
                                                    "cutoff}, fee: {amount, note}}, each overriding the default"})
    documents = fields.List(fields.Dict(), metadata={
        "description": "{code, name, copies, kind (original | copy | certified_copy), required, condition, form}"})
    result = fields.Dict(metadata={"description": "{name}"})
    legal_source = fields.Dict(metadata={"description": "{documents: [text or {number, title}]}"})
    base_hash = fields.String(validate=validate.Length(max=128), metadata={
        "description": "the content hash of the version read; by default as it is now (409 draft-changed when "
                       "another draft is open or it changed since)"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class LegalFactsOut(Schema):
    code = fields.String()
    number = fields.Integer()
    status = fields.String()
    facts = fields.Dict()


class ImportOut(DraftOut):
    code = fields.String()
    new_procedure = fields.Boolean()
