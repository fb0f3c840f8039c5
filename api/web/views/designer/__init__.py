"""The designers' and reform officers' pages on one blueprint: procedures, the modeler and the form editor
(`modeler`); diff, what-if, publishing and migration (`review`); a second person's approval (`approval`); new
procedures, import and export (`create`); the legal facts (`legal`); the national catalogue (`catalogue`)."""

from . import approval, catalogue, create, legal, modeler, review  # noqa: F401  (importing them registers their routes)
from .blueprint import bp

__all__ = ["bp"]
