# The two commands of the README: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# shellcheck: the workflow test lints the workflows' shell steps with it, as actionlint would
SYSTEM_PACKAGES := haproxy prometheus shellcheck

.PHONY: test demo preview bench setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	# then the test tools and the cloud SDK extras: about 900 MB of Python of which the tests
	# import little, so it is not byte-compiled ahead (that took about two minutes)
	$(BIN)/pip install --quiet --no-compile -e '.[test]'
	touch $@

setup: $(VENV)/.installed
	./scripts/install-system-packages.sh $(SYSTEM_PACKAGES)

test: setup
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

demo: setup
	$(BIN)/python -m cli.local_demo

preview: setup
	$(BIN)/python -m offline.mocked_preview

bench: setup
	./scripts/install-system-packages.sh wrk
	$(BIN)/python benchmarks/mocked_topology.py
	$(BIN)/python benchmarks/router_latency.py
	$(BIN)/python benchmarks/shift_latency.py
	$(BIN)/python benchmarks/cloud_pools.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
