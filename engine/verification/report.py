"""A validation report (engine/signing/validate.py) as plain data: what the public page and the API show.

The headline is one code, most serious first: a file that is no PDF, that carries no signature, whose signed
bytes were changed, whose signer's certificate was revoked, or comes from no trusted service provider, expired,
or is otherwise invalid; "valid" only when every signature is intact, covers the whole file and is trusted.
"""

from __future__ import annotations

from typing import Any

from engine.signing.validate import SignatureReport, ValidationReport

VALID = "valid"
HEADLINES = ("valid", "not_pdf", "no_signature", "changed", "revoked", "unknown_ca", "expired", "invalid")


def headline(report: ValidationReport) -> str:
    if report.ok and report.signatures:
        return VALID
    problem = report.problem if report.problem in HEADLINES else None
    if problem is None:  # the validator said no without a known reason: the first signature's own one
        problem = next((s.problem for s in report.signatures if s.problem in HEADLINES), None)
    return problem or ("no_signature" if not report.signatures else "invalid")


def signature_data(sig: SignatureReport) -> dict[str, Any]:
    return {"field": sig.field, "signer_name": sig.signer_name, "organisation": sig.organisation, "unit": sig.unit,
            "serial": None if sig.serial is None else str(sig.serial), "signed_at": sig.signed_at,
            "timestamped": bool(sig.timestamped), "intact": bool(sig.intact), "covers_whole": bool(sig.covers_whole),
            "trusted": bool(sig.trusted), "revoked": bool(sig.revoked),
            "certificate_valid": bool(sig.trusted and not sig.revoked and sig.problem != "expired"),
            "problem": sig.problem}


def report_data(report: ValidationReport, **extra: Any) -> dict[str, Any]:
    """Plain data: ok, the headline code, the validator's problem and every signature (times are UTC datetimes,
    shown in Vietnam's time by the page and the API)."""
    code = headline(report)
    return {"ok": code == VALID, "headline": code, "problem": None if code == VALID else code,
            "signatures": [signature_data(s) for s in report.signatures], **extra}
