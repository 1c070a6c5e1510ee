# Two commands for a bare Debian 12 with git, make, python3 and ca-certificates: `make run` and `make test`.
# Each step leaves a stamp only when it finished, so a re-run after any failure picks up where it stopped.
# Debian's own Python when there is one: the README's target, and built with optimisations a
# pyenv build may lack (the suite ran about 10% faster on it here); any python3 otherwise.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
export APP_ENV ?= development

# A failed recipe leaves no half-made target behind.
.DELETE_ON_ERROR:
.PHONY: run test bench mutants install install-test system-runtime system-test assets lint clean

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
bench: install-test
	time scripts/bench.sh $(SIZES) $(DATABASES)

# One-line mutations of the important rules; reports which the suite catches (not part of make test).
mutants: install-test
	$(BIN)/python scripts/mutants.py

install: system-runtime $(VENV)/.runtime node_modules/.installed static/css/app.css

install-test: system-test install $(VENV)/.test tests/oidc/node_modules/.installed

# Debian packages first: python3-venv, Node.js and the PDF libraries are needed by every later step.
# Checked against dpkg each time (quick); installs only what is missing.
system-runtime:
	scripts/system-packages.sh runtime

system-test: system-runtime
	scripts/system-packages.sh test

# The stamp is written last: a venv whose creation failed half-way is removed and made again.
$(VENV)/.created: | system-runtime
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.created
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.runtime
	$(BIN)/python -m pip install -q -r requirements-test.txt
	touch $@

# Optional packages are left out: sass's optional file watcher has no use here and builds with node-gyp.
node_modules/.installed: package.json package-lock.json | system-runtime
	npm ci --no-audit --no-fund --omit=optional --loglevel=warn
	touch $@

# The OpenID provider the single sign-on tests start on loopback (oidc-provider 8.x runs on
# Debian 12's Node.js 18). Tests only: `make run` never needs it.
tests/oidc/node_modules/.installed: tests/oidc/package.json tests/oidc/package-lock.json | system-runtime
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=warn
	touch $@

assets: static/css/app.css
static/css/app.css: assets/scss/app.scss node_modules/.installed
	npm run --silent build:css

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules tests/oidc/node_modules static/css/app.css
