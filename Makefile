# The two commands: `make run` (local stack on http://127.0.0.1:8000) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEPS_STAMP := $(VENV)/.deps-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# One apt-get at a time: `make test` installs Chromium while the venv may be installing python3-venv.
APT_GET := flock /tmp/.guichet-apt.lock $(SUDO) apt-get
CHROMIUM := /usr/bin/chromium
# uv installs the pinned requirements in about a third of pip's time (seen here: 32 s against 74 s, bytecode included).
UV_VERSION := 0.13.9

.PHONY: run test lint types unit integration e2e fuzz bench package chromium venv vendor vendor-chime clean

run: venv
	$(BIN)/python -m local

# The suite is CPU-bound on two cores, so it runs as parallel streams that keep both cores busy:
# - the integration tests, at normal priority: the longest chain (one interpreter lock runs the tests and moto's
#   server; its long races start niced children, tests/conftest.py);
# - the browser tests in two processes, niced: they mostly wait on timers, Chromium and their local stacks
#   (`--dist loadfile` keeps each file's tests in order in one process);
# - the unit tests and the fuzzing, niced;
# - mypy, niced, beside them (ruff runs first: a lint error stops everything at once).
# The reports follow the integration run's; any stream failing fails the target. Chromium's apt install and the
# Python install run side by side (-j2); the project's modules are compiled once, as the e2e tests start many Python
# processes and an environment with PYTHONDONTWRITEBYTECODE would compile them in each.
test:
	@$(MAKE) --no-print-directory -j2 venv chromium
	@$(MAKE) --no-print-directory lint
	@$(BIN)/python -m compileall -q -j0 app.py chalicelib local tests bench > /dev/null
	@nice -n 3 $(BIN)/python -m pytest tests/e2e -n 2 --dist loadfile -q -p no:cacheprovider --durations=15 \
		> .e2e-run.log 2>&1 & browsers=$$!; \
	nice -n 3 $(BIN)/python -m pytest tests/unit tests/fuzz -q -p no:cacheprovider --durations=10 \
		> .unit-fuzz-run.log 2>&1 & quick=$$!; \
	nice -n 3 $(BIN)/mypy chalicelib app.py > .types-run.log 2>&1 & types=$$!; \
	$(BIN)/python -m pytest tests/integration -q -p no:cacheprovider --durations=15; integration=$$?; \
	wait $$types; types=$$?; echo "--- types (mypy)"; cat .types-run.log; \
	wait $$quick; quick=$$?; echo "--- the unit tests and the fuzzing (tests/unit, tests/fuzz)"; cat .unit-fuzz-run.log; \
	wait $$browsers; e2e=$$?; echo "--- the browser tests (tests/e2e)"; cat .e2e-run.log; \
	exit $$(( integration != 0 || types != 0 || quick != 0 || e2e != 0 ))

lint: venv
	$(BIN)/ruff check .

types: venv
	$(BIN)/mypy chalicelib app.py

unit: venv
	$(BIN)/python -m pytest tests/unit -q

integration: venv
	$(BIN)/python -m pytest tests/integration -q

e2e: venv chromium
	$(BIN)/python -m pytest tests/e2e -n 2 --dist loadfile -q

# Property-based fuzzing of every REST route and WebSocket frame (docs/testing.md); GUICHET_FUZZ_SEED=<n> replays a run.
fuzz: venv
	$(BIN)/python -m pytest tests/fuzz -q

bench: venv
	$(BIN)/python -m bench

package: venv
	$(BIN)/chalice package --stage $${STAGE:-dev} --merge-template infra/template.yaml out/

venv: $(DEPS_STAMP) $(BIN)/guichet

# The project itself, editable, for its console script `guichet` (the operator CLI, docs/deploy.md); offline.
$(BIN)/guichet: pyproject.toml | $(DEPS_STAMP)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .

$(DEPS_STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	@if ! $(PYTHON) -m venv --help >/dev/null 2>&1 || ! $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; then \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq python3-venv; fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements-dev.txt
	rm -f $(VENV)/.deps-* && touch $@

# Front-end libraries (web/vendor/README.md), committed so that `make run` needs no network: refetched, pinned, from npm.
# axe-core is for the accessibility tests only (tests/e2e/axe/README.md); the product never loads it.
HTM_VERSION := 3.1.1
PREACT_VERSION := 10.29.8
AXE_VERSION := 4.14.1
# uPlot draws the Reports' charts (issue 15): its ES module and stylesheet, as published.
UPLOT_VERSION := 1.6.32
# amazon-chime-sdk-js has no browser build: vendor-chime bundles it with rollup (web/vendor/build/chime-sdk.sh).
CHIME_SDK_VERSION := 3.32.0
ROLLUP_VERSION := 4.69.3
ROLLUP_NODE_RESOLVE_VERSION := 16.0.3
ROLLUP_COMMONJS_VERSION := 29.0.3
ROLLUP_JSON_VERSION := 6.1.0
ROLLUP_TERSER_VERSION := 1.0.2
vendor: vendor-chime
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent htm@$(HTM_VERSION) preact@$(PREACT_VERSION) axe-core@$(AXE_VERSION) \
	   uplot@$(UPLOT_VERSION) >/dev/null && \
	 mkdir htm preact axe uplot && tar xzf htm-$(HTM_VERSION).tgz -C htm && \
	 tar xzf preact-$(PREACT_VERSION).tgz -C preact && tar xzf axe-core-$(AXE_VERSION).tgz -C axe && \
	 tar xzf uplot-$(UPLOT_VERSION).tgz -C uplot) && \
	mkdir -p web/vendor && \
	cp "$$tmp/htm/package/preact/standalone.module.js" web/vendor/htm-preact-standalone.module.js && \
	cp "$$tmp/htm/package/LICENSE" web/vendor/LICENSE-htm && \
	cp "$$tmp/preact/package/LICENSE" web/vendor/LICENSE-preact && \
	cp "$$tmp/uplot/package/dist/uPlot.esm.js" "$$tmp/uplot/package/dist/uPlot.min.css" web/vendor/ && \
	cp "$$tmp/uplot/package/LICENSE" web/vendor/LICENSE-uplot && \
	mkdir -p tests/e2e/axe && \
	cp "$$tmp/axe/package/axe.min.js" tests/e2e/axe/axe.min.js && \
	cp "$$tmp/axe/package/LICENSE" tests/e2e/axe/LICENSE && \
	sha256sum web/vendor/htm-preact-standalone.module.js web/vendor/uPlot.esm.js web/vendor/uPlot.min.css \
	  tests/e2e/axe/axe.min.js

vendor-chime:
	web/vendor/build/chime-sdk.sh $(CHIME_SDK_VERSION) $(ROLLUP_VERSION) $(ROLLUP_NODE_RESOLVE_VERSION) \
	  $(ROLLUP_COMMONJS_VERSION) $(ROLLUP_JSON_VERSION) $(ROLLUP_TERSER_VERSION)

# Browser tests drive Debian's chromium through Playwright; Playwright never downloads a browser here.
chromium:
	@test -x $(CHROMIUM) || { $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium; }

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
