# fleet2fa.nas: everything a fresh Debian 12 machine (as root) needs to demo and test the collection.
#   make demo   the main job on a lab fleet
#   make test   every test, on every supported ansible-core line (FLEET2FA_MATRIX below)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export FLEET2FA_CACHE ?= /var/cache/fleet2fa
# The ansible-core lines of `make test` (DESIGN.md, supported matrix), one venv each
# (tests/setup-venv.sh). The newest runs every part, the lab suite included; each older line runs
# unit, sanity (of the collection's content, not tests/) and build (and lint on the oldest) in a
# copy of the checkout, and a whole rollout, re-run and disable on a small lab (tests/integration/matrix).
#   FLEET2FA_MATRIX=all      2.19 (Python 3.11), 2.20 (Python 3.12) and 2.21 (newest Python); the default
#   FLEET2FA_MATRIX=newest   2.21 alone: quicker, locally
#   FLEET2FA_MATRIX=2.19     2.21 and 2.19 (a comma-separated list of older lines)
export FLEET2FA_MATRIX ?= all
NEWEST := 2.21
comma := ,
matrix_words := $(subst $(comma), ,$(FLEET2FA_MATRIX))
ifneq ($(filter-out all newest 2.19 2.20 $(NEWEST),$(matrix_words)),)
$(error FLEET2FA_MATRIX=$(FLEET2FA_MATRIX): use all, newest, or older lines out of 2.19,2.20)
endif
OLDER_LINES := $(if $(filter all,$(matrix_words)),2.19 2.20,$(filter 2.19 2.20,$(matrix_words)))
VENV ?= $(CURDIR)/.venv
# One link a line to its venv in the cache; the matrix test runs their ansible-playbook.
MATRIX_VENVS := $(CURDIR)/tests/output/venvs
export FLEET2FA_MATRIX_VENVS := $(foreach line,$(OLDER_LINES),$(MATRIX_VENVS)/$(line))
COLLECTIONS := $(CURDIR)/tests/output/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_NOCOLOR := 1
export PYTHONDONTWRITEBYTECODE := 1
# Integration test files run side by side, each on its own lab: most of their time is spent waiting
# for sshd restarts, PAM's failure delay and login round trips, not on the CPU.
INTEGRATION_WORKERS ?= 4
# Tests import the collection as ansible_collections.fleet2fa.nas, through the link made by `collection`.
export PYTHONPATH := $(COLLECTIONS)

.PHONY: setup system venv collection image test unit sanity lint integration molecule changelog build docsite demo clean

setup: system venv collection image

system:
	tests/setup-system.sh

# The newest line's venv and, beside it, the older lines' (built side by side: pip waits on the network).
venv: system
	mkdir -p $(MATRIX_VENVS)
	pids=(); for line in $(OLDER_LINES); do \
	  ( v=$$(tests/setup-venv.sh $$line) && ln -sfn "$$v" $(MATRIX_VENVS)/$$line ) & pids+=($$!); done; \
	v=$$(tests/setup-venv.sh $(NEWEST)) && ln -sfn "$$v" $(VENV); \
	for pid in "$${pids[@]}"; do wait "$$pid"; done
	@for venv in $(VENV) $(FLEET2FA_MATRIX_VENVS); do \
	  echo "controller: $$($$venv/bin/python -c 'import ansible.release as r; print("ansible-core", r.__version__)') on $$($$venv/bin/python --version) ($$venv)"; done

# The collection, importable as ansible_collections.fleet2fa.nas from this checkout.
collection:
	mkdir -p $(COLLECTIONS)/ansible_collections/fleet2fa
	ln -sfn ../../../../.. $(COLLECTIONS)/ansible_collections/fleet2fa/nas

image: system
	tests/lab/fleet image

# The running order over the lines, and the table of which ansible-core ran each part: tests/matrix.sh.
test: setup
	VENV=$(VENV) OLDER_LINES="$(OLDER_LINES)" MATRIX_VENVS=$(MATRIX_VENVS) tests/matrix.sh test

unit: collection
	python -m pytest -q -p no:cacheprovider tests/unit tests/browser

# The older lines' sanity (tests/matrix.sh) covers what users install, not tests/, which runs on the newest line alone.
SANITY_TARGETS := $(if $(FLEET2FA_OLDER_LINE),changelogs/ docs/ extensions/ meta/ playbooks/ plugins/ roles/)
sanity:
	VENV=$(VENV) tests/sanity.sh $(SANITY_TARGETS)

# The docsite check does not depend on ansible-core: the older lines' checks (tests/matrix.sh) skip it.
lint: collection
	ansible-lint --profile production
	$(if $(FLEET2FA_OLDER_LINE),@echo "docsite: checked on the newest line",tests/docsite.sh check)

changelog:
	antsibull-changelog lint

build:
	tests/build-and-install.sh

# docs/docsite/rst/*.rst made anew from the guides in docs/ (pandoc); `make lint` checks they match.
docsite:
	tests/docsite.sh write

integration: collection
	python -m pytest -q -p no:cacheprovider -n $(INTEGRATION_WORKERS) --dist loadfile --durations=25 tests/integration

molecule: collection
	tests/molecule.sh

demo: setup
	tests/lab/demo.sh

clean:
	tests/lab/fleet down --all || true
	rm -rf tests/output .ansible
