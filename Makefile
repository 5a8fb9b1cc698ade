# deskterm: two commands to start (make run, make test). Nothing is reinstalled
# unless pyproject.toml changed: the stamp files remember the last install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := $(CURDIR)/.demo/deskterm-demo.sqlite3

.PHONY: run test bench lint clean compile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Our own modules' bytecode, as pip writes it for an installed package's. An editable
# install writes none, and where PYTHONDONTWRITEBYTECODE is set Python never writes it
# either: every run then compiled deskterm's ~30,000 lines again before it could start
# (130-150 ms of a desk's or a command's start on the reference machine). compileall
# rewrites only what changed since, so this costs a few milliseconds when nothing did.
compile: $(VENV)/.installed
	@$(BIN)/python -m compileall -q -j 0 deskterm db bench > /dev/null

run: $(VENV)/.installed compile
	@mkdir -p $(dir $(DEMO_DB))
	@test -f $(DEMO_DB) || $(BIN)/deskterm --db $(DEMO_DB) init --demo
	$(BIN)/deskterm --db $(DEMO_DB)

# Tests run on every core (pytest-xdist); the snapshot tests share one worker (loadgroup).
test: $(VENV)/.installed-test compile
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

bench: $(VENV)/.installed-test compile
	$(BIN)/python -m bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .demo build dist .pytest_cache
