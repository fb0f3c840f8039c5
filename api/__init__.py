"""Motcua's HTTP layer: the app factory. Views are thin; the work happens in `engine`."""

from __future__ import annotations

import orjson
from flask import Flask, Response

from engine.config import Settings
from engine.dossiers.codes import check_pattern
from engine.runtime import Runtime
from engine.time.clock import Clock

from .clients import proxy_networks
from .compression import init_compression
from .deadline import disarm_when_answered, init_deadline
from .health import init_health
from .integers import BoundedIntConverter
from .openapi import build_spec
from .operations import reject_nul_in_url
from .problems import register_error_handlers
from .services import init_request_uow
from .views.procedures import ProcedureCodeConverter
from .web import init_web

API_PREFIX = "/api/v1"
FORM_FIELDS = 100  # room for the non-file fields of any form beside the files


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.url_map.converters["procedure"] = ProcedureCodeConverter
    init_deadline(app, settings.request_timeout)  # first, so the deadline is armed before any other work
    app.config.update(SECRET_KEY=settings.secret_key, TOKEN_TTL=settings.token_ttl_seconds,
                      MAX_CONTENT_LENGTH=settings.request_max_bytes, JSON_SORT_KEYS=False,
                      # a multipart body with far more parts than a submission may carry files is refused (413)
                      # while it is read, before its parts are spooled; the engine counts the files exactly
                      MAX_FORM_PARTS=settings.upload_max_files + FORM_FIELDS)
    check_pattern(settings.dossier_code_pattern)
    proxy_networks(settings.trusted_proxies)  # a malformed MOTCUA_TRUSTED_PROXIES stops the start, not a request
    app.extensions["motcua"] = Runtime.from_settings(settings, clock)
    init_request_uow(app)
    register_error_handlers(app)
    init_compression(app)  # registered first so that it runs last, after the pages' own headers
    init_web(app, app.extensions["motcua"])
    app.before_request(reject_nul_in_url)
    init_health(app)

    from .views import (
        archive,
        auth,
        calendar,
        catalogue,
        citizen,
        citizen_dossiers,
        dossiers,
        lifecycle,
        organisation,
        payments,
        population,
        portal_api,
        portal_inbound,
        portal_sync,
        procedure_design,
        procedures,
        public,
        reform,
        rendered,
        results,
        scheduling,
        stats,
        tasks,
        verification,
    )

    for bp in (auth.bp, procedures.bp, reform.bp, procedure_design.bp, dossiers.bp, lifecycle.bp, tasks.bp,
               public.bp, stats.bp, calendar.bp, organisation.bp, scheduling.bp, portal_api.bp, citizen.bp,
               portal_sync.bp, portal_inbound.bp, catalogue.bp, population.bp, payments.bp, rendered.bp,
               citizen_dossiers.bp, results.bp, verification.bp, archive.bp):
        app.register_blueprint(bp, url_prefix=API_PREFIX)

    spec_cache: dict[str, bytes] = {}

    @app.get(f"{API_PREFIX}/openapi.json")
    def openapi() -> Response:
        if "doc" not in spec_cache:
            spec_cache["doc"] = orjson.dumps(build_spec(app))
        return Response(spec_cache["doc"], mimetype="application/json")

    disarm_when_answered(app)  # last: the first thing done once a view has answered
    return app
