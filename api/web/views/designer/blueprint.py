"""The designers' blueprint; its routes are spread over this package's modules by page."""

from flask import Blueprint, request

from engine.reform.approval import require_reviewer
from engine.reform.drafts import require_reformer

from ...pages import page_actor

bp = Blueprint("designer", __name__, url_prefix="/designer")
# the pages where a second person decides on a publication: a leader of a top-level unit may be that person
REVIEW_ENDPOINTS = frozenset({"designer.publish_requests", "designer.review_page", "designer.review_submit"})


@bp.before_request
def _reformers_only() -> None:
    """The role check of `@page(*DESIGNER_ROLES)` and more: a commune's administrator is no designer."""
    actor = page_actor()
    if actor is not None:  # a visitor is sent to the sign-in page by the view's decorator
        (require_reviewer if request.endpoint in REVIEW_ENDPOINTS else require_reformer)(actor)
