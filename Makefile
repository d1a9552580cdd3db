# Two commands on a fresh machine (Python 3.11+, Java 17 and Maven on PATH):
#   make demo   install, start the local Neo4j, load the example graph, print a lineage
#   make test   install, run the whole test suite against a real Neo4j
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.provgraph-installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/provgraph demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check service cli cypher examples sdk tests bench
	$(BIN)/ruff format --check service cli cypher examples sdk tests bench
	scripts/mypy.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .lint
