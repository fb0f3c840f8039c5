# The whole set-up is `make run` and `make test`: each first checks the system programs it needs (installing
# them with apt as root, or saying the one command to run), then installs into .venv and builds the front-end.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

ASSETS := api/web/static/vendor/.built
NODE_STAMP := frontend/node_modules/.installed

# What scripts/system-deps.sh checks: `test` also needs PostgreSQL and Chromium, `run` (and `assets`) Node.js
# and npm, the others Python's venv only. Taken from the goals so that `make lint test` checks for the tests.
DEPS_FOR := $(if $(filter test,$(MAKECMDGOALS)),test,$(if $(filter run assets,$(MAKECMDGOALS)),run,python))

.PHONY: run test lint bench clean assets system-deps

$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Runs before anything is installed or built (every stamp waits for it), and is a quick no-op when all is there.
system-deps:
	@PYTHON='$(PYTHON)' VENV='$(VENV)' bash scripts/system-deps.sh $(DEPS_FOR)

# Front-end bundles (bpmn-js, form-js, Chart.js) from the npm lockfile; rebuilt when the sources change.
$(NODE_STAMP): frontend/package-lock.json | system-deps
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(ASSETS): $(NODE_STAMP) frontend/build.mjs $(wildcard frontend/src/*) $(wildcard frontend/src/*/*)
	cd frontend && node build.mjs
	touch $(ASSETS)

assets: $(ASSETS)

run: system-deps $(STAMP) $(ASSETS)
	$(BIN)/motcua db upgrade
	$(BIN)/motcua procedures load
	$(BIN)/motcua calendar load
	$(BIN)/motcua org load
	$(BIN)/motcua user seed-demo
	$(BIN)/motcua serve --standins

test: system-deps $(STAMP) $(ASSETS)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache frontend/node_modules api/web/static/vendor api/web/translations
