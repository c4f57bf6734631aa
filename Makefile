# seal-station: two commands do all set-up on a fresh Debian machine (as root).
#   make demo   installs what is missing, builds the demo world, starts the TUI
#   make test   installs what is missing and runs the test suite
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
APT_PACKAGES := softhsm2 opensc libsofthsm2 sqlite3 zbar-tools poppler-utils fonts-noto-cjk openssl tmux libusb-1.0-0 libreoffice-calc-nogui
# The demo home: $SEAL_STATION_HOME if set, else the platformdirs user data dir.
DEMO_HOME ?= $(or $(SEAL_STATION_HOME),$(shell python3 -c 'import os;print(os.path.expanduser("~/.local/share/seal-station"))'))

.PHONY: demo test bench system venv clean-demo

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: system $(VENV)/.installed

demo: venv
	@if [ ! -f "$(DEMO_HOME)/station.toml" ]; then \
	  $(VENV)/bin/seal-station --home "$(DEMO_HOME)" demo; \
	fi
	$(VENV)/bin/seal-station --home "$(DEMO_HOME)" tui

clean-demo:
	rm -rf "$(DEMO_HOME)"

test: venv
	$(VENV)/bin/pytest -q -p no:cacheprovider

bench: venv
	$(PY) -m tests.bench
	$(PY) -m tests.bench.library
	$(PY) -m tests.bench.making
	$(PY) -m tests.bench.verify
	$(PY) -m tests.bench.receipts
	$(PY) -m tests.bench.store
	$(PY) -m tests.bench.audit
	$(PY) -m tests.bench.backup
	$(PY) -m tests.bench.lifecycle
