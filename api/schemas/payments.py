"""The payment platform's callback (POST /payments/callback) and Motcua's answer."""

from __future__ import annotations

from marshmallow import Schema, fields


class CallbackIn(Schema):
    """Documentation only: the body is read by the connector's mapping (connectors/payment/mapping/)."""

    MaTraCuuTT = fields.String(metadata={"description": "the tracking code Motcua gave the transaction"})
    MaHoSo = fields.String(metadata={"description": "the dossier code"})
    SoTien = fields.Integer(metadata={"description": "the amount paid, VND"})
    TrangThai = fields.String(metadata={"description": "0 pending, 1 paid, 2 cancelled, 3 failed"})
    MaGiaoDich = fields.String(metadata={"description": "the platform's transaction id"})
    ThoiGian = fields.String(metadata={"description": "when the platform signed it, yyyyMMddHHmmss local time"})
    Checksum = fields.String(metadata={"description": "HMAC-SHA256 (hex) over the fields the mapping lists"})


class CallbackOut(Schema):
    error_code = fields.Integer(metadata={"description": "0: taken (also when it was known already)"})
    tracking_code = fields.String()
    state = fields.String(metadata={"description": "the transaction's state now"})
    changed = fields.Boolean(metadata={"description": "false: a duplicate or late callback, nothing changed"})
