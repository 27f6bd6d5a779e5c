# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= data/demo
DEMO_MISSING ?= 3000

.PHONY: setup browser run demo serve test lint clean

setup:
	bash scripts/setup.sh

DEMO_USER ?= demo
DEMO_PASSWORD ?= demo-password-2026

## Set everything up, load the demo register, run searches, then serve the API with a demo login.
run: setup demo serve

demo:
	$(BIN)/trackchild db upgrade  # a data dir from an older release is migrated; a new one is created
	$(BIN)/trackchild demo-data $(DEMO_MISSING) --out $(DEMO_DIR)
	$(BIN)/trackchild ingest $(DEMO_DIR)/records.jsonl
	$(BIN)/trackchild stats
	$(BIN)/trackchild search "rahul kumar" --limit 5
	$(BIN)/trackchild search "राकेश" --limit 5
	$(BIN)/trackchild search "Puja" --kind found --sex F --age-min 6 --age-max 12 --limit 5
	$(BIN)/trackchild match $$(head -1 $(DEMO_DIR)/truth.jsonl | sed 's/.*"found": "\([^"]*\)".*/\1/') --top 3
	$(BIN)/trackchild match --all --queue --out $(DEMO_DIR)/matches.jsonl
	TRACKCHILD_NEW_USER_PASSWORD=$(DEMO_PASSWORD) $(BIN)/trackchild user add $(DEMO_USER) --role admin || true
	# a station and a home of the demo's Patna, by the unit codes the demo records carry (rights follow the code)
	TRACKCHILD_NEW_USER_PASSWORD=$(DEMO_PASSWORD) $(BIN)/trackchild user add $(DEMO_USER)-police --role police --state Bihar \
		--district Patna --unit "Patna Kotwali" --unit-code PS-PATNA-KOTWALI || true
	TRACKCHILD_NEW_USER_PASSWORD=$(DEMO_PASSWORD) $(BIN)/trackchild user add $(DEMO_USER)-cci --role cci --state Bihar \
		--district Patna --unit "Children Home, Patna" --unit-code CCI-PATNA || true

serve:
	@echo "Demo login: $(DEMO_USER) / $(DEMO_PASSWORD) (admin); $(DEMO_USER)-police and $(DEMO_USER)-cci (Patna, same password)  (demo data only; add real users with: trackchild user add)"
	$(BIN)/trackchild serve

## Install what the tests need and run the whole suite (this is what CI runs).
test: setup browser lint
	$(BIN)/python -m pytest

browser:
	bash scripts/install-browser.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
