"""A dossier's archive package (GET /dossiers/<code>/archive)."""

from __future__ import annotations

from marshmallow import Schema, fields

from .common import LocalDateTime


class ArchiveOut(Schema):
    dossier_code = fields.String()
    state = fields.String(metadata={"description": "made (the .zip is kept) or purged (past keep_until, deleted)"})
    created_at = LocalDateTime(metadata={"description": "when the package was made"})
    keep_until = LocalDateTime(metadata={"description": "kept until: the dossier's end + the retention"})
    size = fields.Integer(metadata={"description": "the .zip's size in bytes"})
    sha256 = fields.String(metadata={"description": "the .zip's SHA-256"})
    verified_at = LocalDateTime(allow_none=True, metadata={"description": "the last `motcua archive verify` "
                                                                          "that passed"})
    purged_at = LocalDateTime(allow_none=True)
    download = fields.String(allow_none=True, metadata={"description": "where to download it (made packages)"})
