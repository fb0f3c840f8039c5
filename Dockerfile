FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 10001 motcua

COPY pyproject.toml README.md ./
COPY engine ./engine
COPY api ./api
RUN pip install .

COPY processes ./processes
COPY forms ./forms
COPY documents ./documents
COPY config ./config
ENV MOTCUA_PROCESSES_DIR=/app/processes MOTCUA_FORMS_DIR=/app/forms MOTCUA_DOCUMENTS_DIR=/app/documents \
    MOTCUA_CALENDAR_FILE=/app/config/calendar.toml MOTCUA_ORGANISATION_FILE=/app/config/organisation.toml \
    MOTCUA_HOST=0.0.0.0
USER motcua
EXPOSE 8000
CMD ["sh", "-c", "motcua db upgrade && motcua procedures load && motcua calendar load && motcua org load && exec motcua serve"]
