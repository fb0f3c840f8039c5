"""The designers' blueprint; its routes are spread over this package's modules by page."""

from flask import Blueprint

bp = Blueprint("designer", __name__, url_prefix="/designer")
