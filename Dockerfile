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
ENV MOTCUA_PROCESSES_DIR=/app/processes MOTCUA_FORMS_DIR=/app/forms MOTCUA_HOST=0.0.0.0
USER motcua
EXPOSE 8000
CMD ["sh", "-c", "motcua db upgrade && motcua procedures load && exec motcua serve"]
