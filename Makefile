# The two commands: `make run` (install, migrate, demo data, web server + delivery worker) and
# `make test` (ruff, mypy, the whole pytest suite). Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test install lint typecheck pytest bench demo clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Relais needs Python 3.11 or newer.") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py relais_run --port $(PORT)

demo: install
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

# The benchmarks, the load test (locust, pinned in bench/requirements.lock) and their tables.
# BENCH_ARGS: e.g. --quick, or --scale 100k.
$(VENV)/.bench-installed: bench/requirements.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.lock
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles test-artifacts
