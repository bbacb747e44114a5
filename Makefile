# The README's two commands: `make run` and `make test`. Both set everything up first.
VENV ?= .venv
# each path to the venv in double quotes: a VENV="dir with spaces" was split into words, and make ran
# its first word (any program of that name) with the rest as arguments
PY := "$(VENV)/bin/python"
RUN_ARGS ?=

.PHONY: run test setup setup-dev lint bench

setup:
	@scripts/setup.sh

setup-dev:
	@scripts/setup.sh dev

run: setup
	"$(VENV)/bin/linearnets" softmax $(RUN_ARGS)

lint: setup-dev
	"$(VENV)/bin/ruff" check src tests bench
	"$(VENV)/bin/ruff" format --check src tests bench
	"$(VENV)/bin/mypy" src bench

# the tests on every core, at most 8 (each process holds torch), a busy worker's queued tests taken
# by idle ones: 6 minutes on 2 cores, where one process took 11
test: lint
	$(PY) -m pytest -q -n auto --maxprocesses 8 --dist worksteal

bench: setup-dev
	$(PY) bench/bench_linreg.py
	$(PY) bench/bench_data.py
	$(PY) bench/bench_softmax.py
	$(PY) bench/bench_scale.py
	$(PY) bench/bench_startup.py
	$(PY) bench/bench_reload.py
