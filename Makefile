# otpgate: `make run` serves on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# `make run` installs only what running needs; the test tools come with `make test`/`check`.
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp
PIP := $(PY) -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check lint format bench screenshots messages clean

$(PY):
	@echo "make: creating $(VENV) (Python's venv)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	@echo "make: installing otpgate and what it needs to run into $(VENV)"
	@echo "make: (the first time this takes about two minutes; each package is listed as it comes)"
	$(PIP) install --progress-bar on -e .
	touch $(RUN_STAMP)

# axe-core (the accessibility tests' rules) comes from npm, pinned by package-lock.json.
$(DEV_STAMP): pyproject.toml package-lock.json $(RUN_STAMP)
	@echo "make: installing the test and lint tools (pytest, Playwright, ruff, mypy, ...)"
	$(PIP) install --progress-bar on -e '.[dev]'
	@command -v npm >/dev/null || { echo "make: the accessibility tests need npm (apt-get install -y nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund
	touch $(DEV_STAMP)

# Logs for a person at the terminal (set OTPGATE_LOG_FORMAT=json to see what production logs).
run: $(RUN_STAMP)
	OTPGATE_LOG_FORMAT=$${OTPGATE_LOG_FORMAT:-console} $(VENV)/bin/otpgate serve --host $(HOST) --port $(PORT)

test: $(DEV_STAMP) check
	$(PY) -m pytest $(PYTEST_ARGS)

check: $(DEV_STAMP)
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy src/otpgate

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix src tests bench examples
	$(VENV)/bin/ruff format src tests bench examples

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(DEV_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	command -v wrk >/dev/null && command -v haproxy >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy)
	touch $(BENCH_STAMP)

# Load tests stay out of `make test`: otpgate beside a bare twin, on PostgreSQL + Redis.
bench: $(BENCH_STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# The catalogues: every message the code and templates use, added (untranslated) to each
# language's messages.po; tests/i18n fails until each is translated.
messages: $(DEV_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k InvalidInput:2 -k ChangeTooLong:2 --no-location --sort-output -o src/otpgate/locales/messages.pot .
	for lang in de fr; do \
	  $(VENV)/bin/pybabel update -i src/otpgate/locales/messages.pot -d src/otpgate/locales -l $$lang -D messages --init-missing --no-fuzzy-matching --width 100 --ignore-obsolete; \
	done

screenshots: $(DEV_STAMP)
	$(PY) -m tests.browser.screenshots docs/screenshots

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache
