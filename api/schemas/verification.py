"""The public verification's answer (POST /api/v1/verifications)."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import LocalDateTime

HEADLINES = "valid, not_pdf, no_signature, changed, revoked, unknown_ca, expired, invalid"


class VerifiedSignatureOut(Schema):
    field = fields.String(allow_none=True)
    signer_name = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True, metadata={"description": "the certificate subject's O"})
    unit = fields.String(allow_none=True, metadata={"description": "the subject's O/OU/L"})
    serial = fields.String(allow_none=True, metadata={"description": "the certificate's serial number"})
    signed_at = LocalDateTime(allow_none=True, metadata={"description": "the timestamp's time if any, else the "
                                                                   "signer's claimed time (Asia/Ho_Chi_Minh)"})
    timestamped = fields.Boolean()
    intact = fields.Boolean(metadata={"description": "the signed bytes are unchanged"})
    covers_whole = fields.Boolean(metadata={"description": "the signature covers the whole file"})
    trusted = fields.Boolean(metadata={"description": "the chain ends at a trusted root"})
    revoked = fields.Boolean()
    certificate_valid = fields.Boolean(metadata={"description": "trusted, not revoked, valid when signed"})
    problem = fields.String(allow_none=True)


class DocumentVerificationOut(Schema):
    ok = fields.Boolean(metadata={"description": "every signature intact, covering the file and trusted"})
    headline = fields.String(metadata={"description": f"one of: {HEADLINES}"})
    problem = fields.String(allow_none=True, metadata={"description": "the headline when not valid"})
    source = fields.String(metadata={"description": "upload or dossier"})
    dossier = fields.String(metadata={"description": "the dossier code, when its issued result was verified"})
    signatures = fields.List(fields.Nested(VerifiedSignatureOut))
