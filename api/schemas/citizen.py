"""What the applicant sees and sends on return trips (supplement, fee, result, a lost PIN), and the officers' view
of the supplement requests."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import LocalDateTime, Strict


class SentFileOut(Schema):
    document = fields.String(metadata={"description": "document code in the procedure"})
    document_name = fields.String()
    name = fields.String(metadata={"description": "the file's name, as sent"})
    size = fields.Integer()
    uploaded_at = LocalDateTime()


class DocumentRef(Schema):
    code = fields.Function(lambda d: d[0])
    name = fields.Function(lambda d: d[1])


class SupplementOut(Schema):
    """A supplement request (form 02) and the applicant's answer, without personal data."""

    round = fields.Integer(attribute="request.round", metadata={"description": "1 for the first request"})
    state = fields.String(attribute="request.state", metadata={"description": "open: waiting for the applicant; "
                          "submitted: files sent, waiting for reception; accepted; asked_again; closed"})
    documents = fields.List(fields.Nested(DocumentRef), metadata={"description": "documents of the procedure's "
                                                                                 "list asked for"})
    missing = fields.List(fields.String(), attribute="request.missing",
                          metadata={"description": "what is missing, as reception wrote it"})
    guidance = fields.String(attribute="request.guidance")
    requested_at = LocalDateTime(attribute="request.requested_at")
    submitted_at = LocalDateTime(attribute="request.submitted_at", allow_none=True)
    note = fields.String(attribute="request.applicant_note", allow_none=True)
    files = fields.List(fields.Nested(SentFileOut))


class OfficerSentFile(SentFileOut):
    url = fields.String(metadata={"description": "download (officers of the dossier's units)"})


class OfficerSupplement(SupplementOut):
    files = fields.List(fields.Nested(OfficerSentFile))


class SupplementList(Schema):
    items = fields.List(fields.Nested(OfficerSupplement))


class PlaceOut(Schema):
    name = fields.String()
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class SituationOut(Schema):
    """Why the dossier stands where it does and what the applicant must do."""

    kind = fields.String(allow_none=True, metadata={"description": "supplement, refused, stopped, withdrawn, "
                                                                  "payment, ready, returned, or null"})
    reasons = fields.List(fields.String(), metadata={"description": "refused, stopped, withdrawn: why"})
    supplement = fields.Nested(SupplementOut, allow_none=True)
    amount = fields.Integer(allow_none=True, metadata={"description": "payment, ready: the fee in VND"})
    payment_required_at = LocalDateTime(allow_none=True)
    paid_at = LocalDateTime(allow_none=True)
    appointment = LocalDateTime(allow_none=True, metadata={"description": "ready: from when the result can be "
                                                                         "collected"})
    place = fields.Nested(PlaceOut, allow_none=True, metadata={"description": "where: the receiving unit"})
    result_delivery = fields.String(allow_none=True)


class PinResendIn(Strict):
    """No field: the code is in the path; the new PIN goes to the phone and e-mail on file."""


class Accepted(Schema):
    detail = fields.String()


class SupplementNoteIn(Strict):
    pin = fields.String(required=True, validate=validate.Length(min=1, max=20))
    note = fields.String(validate=validate.Length(max=2000))
