"""What the kit tells a learner to type, and where it keeps its caches, true for the computer it runs on.

A Windows layout is checked here on Linux through sysconfig's ``nt`` scheme (``Scripts``), and a computer
without make through the same switch the kit reads (``make`` on PATH or not).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pixelkit.context import paths
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import KIT_ROOT, as_typed_here, venv_command, venv_scripts_dir


def load_kit_py():
    spec = importlib.util.spec_from_file_location("kit_bootstrap", KIT_ROOT / "kit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_venv_scripts_folder_follows_sysconfig_so_windows_gets_scripts(tmp_path):
    """Windows' layout (sysconfig's ``nt`` scheme) is Scripts\\python.exe; Linux's and macOS's bin/python."""
    kit_py = load_kit_py()
    assert venv_scripts_dir(tmp_path, "nt") == tmp_path / "Scripts"
    assert os.path.basename(kit_py.scripts_dir(str(tmp_path), "nt")) == "Scripts"
    assert venv_scripts_dir(tmp_path, "posix_prefix") == tmp_path / "bin"
    if os.name == "posix":
        assert venv_scripts_dir(tmp_path) == tmp_path / "bin"
    assert venv_command("pixelkit", "nt") == ".venv\\Scripts\\pixelkit"
    assert venv_command("pixelkit", "posix_prefix") == ".venv/bin/pixelkit"
    # A venv laid out as Windows lays it out is found by its interpreter's place, whatever made it.
    (tmp_path / "Scripts").mkdir()
    (tmp_path / "Scripts" / "python").write_text("")
    assert kit_py.venv_python(str(tmp_path)) == str(tmp_path / "Scripts" / "python")


def test_the_port_taken_hint_names_the_venv_command_of_this_computer():
    from pixelkit.emulator.server import _check_port_free

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(WorkshopError) as refused:
            _check_port_free(taken.getsockname()[1])
    assert f"`{venv_command('pixelkit')} emulator --port 4567`" in str(refused.value)
    assert "WORKSHOP_ENDPOINT_URL" in str(refused.value)


def test_without_make_the_hints_name_kit_py_with_the_same_settings():
    text = "Start it with `make emulator` (or `make demo`); `make status TARGET=aws` shows it; make sure."
    assert as_typed_here(text, make=True) == text
    assert as_typed_here(text, make=False) == (
        "Start it with `python kit.py emulator` (or `python kit.py demo`); `python kit.py status TARGET=aws` "
        "shows it; make sure.")


def test_a_computer_without_make_is_told_the_make_less_command(tmp_path):
    """The kit's own command, on a PATH without make: its advice names `python kit.py`."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = dict(os.environ, PATH=str(tmp_path), WORKSHOP_ENDPOINT_URL=f"http://127.0.0.1:{port}",
               WORKSHOP_DIR=str(tmp_path / ".workshop"))
    result = subprocess.run([sys.executable, "-m", "pixelkit", "status"], capture_output=True, text=True, env=env)
    assert result.returncode == 2
    # the emulator's own port is named too (not 4566, the default): `python kit.py emulator WORKSHOP_EMULATOR_PORT=N`
    assert f"`python kit.py emulator WORKSHOP_EMULATOR_PORT={port}`" in result.stderr and "`make " not in result.stderr


def test_environment_settings_are_written_for_this_computers_shell():
    line = paths.environment_settings(WORKSHOP_ENDPOINT_URL="http://127.0.0.1:4567", AWS_DEFAULT_REGION="us-east-1")
    if os.name == "nt":
        assert line == '$env:WORKSHOP_ENDPOINT_URL = "http://127.0.0.1:4567"; $env:AWS_DEFAULT_REGION = "us-east-1"'
    else:
        assert line == "export WORKSHOP_ENDPOINT_URL=http://127.0.0.1:4567 AWS_DEFAULT_REGION=us-east-1"


def test_the_caches_stay_where_linux_kept_them_and_move_as_told(tmp_path, monkeypatch):
    for name in ("PIXELKIT_CACHE_DIR", "WORKSHOP_WHEEL_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):  # platformdirs' user cache folder is the one the kit always used
        assert paths.cache_dir() == tmp_path / "xdg" / "pixelkit"
        assert paths.wheel_cache_dir() == tmp_path / "xdg" / "pixelkit" / "wheels"
    monkeypatch.setenv("PIXELKIT_CACHE_DIR", str(tmp_path / "class-cache"))
    assert paths.wheel_cache_dir() == tmp_path / "class-cache" / "wheels"
    monkeypatch.setenv("WORKSHOP_WHEEL_CACHE", str(tmp_path / "wheels-here"))
    assert paths.wheel_cache_dir() == Path(tmp_path / "wheels-here")


def test_the_ci_workflow_runs_commands_that_exist_on_every_runner_kind():
    """The GitHub workflow (not run here) names make targets and kit.py commands that are there."""
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((KIT_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["kit"]
    kinds = set(job["strategy"]["matrix"]["os"]) | {entry["os"] for entry in job["strategy"]["matrix"]["include"]}
    assert {"ubuntu-latest", "macos-14", "macos-13", "windows-latest"} <= kinds
    kit_py = load_kit_py()
    makefile_targets = (KIT_ROOT / "Makefile").read_text()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    for run in runs:
        for word, command in zip(run.split(), run.split()[1:]):
            if word == "make":
                assert f" {command} " in makefile_targets.replace("\\\n", " ").replace("\t", " "), command
            if word == "kit.py":
                assert command in kit_py.COMMANDS, command
    assert any("python kit.py demo" in run for run in runs) and any("make test" in run for run in runs)


@pytest.mark.skipif(os.name == "nt", reason="the stand-ins are sh scripts")
def test_windows_py_launcher_and_store_shortcut_are_understood(tmp_path, monkeypatch):
    """Windows' ways to a Python, met on Linux with stand-ins: `py -3.12` names its interpreter; the Store's
    `python` shortcut with no Python behind it is said to be that, not 'not Python'."""
    kit_py = load_kit_py()
    monkeypatch.setattr(kit_py, "WINDOWS", True)
    launcher, store = tmp_path / "launcher", tmp_path / "WindowsApps"
    launcher.mkdir(), store.mkdir()
    (launcher / "py").write_text('#!/bin/sh\n[ "$1" = -3.12 ] && echo "C:\\\\Python312\\\\python.exe" || exit 103\n')
    (store / "python").write_text("#!/bin/sh\nexit 9009\n")
    for script in (launcher / "py", store / "python"):
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{launcher}{os.pathsep}{store}")
    assert kit_py.resolve_python("3.12") == (["C:\\Python312\\python.exe"], "PYTHON=3.12 is C:\\Python312\\python.exe")
    with pytest.raises(kit_py.KitError, match="Windows' shortcut to the Microsoft Store, and no Python is installed"):
        kit_py.resolve_python("python")
    with pytest.raises(kit_py.KitError, match="a version \\(3.12\\) is also looked for with the py launcher"):
        kit_py.resolve_python("3.99")
