# The README's two commands: `make run` and `make test`. Both set everything up first.
# ROOT: this Makefile's folder, empty where it is the current one (`make`, `make -C DIR`): `make -f
# DIR/Makefile setup` from another folder ran scripts/setup.sh there ("No such file or directory").
# The scripts are run from it, the checks and tests in it, and a relative VENV is taken in it, as
# scripts/setup.sh does (the run's folder, `make run`'s runs/, stays the current one)
MAKEFILE := $(lastword $(MAKEFILE_LIST))
# make splits the paths it read on spaces: `make -f "/tmp/x sp/Makefile"` gave ROOT /tmp/sp/, which ran
# another folder's scripts (or none). A word of them that is no file is such a path: refused, with the
# way that takes one (from the checkout, and -C, give the path as the folder, read whole). Each word is
# looked up as itself: $(wildcard) reads [ ] * ? \ as a pattern, and -f "p[1]/Makefile" (which matches
# no file, only p1/Makefile) was refused as a path with a space; and word by word, not by
# $(filter-out), which reads % (and \%) as a pattern: -f "a\%b/Makefile" was refused so too
LITERAL = $(subst *,\*,$(subst ?,\?,$(subst ],\],$(subst [,\[,$(subst \,\\,$(1))))))
ifneq ($(strip $(foreach f,$(MAKEFILE_LIST),$(if $(wildcard $(call LITERAL,$(f))),,$(f)))),)
$(error the path given to make -f, "$(strip $(MAKEFILE_LIST))", has a space, which make splits it on; \
run make -C "DIR" instead, DIR the folder holding this Makefile)
endif
ROOT := $(if $(filter ./,$(dir $(MAKEFILE))),,$(dir $(abspath $(MAKEFILE))))
IN_ROOT := $(if $(ROOT),cd "$(ROOT)" && ,)
# ROOT goes into the recipes in double quotes: a $, ` or " in it is run by the shell there (-f
# 'z$(id)/Makefile' ran id), and \\ is read as one \ (another folder's script ran): refused too, in
# one line, before anything is run; the fix names the folder in single quotes, which keep all four
QUOTED := $(strip $(foreach c,$$ ` " \\,$(if $(findstring $(c),$(ROOT)),$(c))))
ifneq ($(QUOTED),)
$(error the path given to make -f, "$(ROOT)$(notdir $(MAKEFILE))", has a $(firstword $(QUOTED)), \
which the shell would read in the commands run from it; run make -C 'DIR' instead, DIR the \
folder holding this Makefile, in single quotes, or rename the folder)
endif
VENV ?= .venv
VENV_DIR = $(if $(filter /%,$(firstword $(VENV))),$(VENV),$(ROOT)$(VENV))
# each path to the venv in double quotes: a VENV="dir with spaces" was split into words, and make ran
# its first word (any program of that name) with the rest as arguments
PY = "$(VENV_DIR)/bin/python"
RUN_ARGS ?=

.PHONY: run test setup setup-dev lint bench

setup:
	@"$(ROOT)scripts/setup.sh"

setup-dev:
	@"$(ROOT)scripts/setup.sh" dev

run: setup
	"$(VENV_DIR)/bin/linearnets" softmax $(RUN_ARGS)

lint: setup-dev
	$(IN_ROOT)"$(VENV_DIR)/bin/ruff" check src tests bench
	$(IN_ROOT)"$(VENV_DIR)/bin/ruff" format --check src tests bench
	$(IN_ROOT)"$(VENV_DIR)/bin/mypy" src bench

# the tests on every core, at most 8 (each process holds torch), a busy worker's queued tests taken
# by idle ones: 6 minutes on 2 cores, where one process took 11
test: lint
	$(IN_ROOT)$(PY) -m pytest -q -n auto --maxprocesses 8 --dist worksteal

bench: setup-dev
	$(IN_ROOT)$(PY) bench/bench_linreg.py
	$(IN_ROOT)$(PY) bench/bench_data.py
	$(IN_ROOT)$(PY) bench/bench_softmax.py
	$(IN_ROOT)$(PY) bench/bench_scale.py
	$(IN_ROOT)$(PY) bench/bench_startup.py
	$(IN_ROOT)$(PY) bench/bench_reload.py
