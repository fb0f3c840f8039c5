"""The app's runtime (engine, session factory, caches, clock: `engine.runtime`) and the request's unit of work."""

from __future__ import annotations

from flask import Flask, current_app, g, request

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


def public_url() -> str:
    """The site's public address, without a trailing slash: MOTCUA_PUBLIC_URL, or else the address this request
    came to (scheme, host and port as the browser used them; behind nginx, its `Host` as the client sent it)."""
    configured = services().settings.public_url
    return (configured or request.host_url).rstrip("/")
