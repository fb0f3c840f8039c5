# The whole set-up is `make run` and `make test`; each installs into .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

ASSETS := api/web/static/vendor/.built
NODE_STAMP := frontend/node_modules/.installed

.PHONY: run test lint bench clean assets

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end bundles (bpmn-js, form-js, Chart.js) from the npm lockfile; rebuilt when the sources change.
$(NODE_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(ASSETS): $(NODE_STAMP) frontend/build.mjs $(wildcard frontend/src/*) $(wildcard frontend/src/*/*)
	cd frontend && node build.mjs
	touch $(ASSETS)

assets: $(ASSETS)

run: $(STAMP) $(ASSETS)
	$(BIN)/motcua db upgrade
	$(BIN)/motcua procedures load
	$(BIN)/motcua calendar load
	$(BIN)/motcua org load
	$(BIN)/motcua user seed-demo
	$(BIN)/motcua serve

test: $(STAMP) $(ASSETS)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache frontend/node_modules api/web/static/vendor api/web/translations
