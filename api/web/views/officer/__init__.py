"""The officers' pages on one blueprint: the inbox with claim and hand-over (`inbox`), a step (`task`), a dossier
and its lifecycle actions (`dossier`, with the panel both share in `panel`), assignment and priority (`assign`),
the counter's registration of walk-in and postal dossiers (`counter`), and the supplements the applicant sent
(`supplement`)."""

from . import assign, counter, dossier, inbox, supplement, task  # noqa: F401  (importing them registers their routes)
from .blueprint import bp

__all__ = ["bp"]
