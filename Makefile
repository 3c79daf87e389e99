# Doorstep: `make demo` to try it, `make test` to check it. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: demo test lint typecheck browser messages run clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Doorstep needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# Browser tests drive Debian's Chromium; install it if it is missing (never a downloaded build).
browser:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

demo: $(VENV)/.installed
	$(BIN)/doorstep demo

run: $(VENV)/.installed
	$(BIN)/doorstep run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check bot tests bench migrations
	$(BIN)/ruff format --check bot

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

test: $(VENV)/.installed-dev browser lint typecheck
	$(BIN)/python -m bot.i18n.check
	# Two workers: most tests wait on sockets, so two halve the time on a 2-core machine.
	$(BIN)/pytest -n 2

messages: $(VENV)/.installed-dev
	$(BIN)/python -m bot.i18n.check --update

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts
