"""The commands a newcomer meets first, with make and without (kit.py): the Python that makes .venv,
when .venv installs again, what each command runs, and what `clean` keeps.

The Pythons here are small shell scripts that answer as a Python would and record what they were asked
to run, so that these tests take seconds and need no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from pixelkit.context.paths import KIT_ROOT

OLD_PYTHON = """#!/bin/sh
case "$1" in --version) echo "Python 3.9.18";; -c) exit 1;; *) echo "3.9 cannot do $*" >&2; exit 1;; esac
"""
# Answers like a Python 3.12: `-m venv DIR` makes DIR/bin/python (itself); every other `-m` succeeds and is
# recorded in calls.log, with the target and student it was given.
GOOD_PYTHON = """#!/bin/sh
case "$1" in
--version) echo "Python 3.12.1";;
-c) exit 0;;
-m) if [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python";
    else shift; echo "$WORKSHOP_TARGET|$WORKSHOP_STUDENT|$*" >> "$CALLS_LOG"; fi;;
esac
"""
# pyenv with one version installed, 3.12.1, that is not the selected one: its shims say "command not found".
FAKE_PYENV = """#!/bin/sh
case "$1 $2" in
"prefix 3.12"|"prefix 3.12.1") echo "$PYENV_ROOT/versions/3.12.1";;
"whence python3.12") echo "3.12.1";;
*) echo "pyenv: $2: command not found" >&2; exit 127;;
esac
"""
SHIM = """#!/bin/sh
echo "pyenv: python3.12: command not found" >&2; exit 127
"""

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
needs_sh = pytest.mark.skipif(shutil.which("sh") is None or os.name == "nt", reason="the fake Pythons are sh scripts")
pytestmark = needs_sh


@pytest.fixture
def kit_copy(tmp_path):
    for name in ("Makefile", "pyproject.toml", "kit.py"):
        shutil.copy(KIT_ROOT / name, tmp_path / name)
    for name, text in (("old-python", OLD_PYTHON), ("good-python", GOOD_PYTHON)):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    return tmp_path


def environment(directory, path_first=None) -> dict:
    """No PYTHON, TARGET... of the shell running the tests; a PATH without pyenv, uv or py but for fakes."""
    settings = ("PYTHON", "TARGET", "ARCH", "STUDENT", "IMAGES", "LENIENT", "ENFORCE_LEARNER", "COLD", "MAX_ENVIRONMENTS")
    env = {k: v for k, v in os.environ.items()
           if k not in settings + ("PIXELKIT_LAUNCHER", "WORKSHOP_TARGET", "WORKSHOP_STUDENT", "MAKEFLAGS", "MAKELEVEL")}
    env["PATH"] = os.pathsep.join(([str(path_first)] if path_first else []) + ["/usr/bin", "/bin"])
    env["CALLS_LOG"] = str(directory / "calls.log")
    env["PYENV_ROOT"] = str(directory / "pyenv")
    env["KIT_PYTHON"] = sys.executable  # the Python that runs kit.py for make
    return env


def make(directory, *args, path_first=None) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=directory, capture_output=True, text=True,
                          env=environment(directory, path_first))


def kit(directory, *args, path_first=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "kit.py", *args], cwd=directory, capture_output=True, text=True,
                          env=environment(directory, path_first))


def calls(directory) -> list[str]:
    log = directory / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


LAUNCHERS = [pytest.param(make, "make", marks=needs_make, id="make"), pytest.param(kit, "python kit.py", id="kit.py")]


@pytest.mark.parametrize("run, typed", LAUNCHERS)
def test_a_python_older_than_3_10_is_refused_before_it_makes_a_venv(kit_copy, run, typed):
    result = run(kit_copy, "demo", "PYTHON=./old-python")
    assert result.returncode != 0
    assert "needs Python 3.10 or newer, and PYTHON=./old-python is Python 3.9.18" in result.stderr
    assert f"{typed} demo PYTHON=python3.12" in result.stderr
    assert "a pyenv version (3.12 or 3.12.1)" in result.stderr
    assert not (kit_copy / ".venv").exists()


@needs_make
def test_a_venv_made_by_an_old_python_is_rebuilt_by_a_newer_one(kit_copy):
    (kit_copy / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(kit_copy / "old-python", kit_copy / ".venv" / "bin" / "python")
    result = make(kit_copy, ".venv/.installed-kit", "PYTHON=./good-python")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Removing .venv: it was made by Python 3.9.18" in result.stdout
    assert "3.12" in subprocess.run([kit_copy / ".venv" / "bin" / "python", "--version"], capture_output=True, text=True).stdout
    assert (kit_copy / ".venv" / ".installed-kit").exists()
    assert calls(kit_copy)[-3:] == ["||pip install --quiet --upgrade pip", "||pip install --quiet -e .",
                                    "||pixelkit runtimes prepare"]


@needs_make
def test_make_help_lists_clean_and_prepare_and_clean_keeps_the_wheel_cache(kit_copy):
    shown = make(kit_copy, "help").stdout
    assert "make clean" in shown and "make prepare" in shown and "PYTHON=" in shown
    (kit_copy / "build").mkdir()
    cache = kit_copy / "home" / ".cache" / "pixelkit" / "wheels"
    cache.mkdir(parents=True)
    assert make(kit_copy, "clean", f"HOME={kit_copy / 'home'}").returncode == 0
    assert not (kit_copy / "build").exists() and cache.exists()


@pytest.mark.parametrize("run, typed", LAUNCHERS)
def test_after_the_tests_install_the_demo_and_the_lab_install_nothing_more(kit_copy, run, typed):
    """`prepare` installs the test extras once; `demo` must not reach for the network afterwards."""
    def install(kind, *settings):  # make's .venv/.installed-KIND is kit.py's `install KIND`
        return run(kit_copy, *([f".venv/.installed-{kind}"] if run is make else ["install", kind]), *settings)

    assert install("test", "PYTHON=./good-python").returncode == 0
    assert "||pip install --quiet -e .[test]" in calls(kit_copy)
    installed = len(calls(kit_copy))
    for lighter in ("kit", "lab"):
        assert install(lighter).returncode == 0
    assert len(calls(kit_copy)) == installed, "a lighter install ran pip again"


def test_another_python_named_by_python_makes_venv_again(kit_copy):
    assert kit(kit_copy, "install", "kit", "PYTHON=./good-python").returncode == 0
    newer = kit_copy / "newer-python"
    newer.write_text(GOOD_PYTHON.replace("Python 3.12.1", "Python 3.13.0"))
    newer.chmod(0o755)
    result = kit(kit_copy, "demo", "PYTHON=./newer-python")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Removing .venv: it was made by Python 3.12.1, and PYTHON=./newer-python is Python 3.13.0." in result.stdout
    assert calls(kit_copy)[-1] == "local||pixelkit demo"
    assert "3.13.0" in subprocess.run([kit_copy / ".venv" / "bin" / "python", "--version"], capture_output=True, text=True).stdout


def test_a_changed_pyproject_installs_again(kit_copy):
    assert kit(kit_copy, "install", "kit", "PYTHON=./good-python").returncode == 0
    kit(kit_copy, "install", "kit")
    before = len(calls(kit_copy))
    assert before == 3  # pip, the kit, the runtime: once
    (kit_copy / "pyproject.toml").write_text((kit_copy / "pyproject.toml").read_text() + "\n# a new dependency\n")
    assert kit(kit_copy, "install", "kit").returncode == 0
    assert calls(kit_copy)[before:][1] == "||pip install --quiet -e ."


@needs_make
@pytest.mark.parametrize("command, settings, expected", [
    ("demo", [], "local||pixelkit demo"),
    ("emulator", ["LENIENT=1", "COLD=1", "MAX_ENVIRONMENTS=3", "ENFORCE_LEARNER=0"],
     "local||pixelkit emulator --lenient --cold --max-environments 3"),
    ("plan", ["ARCH=arm64"], "local||pixelkit setup --dry-run --architecture arm64"),
    ("orphans", ["TARGET=aws", "STUDENT=alice"], "aws|alice|pixelkit cleanup --all-tagged"),
    ("test", [], "local||pytest"),
])
def test_make_and_kit_py_run_the_same_command(kit_copy, command, settings, expected):
    assert kit(kit_copy, "install", "test", "PYTHON=./good-python").returncode == 0
    for run in (make, kit):
        result = run(kit_copy, command, *settings)
        assert result.returncode == 0, result.stdout + result.stderr
        assert calls(kit_copy)[-1] == expected, run.__name__


def test_kit_py_passes_the_commands_own_arguments_on(kit_copy):
    assert kit(kit_copy, "install", "test", "PYTHON=./good-python").returncode == 0
    assert kit(kit_copy, "test", "tests/test_demo.py", "-q", "--", "-o", "console_output_style=classic").returncode == 0
    assert calls(kit_copy)[-1] == "local||pytest tests/test_demo.py -q -o console_output_style=classic"


@pytest.fixture
def pyenv_with_3_12(kit_copy):
    """A fake pyenv whose 3.12.1 is the good Python, and a shim python3.12 that the selected version lacks."""
    bin_dir, shims = kit_copy / "fakebin", kit_copy / "pyenv" / "shims"
    python = kit_copy / "pyenv" / "versions" / "3.12.1" / "bin" / "python3"
    for folder in (bin_dir, shims, python.parent):
        folder.mkdir(parents=True)
    for path, text in ((bin_dir / "pyenv", FAKE_PYENV), (shims / "python3.12", SHIM), (python, GOOD_PYTHON)):
        path.write_text(text)
        path.chmod(0o755)
    return bin_dir, shims, python


def test_python_as_a_pyenv_version_name(kit_copy, pyenv_with_3_12):
    bin_dir, _, python = pyenv_with_3_12
    result = kit(kit_copy, "install", "kit", "PYTHON=3.12", path_first=bin_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"PYTHON=3.12 is {python}" in result.stdout
    assert (kit_copy / ".venv" / "bin" / "python").read_text() == GOOD_PYTHON


def test_python_as_a_pyenv_shim_of_a_version_not_selected(kit_copy, pyenv_with_3_12):
    bin_dir, shims, python = pyenv_with_3_12
    result = kit(kit_copy, "install", "kit", "PYTHON=python3.12", path_first=f"{bin_dir}{os.pathsep}{shims}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"python3.12 is a pyenv shim, and the selected pyenv version does not have it: using pyenv's 3.12.1 ({python})" in result.stdout
    assert "command not found" not in result.stdout + result.stderr


@pytest.mark.parametrize("spec, says", [
    ("python9.9", "PYTHON=python9.9: there is no command of that name on PATH."),
    ("3.99", "PYTHON=3.99 names a Python version, and none is installed here"),
    ("./no-such-python", "PYTHON=./no-such-python: there is no such file."),
])
def test_a_wrong_python_says_what_python_takes(kit_copy, pyenv_with_3_12, spec, says):
    result = kit(kit_copy, "demo", f"PYTHON={spec}", path_first=pyenv_with_3_12[0])
    assert result.returncode == 1
    assert says in result.stderr
    assert "PYTHON= takes a command (python3.12), a pyenv version (3.12 or 3.12.1) or a path" in result.stderr
    assert "Traceback" not in result.stderr and not (kit_copy / ".venv").exists()


def test_a_python_without_venv_leaves_no_half_made_venv(kit_copy):
    """Debian's python3 without python3-venv makes .venv/bin/python, then fails for want of ensurepip."""
    no_venv = kit_copy / "debian-python"
    no_venv.write_text(GOOD_PYTHON.replace('cp "$0" "$3/bin/python";', 'cp "$0" "$3/bin/python"; '
                                           'echo "ensurepip is not available" >&2; exit 1;'))
    no_venv.chmod(0o755)
    result = kit(kit_copy, "demo", "PYTHON=./debian-python")
    assert result.returncode == 1
    assert "could not create .venv" in result.stderr and "sudo apt install python3-venv" in result.stderr
    assert not (kit_copy / ".venv").exists()


def test_an_unknown_command_is_named_with_the_way_to_list_them(kit_copy):
    result = kit(kit_copy, "dmeo")
    assert result.returncode == 1 and "python kit.py dmeo: there is no such command. `python kit.py help`" in result.stderr
