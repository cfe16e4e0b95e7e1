# Two commands: `make run` serves the storefront with demo data; `make test` runs the whole suite.
# Both create .venv and install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test install install-test browser clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test browser

# Browser tests use the system Chromium; install it through apt when it is missing and we can.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  elif command -v sudo >/dev/null; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing at /usr/bin/chromium; browser tests will be skipped."; fi; \
	fi

# seed-demo registers the sandbox's webhooks at the address `flask serve` then listens on (HOST, PORT).
run: install
	$(VENV)/bin/flask db upgrade
	PUBLIC_URL="$${PUBLIC_URL:-http://$(HOST):$(PORT)}" $(VENV)/bin/flask seed-demo
	HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/flask serve

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
