"""The designers' blueprint; its routes are spread over this package's modules by page."""

from flask import Blueprint

from engine.reform.drafts import require_reformer

from ...pages import page_actor

bp = Blueprint("designer", __name__, url_prefix="/designer")


@bp.before_request
def _reformers_only() -> None:
    """The role check of `@page(*DESIGNER_ROLES)` and more: a commune's administrator is no designer."""
    actor = page_actor()
    if actor is not None:  # a visitor is sent to the sign-in page by the view's decorator
        require_reformer(actor)
