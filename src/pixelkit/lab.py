"""``make lab``: JupyterLab on ``notebooks/``, with the local emulator running for as long as it does.

The emulator runs in its own process group: the Ctrl-C that asks JupyterLab to
stop must not stop the emulator under a notebook that is still running. When
JupyterLab exits, the emulator this command started is stopped (one that was
already running is left alone).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

from pixelkit.emulator.server import emulator_running
from pixelkit.paths import KIT_ROOT
from pixelkit.target import use_target

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = KIT_ROOT / "notebooks"


def lab_command(port: int | None = None, extra: list[str] | None = None, root_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """JupyterLab on loopback only, rooted at notebooks/ (the browser test serves a copy)."""
    command = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root_dir}"]
    if port:
        command.append(f"--ServerApp.port={port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root; Jupyter refuses it unasked
    return command + list(extra or [])


def run_lab(extra: list[str] | None = None) -> int:
    target = use_target()
    emulator = emulator_running(target, "`make lab`", new_session=True) if target.is_local else nullcontext()
    with emulator:
        logger.info("Starting JupyterLab on %s; open 01-create-buckets.ipynb first. Ctrl-C (twice) stops it.", NOTEBOOKS_DIR)
        process = subprocess.Popen(lab_command(extra=extra))
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                continue  # JupyterLab got the Ctrl-C too: it asks for confirmation, then exits
