# os10-harvest: every target sets itself up (venv + pinned install) on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench lock clean airflow

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test,rdf,airflow]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/os10 demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Airflow standalone with the simulated partners; prints the UI address and login.
airflow: $(STAMP)
	$(BIN)/python -m scheduling.local

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench

# Re-resolve the pinned lock (needs the registries; Airflow's constraints file is not reachable here).
lock:
	rm -rf /tmp/os10-lock && $(PYTHON) -m venv /tmp/os10-lock
	/tmp/os10-lock/bin/pip install --quiet -e '.[test,rdf,airflow]'
	( echo '# Pinned lock for os10-harvest (Airflow constraints cannot be fetched here; this is ours).'; \
	  echo '# Regenerate: make lock'; /tmp/os10-lock/bin/pip freeze --exclude-editable ) > requirements.lock

clean:
	rm -rf $(VENV) data .pytest_cache
