# The pixelation workshop kit. `make demo` and `make test` are all a newcomer needs.
# Every target is one command of kit.py, the kit's commands without make (`python kit.py demo` is
# `make demo`, on any computer): one implementation of creating .venv from pyproject.toml with what a
# command needs (the kit alone for the demo and the steps, the notebooks' extras for `make lab`, the
# test tools for `make test`), re-installing when pyproject.toml changes, and running the command.
# After one `make prepare` (or the first `make test`), everything works with the network cut.
#
# Variables (PYTHON, TARGET, ARCH, STUDENT, IMAGES, LENIENT, ENFORCE_LEARNER, COLD, MAX_ENVIRONMENTS)
# reach kit.py through the environment, where make puts those given on its command line:
# `make test PYTHON=python3.12` (a command, a pyenv version such as 3.12, or a path), `make setup TARGET=aws`.

# The Python that runs kit.py (any 3.6 or newer: kit.py finds a 3.10 or newer for .venv, or says what to install).
ifndef KIT_PYTHON
KIT_PYTHON := $(shell command -v python3 2>/dev/null || command -v python 2>/dev/null)
endif
ifeq ($(KIT_PYTHON),)
$(error There is no python3 or python command here. Install Python 3.10 or newer (README.md, "Your computer"))
endif
KIT := "$(KIT_PYTHON)" kit.py
export PIXELKIT_LAUNCHER := make

COMMANDS := help demo test emulator runtimes setup upload cleanup status package plan orphans lab clean \
	prepare offline bench bench-emulator
.PHONY: $(COMMANDS) FORCE
$(COMMANDS):
	@$(KIT) $@

# `make .venv/.installed-test`: the install alone (kit, lab or test); kit.py decides whether it is needed.
.venv/.installed-%: FORCE
	@$(KIT) install $*
FORCE:
