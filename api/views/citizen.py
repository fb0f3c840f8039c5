"""The citizen's return trips in the API: the answer to a supplement request (code and PIN), a lost PIN sent again
to the contact on file; and the officers' view of a dossier's supplement requests. Accepting a supplement or
asking again are the lifecycle actions `supplement_received` and `request_supplement_again`."""

from __future__ import annotations

from flask import Blueprint, request, url_for

from engine.dossiers.attachments import Upload, UploadLimits
from engine.dossiers.supplement_upload import submit_supplement
from engine.dossiers.supplements import SupplementView, supplements_of
from engine.scheduling.pin_resend import resend_pin

from ..auth import current_actor, login_required
from ..clients import client_address
from ..operations import operation, respond
from ..schemas import citizen as schemas
from ..services import request_uow, services
from .portal_api import uploads_from_request

bp = Blueprint("citizen", __name__)
RESENT = ("If the code exists and has a phone number or e-mail on file, a new PIN was sent there; the old PIN no "
          "longer works.")

def supplement_from_request(code: str, pin: str | None, note: str | None,
                            extra: list[Upload] | None = None) -> SupplementView:
    """The applicant's files from this multipart request, for the open supplement request (shared with the page,
    which adds its "other document" row as `extra`)."""
    settings = services().settings
    limits = UploadLimits(settings.upload_max_bytes, settings.upload_max_files, settings.upload_max_files_per_document)
    return submit_supplement(request_uow(), code, pin, client_address(), uploads_from_request() + (extra or []),
                             note, settings.upload_dir, limits)


@bp.post("/public/dossiers/<code>/supplement")
@operation("The applicant answers a supplement request: multipart/form-data with `pin` (the tracking PIN), an "
           "optional `note`, and one file part per document, named `file:<document code>` (PDF, JPEG or PNG by "
           "content, the online submission's size and count limits). Every document the request names must come "
           "(once, over one or more sends). A wrong PIN is the same 404 as an unknown code, and counts as a "
           "failed look-up (429 past the tracking limits). 409 when no supplement is waiting. Reception then "
           "accepts (`supplement_received`, the clock resumes) or asks again.", tag="public", public=True,
           responses={201: schemas.SupplementOut(), 404: "unknown code or wrong PIN",
                      409: "no supplement is requested", 413: "the request is larger than the server accepts",
                      422: "missing or refused files", 429: "too many failed look-ups"})
def public_supplement(code: str):  # type: ignore[no-untyped-def]
    found = supplement_from_request(code, request.form.get("pin"), request.form.get("note"))
    return respond(schemas.SupplementOut, found, 201)


@bp.post("/public/dossiers/<code>/pin")
@operation("A lost PIN: a new one is set (the old one stops working) and sent by SMS and e-mail to the contact on "
           "the dossier. The answer is the same 202 whether or not the code exists or has a contact, and never "
           "says where it went. At most 5 asks an hour per client address (429 after), and 3 new PINs a day per "
           "dossier (further asks are answered alike and do nothing).", tag="public", public=True,
           body=schemas.PinResendIn(), responses={202: schemas.Accepted(), 429: "too many asks from this address"})
def public_pin(code: str):  # type: ignore[no-untyped-def]
    resend_pin(request_uow(), code, client_address(), services().settings.public_url)
    return respond(schemas.Accepted, {"detail": RESENT}, 202)


def officer_views(code: str) -> list[dict[str, object]]:
    """The dossier's supplement requests with download links, for the API and the dossier page."""
    dossier, views = supplements_of(request_uow(), current_actor(), code)
    return [{"request": v.request, "documents": v.documents,
             "files": [{**f.__dict__, "url": url_for("portal_api.download_attachment", code=dossier.code,
                                                     attachment_id=f.id)} for f in v.files]} for v in views]


@bp.get("/dossiers/<code>/supplements")
@login_required()
@operation("The dossier's supplement requests, newest first: what was asked, the guidance, the state, and the files "
           "the applicant sent online for each (with download links). Officers of the dossier's units.",
           tag="lifecycle", responses={200: schemas.SupplementList(), 404: "unknown dossier"})
def list_supplements(code: str):  # type: ignore[no-untyped-def]
    return respond(schemas.SupplementList, {"items": officer_views(code)})
