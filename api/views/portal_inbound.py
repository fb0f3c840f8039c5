"""The national public service portal forwards dossiers submitted there (contract: docs/portal-sync.md).

A machine caller: no session, no CSRF, no officer account. It is let in by the bearer token
MOTCUA_PORTAL_INBOUND_TOKEN (compared in constant time); with the variable unset the path answers 404, as if it
did not exist. Each record is taken or refused on its own (its own transaction): one refused record never stops
the others."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, g, request

from connectors.portal.inbound import RecordError, inbound_token, read_record
from engine.errors import BadRequest, NotFound, Unauthorized, ValidationFailed
from engine.sync.inbound import PortalRefused, receive_from_portal

from ..operations import operation, respond
from ..problems import problem
from ..schemas import portal_inbound as schemas
from ..services import request_uow

bp = Blueprint("portal_inbound", __name__)
F = TypeVar("F", bound=Callable[..., Any])
MAX_BYTES = 1024 * 1024  # 100 records of a few kilobytes each, with room to spare


def portal_caller(view: F) -> F:
    """The door, before the body is read: the path is on, the token is the portal's, the body is not too large.
    An envelope that fails its schema is a 400 here (the records inside are judged one by one)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        expected = inbound_token()
        if expected is None:
            raise NotFound("the portal's inbound path is off (MOTCUA_PORTAL_INBOUND_TOKEN is not set)")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise Unauthorized("the portal's bearer token is missing or wrong")
        if request.content_length is None:
            return problem(411, "length-required", "Length required", "send the body with a Content-Length")
        if request.content_length > MAX_BYTES:
            return problem(413, "request-entity-too-large", "Request entity too large",
                           f"the body is larger than {MAX_BYTES} bytes; send at most {schemas.MAX_RECORDS} "
                           "records at a time", max_bytes=MAX_BYTES)
        try:
            return view(*args, **kwargs)
        except ValidationFailed as exc:
            raise BadRequest("the envelope is not valid: send {\"data\": [record, ...]}",
                             errors=exc.errors) from None

    return wrapper  # type: ignore[return-value]


@bp.post("/portal/inbound")
@portal_caller
@operation("The national public service portal forwards dossiers submitted there. Bearer token: "
           "MOTCUA_PORTAL_INBOUND_TOKEN (unset: 404). Body `{data: [record, ...]}`, at most "
           f"{schemas.MAX_RECORDS} records and {MAX_BYTES} bytes. Each record becomes an online dossier waiting "
           "for the competent unit's reception, or is refused with a reason in Vietnamese (`error_code` 1); a record "
           "forwarded again (same MaHoSo) returns its dossier with `created` false and changes nothing.",
           tag="portal", public=True, body=schemas.InboundIn(),
           responses={200: schemas.InboundOut(), 400: "malformed JSON or an invalid envelope",
                      401: "missing or wrong bearer token", 404: "the inbound path is off",
                      411: "no Content-Length", 413: "the body is too large"})
def inbound() -> Response:
    return respond(schemas.InboundOut, {"error_code": 0, "results": [_one(r) for r in g.body["data"]]})


def _one(record: Any) -> dict[str, Any]:
    code = record.get("MaHoSo") if isinstance(record.get("MaHoSo"), str) else None
    uow = request_uow()
    try:
        dossier, created = receive_from_portal(uow, read_record(record))
    except (RecordError, PortalRefused) as exc:
        uow.session.rollback()
        reason = str(exc) if isinstance(exc, RecordError) else exc.detail
        errors = exc.errors if isinstance(exc, PortalRefused) else None
        return {"MaHoSo": code, "SoBienNhan": None, "created": False, "error_code": 1, "reason": reason,
                "errors": errors}
    return {"MaHoSo": dossier.portal_code, "SoBienNhan": dossier.code, "created": created, "error_code": 0,
            "reason": None, "errors": None}
