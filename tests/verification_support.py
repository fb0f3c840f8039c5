"""Signed PDFs for the verification tests: a small PDF made here, signed with the demo PKI's keys (Part S's
tests/pki_support.py) through pyHanko, a tampered copy, and a dossier's result issued directly (the row Part L's
lifecycle would leave: an issued ResultDocument naming the signed PDF in the document store)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps
from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.rendering.store import store_document
from engine.results.models import ResultDocument
from engine.signing.aio import run_sync

PASSWORD = b"motcua-demo"
TEXT = "GIAY CHUNG NHAN DANG KY HO KINH DOANH"


def minimal_pdf(text: str = TEXT) -> bytes:
    """A one-page A4 PDF with a line of text, its cross-reference table right (pyHanko appends to it)."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def sign_with(pdf: bytes, p12: Path, tsa_url: str | None, field: str = "Signature") -> bytes:
    """One more signature revision by the PKCS#12's key, timestamped when a TSA is given."""
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD)
    assert signer is not None, p12
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    pdf_signer = signers.PdfSigner(signers.PdfSignatureMetadata(field_name=field), signer=signer,
                                   timestamper=timestamper)
    out = run_sync(pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), output=BytesIO()))
    return out.getvalue()


def tampered(pdf: bytes, text: str = TEXT) -> bytes:
    """The same file with one byte of the signed page text changed (its length, so every offset, kept)."""
    at = pdf.index(text.encode())
    return pdf[:at] + b"X" + pdf[at + 1:]


def issue(app: Flask, code: str, pdf: bytes) -> int:
    """The dossier's result issued electronically with this signed PDF, as Part L's lifecycle ends; audited like
    it (`result_issued`), so the portal sync queues its message. Returns the rendered document's id."""
    services = app.extensions["motcua"]
    with services.uow() as uow:
        dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        document = store_document(uow, dossier.id, "result-signed", pdf, None)
        now = uow.clock()
        found = uow.session.scalars(select(ResultDocument).where(ResultDocument.dossier_id == dossier.id)).first()
        if found is None:
            found = ResultDocument(dossier_id=dossier.id, number=f"1/{code}", created_at=now, attempts=0)
            uow.session.add(found)
        values: dict[str, Any] = {"state": "issued", "signed_id": document.id, "issued_at": now, "updated_at": now}
        for name, value in values.items():
            setattr(found, name, value)
        uow.record(None, "result_issued", "dossier", code, dossier_id=dossier.id, unit=dossier.competent_unit)
        uow.commit()
        return document.id
