# Kuzet: `make demo` runs the product, `make test` passes the tests. Both start from a bare Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_WORKERS ?= 2

.PHONY: demo test test-fast bench install clean chromium vendor catalogue

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The browser libraries the pages load, from the npm registry at pinned versions (tools/npm_assets.py).
vendor: $(STAMP)
	$(BIN)/python -m tools.npm_assets

install: $(STAMP) vendor

demo: $(STAMP) vendor
	$(BIN)/kuzet demo $(DEMO_ARGS)

# Browser tests drive Debian's Chromium; install it when missing and we are allowed to.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing and cannot be installed here (not root): browser tests will be skipped, or fail under CI=true"; \
	  fi; \
	fi

test: $(STAMP) vendor chromium
	$(BIN)/ruff check --select F,E9 dashboard layouts services tools geodata benchmarks tests
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-fast: $(STAMP) vendor
	$(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS)

bench: $(STAMP) vendor
	$(BIN)/python -m benchmarks $(BENCH)

# The message catalogue: every marked string into messages.pot, and each language's .po brought up to it
# (new messages added untranslated, for the catalogue test to name; translations kept).
CATALOGUE := services/i18n
catalogue: $(STAMP)
	$(BIN)/pybabel extract -F $(CATALOGUE)/babel.cfg -k N_ -k NP_:1c,2 -k kuzetT --sort-by-file --no-wrap \
	  --project Kuzet -o $(CATALOGUE)/messages.pot .
	for l in kk ru en; do \
	  if [ -f $(CATALOGUE)/locales/$$l/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update --no-wrap --no-fuzzy-matching --ignore-obsolete -i $(CATALOGUE)/messages.pot -d $(CATALOGUE)/locales -l $$l; \
	  else $(BIN)/pybabel init --no-wrap -i $(CATALOGUE)/messages.pot -d $(CATALOGUE)/locales -l $$l; fi; \
	done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache kuzet-demo.db* test-artifacts assets/vendor
