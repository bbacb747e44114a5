# The README's two commands: `make run` and `make test`. Both set everything up first.
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_ARGS ?=

.PHONY: run test setup setup-dev lint bench

setup:
	@scripts/setup.sh

setup-dev:
	@scripts/setup.sh dev

run: setup
	$(VENV)/bin/linearnets softmax $(RUN_ARGS)

lint: setup-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src bench

test: lint
	$(PY) -m pytest -q

bench: setup-dev
	$(PY) bench/bench_linreg.py
	$(PY) bench/bench_data.py
	$(PY) bench/bench_softmax.py
	$(PY) bench/bench_scale.py
	$(PY) bench/bench_startup.py
