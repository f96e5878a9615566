# The two commands of the README: `make run` and `make test`. Everything else is a step of those.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-dev

.PHONY: run test lint bench services clean

run: $(STAMP)
	$(VENV)/bin/payout-service run

test: $(STAMP)
	@eval "$$(scripts/test-services)" && $(VENV)/bin/pytest $(PYTEST_ARGS)
	$(MAKE) lint

lint: $(STAMP)
	$(VENV)/bin/ruff check payout_service actors tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	@eval "$$(scripts/test-services)" && $(PY) -m bench.run_all

services:
	@scripts/test-services

$(STAMP): pyproject.toml
	@scripts/python-venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) var
