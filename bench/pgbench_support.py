"""What the PostgreSQL benchmarks share: a throwaway server with a migrated database and an app on it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

from api import create_app  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from tests import pgserver  # noqa: E402


@contextmanager
def postgres_app(database: str, **overrides: Any) -> Iterator[Flask]:
    server = pgserver.start(durable=True)
    try:
        url = server.create_database(database)
        upgrade(url)
        app = create_app(Settings().with_overrides(database_url=url, secret_key="bench", **overrides))
        try:
            yield app
        finally:
            app.extensions["motcua"].engine.dispose()
    finally:
        server.stop()
