# Front-end bundles (bpmn-js, form-js, Chart.js) from the committed npm lockfile.
FROM node:20-slim AS assets
WORKDIR /build
COPY frontend/package.json frontend/package-lock.json frontend/
RUN cd frontend && npm ci --no-audit --no-fund
COPY frontend frontend
RUN mkdir -p api/web/static && cd frontend && node build.mjs

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 10001 motcua
# WeasyPrint (official documents as PDF/A) loads Pango and HarfBuzz's subsetter
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY engine ./engine
COPY api ./api
COPY --from=assets /build/api/web/static/vendor ./api/web/static/vendor
RUN pip install . && python -c "from api.web.i18n import compile_catalogs; compile_catalogs()"

COPY processes ./processes
COPY forms ./forms
COPY documents ./documents
COPY config ./config
ENV MOTCUA_PROCESSES_DIR=/app/processes MOTCUA_FORMS_DIR=/app/forms MOTCUA_DOCUMENTS_DIR=/app/documents \
    MOTCUA_CALENDAR_FILE=/app/config/calendar.toml MOTCUA_ORGANISATION_FILE=/app/config/organisation.toml \
    MOTCUA_HOST=0.0.0.0
# the audit checkpoints' volume (docker-compose.yml) takes this directory's owner when first created
RUN mkdir -p /app/var/audit /app/var/documents && chown -R motcua /app/var
USER motcua
EXPOSE 8000
CMD ["sh", "-c", "motcua db upgrade && motcua procedures load && motcua calendar load && motcua org load && exec motcua serve"]
