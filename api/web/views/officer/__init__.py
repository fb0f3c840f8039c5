"""The officers' pages on one blueprint: the inbox with claim and hand-over (`inbox`), a step (`task`), a dossier
and its lifecycle actions (`dossier`, with the panel both share in `panel`), assignment and priority (`assign`), the
dossier register and its CSV, form 07 (`register`)."""

from . import assign, dossier, inbox, register, task  # noqa: F401  (importing them registers their routes)
from .blueprint import bp

__all__ = ["bp"]
