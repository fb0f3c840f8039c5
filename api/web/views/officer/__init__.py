"""The officers' pages on one blueprint: the inbox with claim and hand-over (`inbox`), a step (`task`), a dossier
and its lifecycle actions (`dossier`, with the panel both share in `panel`), assignment and priority (`assign`),
the counter's registration of walk-in and postal dossiers (`counter`), the supplements the applicant sent
(`supplement`), and the dossier register and its CSV, form 07 (`register`)."""

from . import (  # noqa: F401  (they register their routes)
    assign,
    counter,
    dossier,
    inbox,
    portal_sync,
    register,
    supplement,
    task,
)
from .blueprint import bp

__all__ = ["bp"]
