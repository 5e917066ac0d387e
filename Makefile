# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench demo clean

# Benchmarks print figures and ratios against a baseline measured in the same run.
BENCHES ?= ingest routing render enrich storm backends state

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps make re-runs fast: reinstall only when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,postgres]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	mkdir -p var
	$(BIN)/visionalert-router serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check router tests
	$(BIN)/mypy router
	$(BIN)/lint-imports
	$(BIN)/vulture

test: $(VENV)/.installed-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	@for b in $(BENCHES); do \
	  if [ -f tests/bench/$$b.py ]; then \
	    echo "== tests/bench/$$b.py"; $(BIN)/python tests/bench/$$b.py $(BENCH_ARGS) || exit 1; \
	  fi; \
	done

demo: $(VENV)/.installed-run
	$(BIN)/visionalert-router demo

clean:
	rm -rf $(VENV) var/*.db* build *.egg-info
