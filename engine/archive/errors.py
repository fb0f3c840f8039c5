"""The archive's errors, each with its machine-readable code."""

from __future__ import annotations

from engine.errors import Conflict, NotFound


class ArchiveNotEnded(Conflict):
    title = "The dossier has not ended"
    code = "archive-not-ended"


class ArchiveExists(Conflict):
    title = "The dossier already has its package"
    code = "archive-exists"


class ArchiveMissing(NotFound):
    title = "The dossier has no archive package"
    code = "archive-not-found"
