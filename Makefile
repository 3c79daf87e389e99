# Doorstep: `make demo` to try it, `make test` to check it. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every package pinned with its hashes (deploy/requirements*.lock, written by `make lock`).
LOCK := deploy/requirements.lock
DEV_LOCK := deploy/requirements-dev.lock
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: demo test test-at faketime lint typecheck browser messages run lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Doorstep needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

# The locked packages first (pip refuses any whose hash differs), then Doorstep itself.
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

# Browser tests drive Debian's Chromium; install it if it is missing (never a downloaded build).
browser:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# `make test-at` runs Chromium under libfaketime (Debian's faketime package); install it if missing.
faketime:
	@[ -x /usr/bin/faketime ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq faketime; }

# `make demo PORT=8081` when 8080 is taken; `make demo KEEP=1` reuses last time's data.
demo: $(VENV)/.installed
	$(BIN)/doorstep demo $(if $(PORT),--web-port $(PORT)) $(if $(KEEP),--keep)

run: $(VENV)/.installed
	$(BIN)/doorstep run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check bot tests bench migrations
	$(BIN)/ruff format --check bot

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Three workers on a 2-core machine: the tests wait on sockets and subprocesses (two
# workers kept the cores 64 % busy), and work-stealing evens out the slow tests at the end
# (the whole suite took 9:48 with three; two took 11:39 under `make test-at`, 10-11 min
# plain).
PYTEST := $(BIN)/pytest -n 3 --dist worksteal

test: $(VENV)/.installed-dev browser lint typecheck
	$(BIN)/python -m bot.i18n.check
	$(PYTEST)

# The same tests with every clock of the run (Python's and Chromium's) started at CLOCK,
# Europe/London time, and moving on: make test-at CLOCK="2027-03-28 00:30" (see tests/clock).
test-at: $(VENV)/.installed-dev browser faketime
	@[ -n "$(CLOCK)" ] || { echo 'usage: make test-at CLOCK="YYYY-MM-DD HH:MM" (Europe/London)'; exit 2; }
	# (time-machine is imported before pytest, which then cannot rewrite its asserts: no matter.)
	DOORSTEP_TEST_CLOCK="$(CLOCK)" PYTHONPATH="$(CURDIR)/tests/clock" $(PYTEST) \
		-W "ignore:Module already imported so cannot be rewritten; time_machine" $(PYTEST_ARGS)

# Re-resolve the dependency tree from pyproject.toml (for every platform and Python 3.11+)
# and pin it with hashes; commit the two files with the pyproject.toml change.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet
lock: $(VENV)/.installed-dev
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)

messages: $(VENV)/.installed-dev
	$(BIN)/python -m bot.i18n.check --update

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts
