"""The Makefile a newcomer meets first: the Python that makes .venv, and what `make clean` keeps."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pixelkit.context.paths import KIT_ROOT

OLD_PYTHON = """#!/bin/sh
case "$1" in --version) echo "Python 3.9.18";; -c) exit 1;; *) echo "3.9 cannot do $*" >&2; exit 1;; esac
"""
# Answers like a Python 3.12: `-m venv DIR` makes DIR/bin/python (itself), `-m pip ...` succeeds.
GOOD_PYTHON = """#!/bin/sh
case "$1" in
--version) echo "Python 3.12.1";;
-c) exit 0;;
-m) if [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi;;
esac
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def kit_copy(tmp_path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(KIT_ROOT / name, tmp_path / name)
    for name, text in (("old-python", OLD_PYTHON), ("good-python", GOOD_PYTHON)):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    return tmp_path


def make(directory, *args) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=directory, capture_output=True, text=True)


def test_a_python_older_than_3_10_is_refused_before_it_makes_a_venv(kit_copy):
    result = make(kit_copy, "demo", "PYTHON=./old-python")
    assert result.returncode != 0
    assert "needs Python 3.10 or newer, and PYTHON=./old-python is Python 3.9.18" in result.stdout
    assert "make demo PYTHON=python3.12" in result.stdout
    assert not (kit_copy / ".venv").exists()


def test_a_venv_made_by_an_old_python_is_rebuilt_by_a_newer_one(kit_copy):
    (kit_copy / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(kit_copy / "old-python", kit_copy / ".venv" / "bin" / "python")
    result = make(kit_copy, ".venv/.installed-kit", "PYTHON=./good-python")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Removing .venv: it was made by Python 3.9.18" in result.stdout
    assert "3.12" in subprocess.run([kit_copy / ".venv" / "bin" / "python", "--version"], capture_output=True, text=True).stdout
    assert (kit_copy / ".venv" / ".installed-kit").exists()


def test_make_help_lists_clean_and_prepare_and_clean_keeps_the_wheel_cache(kit_copy):
    shown = make(kit_copy, "help").stdout
    assert "make clean" in shown and "make prepare" in shown and "PYTHON=" in shown
    (kit_copy / "build").mkdir()
    cache = kit_copy / "home" / ".cache" / "pixelkit" / "wheels"
    cache.mkdir(parents=True)
    assert make(kit_copy, "clean", f"HOME={kit_copy / 'home'}").returncode == 0
    assert not (kit_copy / "build").exists() and cache.exists()


def test_after_the_tests_install_the_demo_and_the_lab_install_nothing_more(kit_copy):
    """`make prepare` installs the test extras once; `make demo` must not reach for the network afterwards."""
    assert make(kit_copy, ".venv/.installed-test", "PYTHON=./good-python").returncode == 0
    for lighter in (".venv/.installed-kit", ".venv/.installed-lab"):
        assert make(kit_copy, "-q", lighter).returncode == 0, f"{lighter} would install again"
