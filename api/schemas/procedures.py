"""The procedure catalogue."""

from __future__ import annotations

from marshmallow import Schema, fields


class Names(Schema):
    vi = fields.String()
    en = fields.String()


class LegalTime(Schema):
    value = fields.Float()
    unit = fields.String()
    cutoff = fields.String(allow_none=True)
    source = fields.String()


class Fee(Schema):
    amount = fields.Integer()
    currency = fields.String()
    note = fields.String()


class DocumentOut(Schema):
    code = fields.String()
    name = fields.String()
    copies = fields.Integer()
    original = fields.Boolean()
    required = fields.Boolean()
    note = fields.String()


class StepOut(Schema):
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    time_budget = fields.String(allow_none=True)


class ProcedureSummary(Schema):
    code = fields.String()
    version = fields.Integer()
    name = fields.Nested(Names)
    level = fields.String()
    authority = fields.Nested(Names)
    legal_time = fields.Nested(LegalTime)
    fee = fields.Nested(Fee)


class ProcedureDetail(ProcedureSummary):
    content_hash = fields.String()
    documents = fields.List(fields.Nested(DocumentOut))
    result = fields.Dict()
    legal_source = fields.Dict()
    steps = fields.List(fields.Nested(StepOut))
    start_form = fields.Dict(allow_none=True)


class ProcedureList(Schema):
    items = fields.List(fields.Nested(ProcedureSummary))
