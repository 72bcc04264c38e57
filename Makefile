# Two commands for a new machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test install clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Install everything and serve the demo site at http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/qalam serve examples/demo-site --host 127.0.0.1 --port 8000

## Install everything and run the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Refresh the screenshots the README shows (tests never write into the repository)
screenshots: $(STAMP)
	QALAM_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q tests/web/test_browser.py

clean:
	rm -rf $(VENV) examples/demo-site/.qalam
