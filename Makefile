# The pixelation workshop kit. `make demo` and `make test` are all a newcomer needs.
# Every target creates .venv from pyproject.toml first if it is missing, with what it needs:
# the kit alone for the demo and the steps, the notebooks' extras for `make lab`, and the
# test tools for `make test`.
# After one `make prepare` (or the first `make test`), everything works with the network cut.

# The Python that creates .venv: 3.10 or newer. Choose another with e.g. `make test PYTHON=python3.12`.
PYTHON ?= python3
PYTHON_OK := import sys; sys.exit(sys.version_info < (3, 10))
VENV := .venv
BIN := $(VENV)/bin
KIT := $(VENV)/.installed-kit
LAB := $(VENV)/.installed-lab
TESTS := $(VENV)/.installed-test
EXTRAS_kit :=
EXTRAS_lab := [lab]
EXTRAS_test := [test]
# The test extras include the lab's, which include the kit: a richer install satisfies the lighter targets
# (so `make demo` after `make prepare` installs nothing, and works offline).
IMPLIES_test := $(LAB) $(KIT)
IMPLIES_lab := $(KIT)
TARGET ?= local
export WORKSHOP_TARGET := $(TARGET)
# The function's architecture: x86_64 (the tutorial's) or arm64.
ARCH ?= x86_64
# STUDENT=alice: one learner's own resources and state in a shared account.
ifdef STUDENT
export WORKSHOP_STUDENT := $(STUDENT)
endif
export MPLBACKEND := Agg
# The pictures for `make upload`, given to the kit through the environment so that make splits no
# path at its spaces: IMAGES="my photo.jpg" make upload, make upload IMAGES=images (a folder: its pictures).
export IMAGES

.PHONY: help demo test emulator runtimes setup upload cleanup status package plan orphans lab clean prepare offline
help:
	@echo "make demo      the whole pipeline on the local emulator; pictures land in out/"
	@echo "make test      run every test"
	@echo "make emulator  serve the local AWS emulator on http://127.0.0.1:4566 (Ctrl-C stops it). As strict as"
	@echo "               AWS about IAM, new roles, triggers and bucket names; LENIENT=1 relaxes all but IAM;"
	@echo "               ENFORCE_LEARNER=1 holds your own keys to policies/learner-policy.json"
	@echo "               MAX_ENVIRONMENTS=N: execution environments at once (default: cores); COLD=1: no reuse"
	@echo "make runtimes  which Python runs each Lambda runtime in the emulator"
	@echo "make setup     steps 1-4 (TARGET=aws for a real account)"
	@echo "make upload    step 5 (IMAGES=photo.jpg, a folder, or IMAGES='a.jpg \"my photo.png\"' to choose pictures)"
	@echo "make cleanup   step 6: delete everything the kit made"
	@echo "make status    what of the kit exists on the target"
	@echo "make package   build the Lambda deployment package into build/ (ARCH=arm64 for Graviton)"
	@echo "make plan      print every AWS call setup would make, and make none (dry run)"
	@echo "make orphans   cleanup --all-tagged: remove the kit's resources of earlier runs, found by tags"
	@echo "               (without STUDENT, every student's too: an instructor's command)"
	@echo "               STUDENT=alice isolates one learner in a shared account; TARGET=aws for a real account"
	@echo "make bench     time the handler against the tutorial's (median ms, speed-up, peak memory)"
	@echo "make bench-emulator  the emulator end to end: warm execution environments against cold ones"
	@echo "make lab       the emulator and JupyterLab on your copies of notebooks/ (in .workshop/notebooks;"
	@echo "               loopback only); quitting stops both"
	@echo "make prepare   fetch everything a classroom needs from the network, once: .venv with the"
	@echo "               notebooks' and tests' extras, the Lambda wheels, the emulator's runtimes"
	@echo "               (afterwards every target works offline; \`make offline\` is the same)"
	@echo "make clean     delete build/, out/ and test caches; .venv, .workshop/ and the kept Lambda"
	@echo "               wheels and runtimes (~/.cache/pixelkit) stay"
	@echo "PYTHON=python3.12 chooses the Python (3.10 or newer) that creates .venv"

