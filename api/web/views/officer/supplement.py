"""What the applicant sent in answer to supplement requests, for the dossier page's partial
`officer/_supplement.html` (a template global, so the page's view needs no change to show it)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from engine.dossiers.supplements import supplements_of

from ....services import request_uow
from ...pages import page_actor
from .blueprint import bp


@bp.app_template_global("supplement_requests")
def supplement_requests(code: str) -> list[dict[str, Any]]:
    """The dossier's supplement requests, newest first, each with the files sent online and their download links
    (the same scoping as the dossier itself: the page already showed it to this officer)."""
    actor = page_actor()
    if actor is None:
        return []
    _dossier, views = supplements_of(request_uow(), actor, code)
    return [{"request": v.request, "documents": v.documents, "waiting": v.waiting,
             "files": [{"name": f.name, "document": f.document_name, "size": f.size, "at": f.uploaded_at,
                        "url": url_for("portal_api.download_attachment", code=code, attachment_id=f.id)}
                       for f in v.files]} for v in views]
