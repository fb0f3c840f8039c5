"""The archive's settings, from MOTCUA_ARCHIVE_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import PROJECT_ROOT


def _float(name: str, default: str) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class ArchiveSettings:
    # where the packages are written (one .zip per dossier)
    directory: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_ARCHIVE_DIR", PROJECT_ROOT / "var" / "archive")))
    # (how often the scheduler's "archive" job runs is engine.config.Settings.archive_interval)
    # years a package is kept after the dossier ended, unless the procedure says otherwise ([archive])
    retention_years: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_ARCHIVE_RETENTION_YEARS", "10")))
    # dossiers packed (and packages purged) per run
    batch: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_ARCHIVE_BATCH", "20")))
    # the largest package `motcua archive verify` inflates (all its files together)
    max_bytes: int = field(default_factory=lambda: int(_float("MOTCUA_ARCHIVE_MAX_MB", "1024") * 1024 * 1024))

    @classmethod
    def from_env(cls) -> ArchiveSettings:
        return cls()
