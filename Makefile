# fleet2fa.nas: everything a fresh Debian 12 machine (as root) needs to demo and test the collection.
#   make demo   the main job on a lab fleet
#   make test   every test
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export FLEET2FA_CACHE ?= /var/cache/fleet2fa
VENV := $(CURDIR)/.venv
COLLECTIONS := $(CURDIR)/tests/output/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_NOCOLOR := 1
export PYTHONDONTWRITEBYTECODE := 1
# Integration test files run side by side, each on its own lab: most of their time is spent waiting
# for the next TOTP time step, PAM's failure delay and sshd restarts, not on the CPU.
INTEGRATION_WORKERS ?= 3
# Tests import the collection as ansible_collections.fleet2fa.nas, through the link made by `collection`.
export PYTHONPATH := $(COLLECTIONS)

.PHONY: setup system venv collection image test unit sanity lint integration molecule changelog build demo clean

setup: system venv collection image

system:
	tests/setup-system.sh

venv: system
	ln -sfn "$$(tests/setup-venv.sh)" $(VENV)
	@echo "controller: $$($(VENV)/bin/python -c 'import ansible.release as r; print("ansible-core", r.__version__)') on $$($(VENV)/bin/python --version)"

# The collection, importable as ansible_collections.fleet2fa.nas from this checkout.
collection:
	mkdir -p $(COLLECTIONS)/ansible_collections/fleet2fa
	ln -sfn ../../../../.. $(COLLECTIONS)/ansible_collections/fleet2fa/nas

image: system
	tests/lab/fleet image

# The labs of a test run carry its prefix, so the teardown spares labs that others use on a shared
# machine. CI starts from a clean slate: labs that a killed session left are cleared first.
test: setup
	@echo "== make test with ansible-core $$(python -c 'import ansible.release as r; print(r.__version__)') on $$(python --version)"
	$(MAKE) --no-print-directory unit sanity lint changelog build
	prefix=t$$(printf %05d $$((RANDOM % 100000))); export FLEET2FA_LAB_PREFIX=$$prefix; \
	  if [[ -n $${CI:-} ]]; then tests/lab/fleet down --all; fi; \
	  trap 'tests/lab/fleet down --prefix "$$prefix" >/dev/null 2>&1 || true' EXIT; \
	  $(MAKE) --no-print-directory integration molecule

unit: collection
	python -m pytest -q -p no:cacheprovider tests/unit

sanity:
	VENV=$(VENV) tests/sanity.sh

lint: collection
	ansible-lint --profile production

changelog:
	antsibull-changelog lint

build:
	tests/build-and-install.sh

integration: collection
	python -m pytest -q -p no:cacheprovider -n $(INTEGRATION_WORKERS) --dist loadfile tests/integration

molecule: collection
	tests/molecule.sh

demo: setup
	tests/lab/demo.sh

clean:
	tests/lab/fleet down --all || true
	rm -rf tests/output .ansible
