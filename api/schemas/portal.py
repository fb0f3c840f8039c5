"""The citizen portal's public API: catalogue, online submission, and the files officers read back."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.dossiers.applicants import DELIVERY
from engine.dossiers.status import STATUS_CODES

from .common import LocalDateTime, Strict
from .procedures import DocumentOut, ProcedureSummary


class CatalogueQuery(Strict):
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "words to find in the name or authority; case and diacritics "
                                               "are ignored"})


class PublicProcedureList(Schema):
    items = fields.List(fields.Nested(ProcedureSummary))


class UnitChoice(Schema):
    code = fields.String()
    name = fields.String()


class UploadRules(Schema):
    max_bytes = fields.Integer(metadata={"description": "per file"})
    accept = fields.String(metadata={"description": "file name extensions the portal offers; the server checks "
                                                    "the content (PDF, JPEG, PNG)"})
    max_files = fields.Integer(metadata={"description": "files in one submission"})
    max_files_per_document = fields.Integer(metadata={"description": "files for one document"})


class PublicProcedureDetail(ProcedureSummary):
    documents = fields.List(fields.Nested(DocumentOut))
    result = fields.Dict()
    legal_source = fields.Dict()
    start_form = fields.Dict(allow_none=True, metadata={"description": "form-js schema of the declaration"})
    units = fields.List(fields.Nested(UnitChoice), metadata={"description": "where the dossier may be sent"})
    upload = fields.Nested(UploadRules)


class PortalSubmissionIn(Strict):
    """The `submission` part of the multipart request (JSON)."""

    procedure = fields.String(required=True, validate=validate.Length(min=1, max=64))
    applicant = fields.Dict(required=True, metadata={"description": "kind (person, the default, or business), "
                                                                    "name, id_number (a person's 12 digits) or "
                                                                    "tax_code and representative (a business), "
                                                                    "phone, address; email optional"})
    result_delivery = fields.String(validate=validate.OneOf(DELIVERY), load_default=None, metadata={
        "description": "how the applicant wants the result: counter, post or electronic"})
    competent_unit = fields.String(required=True, validate=validate.Length(min=1, max=64))
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "the declaration, checked against the start form; its fields that "
                                                "repeat the applicant's details are filled from `applicant` when "
                                                "left out"})
    result_delivery = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DELIVERY),
                                    metadata={"description": "how the applicant wants the result: counter, post "
                                                             "or electronic"})


class AttachmentOut(Schema):
    id = fields.Integer()
    document = fields.String(metadata={"description": "document code in the procedure"})
    name = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    url = fields.Function(lambda a: f"/api/v1/dossiers/{a.dossier_code}/attachments/{a.id}")


class PortalSubmitted(Schema):
    code = fields.String(attribute="dossier.code")
    pin = fields.String(allow_none=True, metadata={"description": "tracking PIN, shown only in this response"})
    status = fields.String(attribute="dossier.status")
    status_code = fields.Function(lambda s: STATUS_CODES[s["dossier"].status])
    procedure = fields.String(attribute="dossier.procedure_code")
    competent_unit = fields.String(attribute="dossier.competent_unit")
    result_delivery = fields.String(attribute="dossier.result_delivery", allow_none=True)
    created_at = LocalDateTime(attribute="dossier.created_at")
    attachments = fields.List(fields.Nested(AttachmentOut))
