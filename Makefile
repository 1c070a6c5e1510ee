# Two commands for a fresh Debian machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
export APP_ENV ?= development

.PHONY: run test bench install install-test assets lint clean

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install-test
	scripts/test-all.sh

# Sizes county, region or national; databases sqlite and/or postgresql.
SIZES ?= county,region
DATABASES ?= sqlite,postgresql
bench: $(VENV)/.test
	time scripts/bench.sh $(SIZES) $(DATABASES)

install: $(VENV)/.runtime node_modules/.installed static/css/app.css

install-test: install $(VENV)/.test
	scripts/system-packages.sh test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	scripts/system-packages.sh runtime
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: static/css/app.css
static/css/app.css: assets/scss/app.scss node_modules/.installed
	npm run --silent build:css

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules static/css/app.css
