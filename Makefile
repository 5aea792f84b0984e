# The pixelation workshop kit. `make demo` and `make test` are all a newcomer needs.
# Every target creates .venv from pyproject.toml first if it is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TARGET ?= local
export WORKSHOP_TARGET := $(TARGET)
export MPLBACKEND := Agg

.PHONY: help demo test emulator setup upload cleanup status package lab clean
help:
	@echo "make demo      the whole pipeline on the local emulator; pictures land in out/"
	@echo "make test      run every test"
	@echo "make emulator  serve the local AWS emulator on http://127.0.0.1:4566 (Ctrl-C stops it)"
	@echo "make setup     steps 1-4 (TARGET=aws for a real account)"
	@echo "make upload    step 5 (IMAGES='a.jpg b.png' to choose pictures)"
	@echo "make cleanup   step 6: delete everything the kit made"
	@echo "make status    what of the kit exists on the target"
	@echo "make package   build the Lambda deployment package into build/"
	@echo "make lab       the emulator and JupyterLab on notebooks/ (loopback only); quitting stops both"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pixelkit demo

test: $(STAMP)
	$(BIN)/python -m pytest

emulator: $(STAMP)
	$(BIN)/pixelkit emulator

setup: $(STAMP)
	$(BIN)/pixelkit setup

upload: $(STAMP)
	$(BIN)/pixelkit upload $(IMAGES)

cleanup: $(STAMP)
	$(BIN)/pixelkit cleanup

status: $(STAMP)
	$(BIN)/pixelkit status

package: $(STAMP)
	$(BIN)/pixelkit package

lab: $(STAMP)
	$(BIN)/pixelkit lab

clean:
	rm -rf build out .pytest_cache
