"""The app's runtime (engine, session factory, caches, clock: `engine.runtime`) and the request's unit of work."""

from __future__ import annotations

from flask import Flask, current_app, g

from engine.runtime import Runtime
from engine.store.uow import UnitOfWork

Services = Runtime  # what views reach through `services()`


def services() -> Runtime:
    return current_app.extensions["motcua"]


def request_uow() -> UnitOfWork:
    """One unit of work per request, opened on first use and closed (rolled back if uncommitted) at teardown."""
    uow = g.get("uow")
    if uow is None:
        uow = services().uow().__enter__()
        g.uow = uow
    return uow


def init_request_uow(app: Flask) -> None:
    @app.teardown_request
    def _close_uow(exc: BaseException | None) -> None:
        uow = g.pop("uow", None)
        if uow is not None:
            uow.__exit__(None, None, None)
