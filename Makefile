# The two commands of the quick start: `make up` and `make test`.
# Both create the virtualenv (.venv) themselves when it is missing or older than pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: up test lint typecheck layers unit bench bench-storage clean

up: $(VENV)/.run-deps
	$(BIN)/everynode up

test: $(VENV)/.dev-deps
	scripts/ensure-etcd
	scripts/ensure-helm
	$(MAKE) lint typecheck layers
	EVERYNODE_REQUIRE_ETCD=1 EVERYNODE_REQUIRE_HELM=1 $(BIN)/pytest

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.dev-deps
	$(BIN)/mypy

layers: $(VENV)/.dev-deps
	$(BIN)/lint-imports

# The whole cluster on 1,000 simulated nodes (about 2 minutes): results, charts and logs in .bench/cluster-1000.
# Not part of `make test`, which runs the same bench on 50 nodes (tests/e2e/test_bench_cluster.py).
bench: $(VENV)/.dev-deps
	$(BIN)/everynode bench cluster --nodes 1000 --out .bench/cluster-1000

bench-storage: $(VENV)/.dev-deps
	scripts/ensure-etcd
	$(BIN)/everynode bench storage --storage sqlite:///$(CURDIR)/.bench/state.db --ops 20000
	$(BIN)/everynode bench storage --spawn-etcd --ops 20000

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[etcd]'
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-deps

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .bench
