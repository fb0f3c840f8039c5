"""The procedure catalogue."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import Integer, Strict


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
    kind = fields.String(metadata={"description": "original | copy | certified_copy"})
    required = fields.Boolean()
    condition = fields.String(metadata={"description": "when a document that is not required is needed"})
    form = fields.String(metadata={"description": "the blank form: a template's name or a URL"})
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
    national_code = fields.String(allow_none=True, metadata={"description": "the national procedure code (MATTHC)"})
    channels = fields.Dict(metadata={"description": "per submission channel (counter, online, postal): its own "
                                                    "legal_time and fee, over the defaults above"})


class ProcedureDetail(ProcedureSummary):
    content_hash = fields.String()
    documents = fields.List(fields.Nested(DocumentOut))
    result = fields.Dict()
    legal_source = fields.Dict()
    steps = fields.List(fields.Nested(StepOut))
    start_form = fields.Dict(allow_none=True)


class ProcedureList(Schema):
    items = fields.List(fields.Nested(ProcedureSummary))


class PackageIn(Strict):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$"))
    files = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[A-Za-z0-9._-]{1,100}$")),
                        values=fields.String(validate=validate.Length(max=2_000_000)), required=True,
                        metadata={"description": "procedure.toml, the BPMN and any DMN, by file name"})
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=dict,
                        metadata={"description": "form-js schemas by form name"})


class FindingOut(Schema):
    code = fields.String()
    severity = fields.String()
    element = fields.String()
    message_vi = fields.String()
    message_en = fields.String()
    file = fields.String()


class ValidationOut(Schema):
    valid = fields.Boolean()
    problems = fields.List(fields.Nested(FindingOut))


class DiffQuery(Strict):
    from_ = Integer(required=True, data_key="from", validate=validate.Range(min=1))
    to = Integer(required=True, validate=validate.Range(min=1))


class DiffOut(Schema):
    from_version = fields.Integer()
    to_version = fields.Integer()
    steps = fields.Dict()
    legal_time = fields.Dict(allow_none=True)
    documents = fields.Dict()
    form_fields = fields.Dict()
    fee = fields.Dict(allow_none=True)
    channels = fields.Dict(metadata={"description": "counter | online | postal -> {from, to}: a channel whose own "
                                                    "legal time, cut-off or fee changed"})
    text = fields.Dict(metadata={"description": "readable lines: {vi: [...], en: [...]}"})
