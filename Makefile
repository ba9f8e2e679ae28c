# One entry point for people and CI. `make check` is exactly what CI runs (.ci/run calls it).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve check test lint typecheck format deps system-deps nautobot bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

deps: $(STAMP)

# tests/interop: Nautobot in a venv of its own (its Django stack would fight netops'); instant once installed
nautobot: $(STAMP)
	bash scripts/install-nautobot.sh $(VENV)/nautobot

system-deps:
	bash scripts/install-system-deps.sh

## the main job: the lab region and the service over it (Ctrl-C stops both)
demo: deps
	$(BIN)/netops demo --inventory inventory

serve: deps
	$(BIN)/netops serve --inventory inventory

## everything CI checks: lint, format, types, tests (the installs, lint and types side by side: they wait on
## disk and network, or use one core each; the tests after them)
check: deps
	$(MAKE) -j4 --output-sync=target system-deps nautobot lint typecheck
	$(MAKE) test

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: deps
	$(BIN)/mypy

test: deps nautobot
	$(BIN)/pytest -n 4 --durations=20

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: deps
	$(BIN)/python bench/inventory_load.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .netops
