"""The officers' blueprint; its routes are spread over this package's modules by page."""

from flask import Blueprint

bp = Blueprint("officer", __name__)
