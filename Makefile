# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= data/demo
DEMO_MISSING ?= 3000

.PHONY: setup run demo test lint clean

setup:
	bash scripts/setup.sh

## Set everything up, load the demo register and run searches on embedded defaults.
run: setup demo

demo:
	$(BIN)/trackchild demo-data $(DEMO_MISSING) --out $(DEMO_DIR)
	$(BIN)/trackchild ingest $(DEMO_DIR)/records.jsonl
	$(BIN)/trackchild stats
	$(BIN)/trackchild search "rahul kumar" --limit 5
	$(BIN)/trackchild search "राकेश" --limit 5
	$(BIN)/trackchild search "Puja" --kind found --sex F --age-min 6 --age-max 12 --limit 5

## Install what the tests need and run the whole suite (this is what CI runs).
test: setup lint
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
