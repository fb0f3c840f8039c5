"""The web server: gunicorn, configured from the settings, running `api.create_app` in each worker process (the
master only manages workers: no application or procedure code runs in it)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from engine.config import Settings

WORKER_CLASS = "api.serving.worker.BufferingWorker"


def gunicorn_options(settings: Settings, bind: str, workers: int) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "threads": settings.threads,
        "accesslog": "-",
        # a worker whose loop is silent this long is restarted; requests themselves end at the app's own deadline
        # (MOTCUA_REQUEST_TIMEOUT, a 503 problem), well before
        "timeout": max(30, int(settings.request_timeout) + 5),
        "graceful_timeout": 30,
        "keepalive": 5,
        # a request line and header fields of the sizes gunicorn allows by default, said here so they are known
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "control_socket_disable": True,  # gunicorn 27's control socket sits at one path per user: no two servers
    }


class WebServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, bind: str, workers: int) -> None:
        self.settings = settings  # the worker class reads its timeouts from here
        self.options = gunicorn_options(settings, bind, workers)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:  # in each worker, after the fork
        from api import create_app

        return create_app(self.settings)


def run_web(settings: Settings, bind: str, workers: int) -> None:
    WebServer(settings, bind, workers).run()
