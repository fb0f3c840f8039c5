"""The national catalogue import: records in, one outcome per record out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.reform.catalogue import MAX_RECORDS

from .common import Strict


class CatalogueImportIn(Strict):
    records = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1, max=MAX_RECORDS),
                          metadata={"description": "procedure records in the national database's format (LayThuTuc: "
                                                   "MATTHC, TENTTHC, CACHTHUCTHUCHIEN, THANHPHANHOSO, ...)"})
    codes = fields.List(fields.String(validate=validate.Length(max=50)), load_default=list,
                        validate=validate.Length(max=MAX_RECORDS),
                        metadata={"description": "only the records with these national codes (MATTHC)"})


class CatalogueOutcome(Schema):
    national_code = fields.String()
    status = fields.String(metadata={"description": "created | new_draft | unchanged | draft_open | refused"})
    code = fields.String(allow_none=True)
    name = fields.String()
    version = fields.Integer(allow_none=True)
    diff_from = fields.Integer(allow_none=True, metadata={"description": "the published version the draft changes"})
    reason_vi = fields.String()
    reason_en = fields.String()
    to_check = fields.List(fields.String(), metadata={"description": "facts the record marks as to be checked"})
    legal_facts = fields.String(allow_none=True, metadata={"description": "the draft's legal facts (API path)"})
    diff_page = fields.String(allow_none=True, metadata={"description": "the diff page against the published "
                                                                        "version"})


class CatalogueImportOut(Schema):
    results = fields.List(fields.Nested(CatalogueOutcome))
