"""The national public service portal forwarding dossiers to Motcua (POST /portal/inbound)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import Strict

MAX_RECORDS = 100


class InboundIn(Strict):
    data = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=MAX_RECORDS), metadata={
        "description": f"at most {MAX_RECORDS} dossier records with the portal's DongBoHoSoMC field names: "
                       "MaHoSo, MaTTHC, TenTTHC, ChuHoSo, LoaiDoiTuong (1 person, 2 business), Email, "
                       "SoDienThoai, SoCMND, DiaChi, TrichYeuHoSo, NgayNopHoSo (yyyyMMddHHmmss, Asia/Ho_Chi_Minh), "
                       "HinhThuc, MaDonVi, DuLieuToKhai (the declaration), TaiLieuNop[TepDinhKemId, "
                       "TenTepDinhKem, MaThanhPhanHoSo, DuongDanTaiTepTin, IsDeleted]"})


class InboundResult(Schema):
    MaHoSo = fields.String(allow_none=True)
    SoBienNhan = fields.String(allow_none=True, metadata={"description": "Motcua's dossier code"})
    created = fields.Boolean(metadata={"description": "false: the dossier was forwarded before, nothing changed"})
    error_code = fields.Integer(metadata={"description": "0 taken; 1 refused (see `reason`)"})
    reason = fields.String(allow_none=True, metadata={"description": "why a record was refused, in Vietnamese"})
    errors = fields.Dict(allow_none=True, metadata={"description": "the parts and fields at fault"})


class InboundOut(Schema):
    error_code = fields.Integer(metadata={"description": "0: the envelope was read; each record has its own"})
    results = fields.List(fields.Nested(InboundResult))
