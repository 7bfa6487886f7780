# The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# HOST=0.0.0.0 listens on the LAN too, to try the app from a phone: http://<this machine's IP>:$(PORT)
HOST ?= 127.0.0.1
# production is the default everywhere else; the demo server runs the development config
FLASK := INCUBATOR_CONFIG=development $(BIN)/flask --app incubator
PO := incubator/translations/vi/LC_MESSAGES/messages.po
MO := $(PO:.po=.mo)

.PHONY: run test lint format translations extract-messages clean dist

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

$(MO): $(PO) | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d incubator/translations -D messages --statistics

translations: $(MO)

run: $(VENV)/.installed $(MO)
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	@echo ""
	@echo "Demo logins (password demo1234):"
	@echo "  admin@incubator.test   administrator"
	@echo "  manager@biic.test      center manager, BIIC"
	@echo "  manager@smic.test      center manager, SMIC"
	@echo "  mentor@biic.test       mentor and judge"
	@echo "  judge@biic.test        judge"
	@echo "  founder@biic.test      founder (BIIC startup)"
	@echo "  founder@smic.test      founder (SMIC startup)"
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)"
	HOST=$(HOST) PORT=$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

# pytest-xdist: one worker per core (PYTEST_WORKERS=0 runs in this process); each worker
# takes the next test when it is free, the longest ones first (tests/conftest.py).
# PYTEST_ARGS adds to it, e.g. PYTEST_ARGS='-m "not e2e"' or PYTEST_ARGS=--run-slow.
PYTEST_WORKERS ?= auto
test: $(VENV)/.installed-test $(MO)
	$(BIN)/ruff check incubator tests migrations config.py setup.py bench
	$(BIN)/ruff format --check incubator tests migrations config.py setup.py bench
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix incubator tests migrations config.py setup.py bench
	$(BIN)/ruff format incubator tests migrations config.py setup.py bench

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o /tmp/incubator-messages.pot .
	$(BIN)/pybabel update -i /tmp/incubator-messages.pot -d incubator/translations -D messages --no-fuzzy-matching

# the artifact: dist/incubator-*.tar.gz and the wheel built from it (catalogs compiled inside)
dist: $(VENV)/.installed-test
	$(BIN)/python -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) instance/incubator.db* dist
