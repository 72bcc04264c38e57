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

DEMO_SITE = .demo-site

## Install everything and serve the demo site at http://127.0.0.1:8000 (editor at /editor/).
## The demo runs on a copy (.demo-site/, git-ignored, with its own history) so that what the
## editor writes never lands in Qalam's repository; demo accounts are for local use only.
demo: $(STAMP)
	@test -d $(DEMO_SITE)/pages || (mkdir -p $(DEMO_SITE) && cp -R examples/demo-site/. $(DEMO_SITE)/ && rm -rf $(DEMO_SITE)/.qalam)
	@$(BIN)/qalam user list --site $(DEMO_SITE) 2>/dev/null | grep -q ' redaktor ' || { \
	  printf '%s\n' 'demo-redaktor-2026' | $(BIN)/qalam user add redaktor --role editor --full-name 'Демо Редактор' --email redaktor@demo.invalid --site $(DEMO_SITE) && \
	  printf '%s\n' 'demo-tilshi-2026' | $(BIN)/qalam user add tilshi --role author --full-name 'Демо Тілші' --email tilshi@demo.invalid --site $(DEMO_SITE) && \
	  printf '%s\n' 'demo-akimshi-2026' | $(BIN)/qalam user add akimshi --role admin --full-name 'Демо Әкімші' --email akimshi@demo.invalid --site $(DEMO_SITE); }
	$(BIN)/qalam serve $(DEMO_SITE) --host 127.0.0.1 --port 8000

PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

## Install everything and run the whole test suite; then the newsroom's tests again against
## PostgreSQL (throwaway databases) where a server runs on 127.0.0.1:5432 (docs/scaling.md)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "--- the newsroom on PostgreSQL ($(PG_TEST_URL))"; \
	  QALAM_TEST_POSTGRES_PASS=$(PG_TEST_URL) $(BIN)/python -m pytest -q -p no:cacheprovider tests/web/test_api.py tests/web/test_editor.py; \
	else echo "--- no PostgreSQL at $(PG_TEST_URL): the PostgreSQL pass is skipped"; fi

## Refresh the screenshots the README shows (tests never write into the repository)
screenshots: $(STAMP)
	QALAM_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q tests/web/test_browser.py

clean:
	rm -rf $(VENV) examples/demo-site/.qalam