# A .venv made by a Python older than 3.10 (or one since removed) is rebuilt, with $(PYTHON) checked first.
$(VENV)/.installed-%: pyproject.toml
	@if [ -e $(VENV) ] && ! $(BIN)/python -c '$(PYTHON_OK)' 2>/dev/null; then \
	    echo "Removing $(VENV): it was made by $$($(BIN)/python --version 2>&1 || echo a Python that is gone), and the kit needs Python 3.10 or newer."; \
	    rm -rf $(VENV); \
	fi
	@if [ ! -x $(BIN)/python ]; then \
	    $(PYTHON) -c '$(PYTHON_OK)' 2>/dev/null || { \
	        echo "The kit needs Python 3.10 or newer, and PYTHON=$(PYTHON) is $$($(PYTHON) --version 2>&1 || echo not there)."; \
	        echo "Install a newer Python and name it, e.g.: make $(or $(MAKECMDGOALS),demo) PYTHON=python3.12"; \
	        exit 1; }; \
	    $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.$(EXTRAS_$*)'
	@# The emulator's Lambda runtime: Python 3.13 with AWS's runtime interface client and boto3, once.
	$(BIN)/python -m pixelkit runtimes prepare
	@touch $@ $(IMPLIES_$*)

demo: $(KIT)
	$(BIN)/pixelkit demo

test: $(TESTS)
	$(BIN)/python -m pytest

emulator: $(KIT)
	$(BIN)/pixelkit emulator $(strip $(if $(filter-out 0,$(LENIENT)),--lenient) $(if $(filter-out 0,$(ENFORCE_LEARNER)),--enforce-learner) $(if $(filter-out 0,$(COLD)),--cold) $(if $(MAX_ENVIRONMENTS),--max-environments $(MAX_ENVIRONMENTS)))

runtimes: $(KIT)
	$(BIN)/pixelkit runtimes list

setup: $(KIT)
	$(BIN)/pixelkit setup --architecture $(ARCH)

plan: $(KIT)
	$(BIN)/pixelkit setup --dry-run --architecture $(ARCH)

orphans: $(KIT)
	$(BIN)/pixelkit cleanup --all-tagged

upload: $(KIT)
	$(BIN)/pixelkit upload

cleanup: $(KIT)
	$(BIN)/pixelkit cleanup

status: $(KIT)
	$(BIN)/pixelkit status

package: $(KIT)
	$(BIN)/pixelkit package --architecture $(ARCH)

lab: $(LAB)
	$(BIN)/pixelkit lab

# Everything a room without network needs, fetched once: .venv with every extra (the tests' include the
# notebooks'), the Lambda wheels for both architectures and notebook 07's wrong Python (kept in ~/.cache/pixelkit/wheels, or
# WORKSHOP_WHEEL_CACHE), and the emulator's runtime environments where the emulator has them.
prepare: $(TESTS)
	$(BIN)/pixelkit package --architecture x86_64
	$(BIN)/pixelkit package --architecture arm64
	$(BIN)/python -c 'from pixelkit.teaching import mistakes; print(mistakes.wrong_python_package().path)'  # notebook 07
	$(BIN)/pixelkit runtimes prepare python3.13 python3.12
	@echo "Ready: make demo, setup, plan, lab and test now work without the network."

offline: prepare

# The kept Lambda wheels are outside build/ (see prepare): clean leaves them, so builds stay offline.
clean:
	rm -rf build out .pytest_cache

# The handler against the tutorial's, on a generated 12 MP JPEG and images/ (prints figures; not a test).
.PHONY: bench bench-emulator
bench: $(KIT)
	$(BIN)/python bench/pixelate_bench.py

# The emulator end to end, warm execution environments against cold ones (prints figures; not a test).
bench-emulator: $(KIT)
	$(BIN)/python bench/emulator_bench.py
