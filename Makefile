# Two entry points for a newcomer: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint unit engine-tests venv engine emulator clean bench bench-smoke reliability

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@echo "[setup] creating $(VENV) and installing pinned packages (about 2 minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --requirement requirements-dev.txt
	@touch $@

engine:
	@bash scripts/install-engine.sh

## demo: the example program on the demo stack, through the real engine, against the emulator
demo: venv engine
	$(PY) -m devtools.demo

## test: linters, type checks and the whole test suite, engine tests included
test: venv engine lint
	$(PY) -m pytest

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## unit: the tests that need no engine (a quick loop while editing)
unit: venv
	$(PY) -m pytest -m "not engine"

## emulator: serve the emulator on 127.0.0.1:4566 for manual experiments
emulator: venv
	$(PY) -m emulator --port 4566 --speed 60

## bench: time the example program against the engine and API floors (about 12 minutes)
bench: venv engine
	$(PY) -m devtools.bench --sizes 1,10,100,500 --runs 3 --output docs/benchmarks.md

## bench-smoke: one quick run at N=10 for CI; fails on a missed call-count or size target
bench-smoke: venv engine
	$(PY) -m devtools.bench --smoke

## reliability: the whole suite, then its faults, interruptions and checks in docs/reliability.md
reliability: venv engine
	$(PY) -m devtools.reliability --output docs/reliability.md

clean:
	rm -rf .state .mypy_cache .ruff_cache .pytest_cache
