# nbviz — two commands: `make demo` and `make test`. Everything else is a helper target.
SHELL := /bin/bash
PY_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HEADLESS ?=
NPM ?= npm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test setup js chromium lint typecheck pytest vitest browser bench clean

setup: $(VENV)/.stamp-dev

# torch first and pinned (resolves to the local CPU wheel here; a loose spec pulls CUDA builds).
$(VENV)/.stamp-dev: pyproject.toml
	@test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "torch==2.13.0"
	# torchvision 0.28.0 (paired with torch 2.13; a CUDA build) for the graph tests only, kept out of
	# site-packages: see tests/python/torchvision_loader.py
	$(PIP) install -q --no-deps --upgrade --target $(VENV)/torchvision-0.28 "torchvision==0.28.0"
	$(PIP) install -q hatchling hatch-jupyter-builder editables
	$(PIP) install -q --no-build-isolation -e ".[dev,torch]"
	@touch $@

js/node_modules/.stamp: js/package.json js/package-lock.json
	cd js && $(NPM) ci --no-audit --no-fund
	@touch $@

JS_SOURCES := $(shell find js/src -name "*.ts" -o -name "*.css" 2>/dev/null)

nbviz/static/scalars.js: js/node_modules/.stamp $(JS_SOURCES) js/build.mjs
	cd js && $(NPM) run build

js: nbviz/static/scalars.js

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

demo: setup js
ifeq ($(HEADLESS),1)
	$(PY) scripts/report.py notebooks/quickstart.ipynb --out reports/quickstart.html
else
	$(VENV)/bin/jupyter lab notebooks/quickstart.ipynb $(if $(SUDO),,--allow-root)
endif

lint: setup js/node_modules/.stamp
	$(VENV)/bin/ruff check nbviz tests benchmarks scripts
	$(VENV)/bin/mypy
	cd js && $(NPM) run --silent typecheck

pytest: setup js
	$(VENV)/bin/pytest tests/python -q -p no:cacheprovider --durations=12

vitest: js/node_modules/.stamp
	cd js && $(NPM) run --silent test

browser: setup js chromium
	$(VENV)/bin/pytest tests/browser -q -m browser -p no:cacheprovider --durations=12

test: setup js chromium
	$(MAKE) lint
	$(MAKE) vitest
	$(MAKE) pytest
	$(MAKE) browser

bench: setup js
	$(PY) benchmarks/run_all.py

clean:
	rm -rf nbviz/static/*.js reports screenshots
