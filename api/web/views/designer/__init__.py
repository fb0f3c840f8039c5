"""The designers' and reform officers' pages on one blueprint: procedures, the modeler and the form editor
(`modeler`); diff, what-if, publishing and migration (`review`)."""

from . import modeler, review  # noqa: F401  (importing them registers their routes)
from .blueprint import bp

__all__ = ["bp"]
