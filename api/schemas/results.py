"""A dossier's result document (GET /dossiers/<code>/result) and the leader's signing calls."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import LocalDateTime


class ResultLinks(Schema):
    draft = fields.String(allow_none=True, metadata={"description": "the rendered draft (PDF) the leader signs"})
    pdf = fields.String(allow_none=True, metadata={"description": "the issued PDF, signed by the leader and sealed"})


class ResultOut(Schema):
    state = fields.String(allow_none=True, metadata={
        "description": "rendering | awaiting_leader | leader_pending | leader_signed | issued | failed; null: none"})
    number = fields.String(metadata={"description": "số/ký hiệu: <n>/<number_symbol>, per unit and year"})
    signer = fields.String(allow_none=True, metadata={"description": "the leader who signed or is signing"})
    issued_at = LocalDateTime(allow_none=True)
    sha256 = fields.String(allow_none=True, metadata={"description": "SHA-256 of the issued PDF"})
    error = fields.String(allow_none=True, metadata={"description": "why the last attempt failed or was refused"})
    remote_requested_at = LocalDateTime(allow_none=True)
    may_sign = fields.Boolean(metadata={"description": "the caller is a leader of the competent unit"})
    links = fields.Nested(ResultLinks)


class RemoteSigningOut(Schema):
    transaction_id = fields.String()
    state = fields.String(metadata={"description": "leader_pending: the leader confirms on the phone"})


class SignedUploadIn(Schema):
    """Documentation only: multipart/form-data with `file`, the draft signed by the browser plugin."""

    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class WebhookIn(Schema):
    """Documentation only: the body is HMAC-checked (header X-Signature) and only names the transaction."""

    transaction_id = fields.String()


class WebhookOut(Schema):
    polled = fields.Integer(metadata={"description": "requests asked about at the service"})
