"""``make lab``: JupyterLab on the learner's copies of ``notebooks/``, with the local emulator running for as long as it does.

JupyterLab saves what it runs, outputs included. So the learner works on copies in
``.workshop/notebooks/`` (made on the first ``make lab``, kept afterwards with their edits),
and the kit's own notebooks, the ones git tracks, stay without outputs for the next class.
The pictures the notebooks download go to ``out/`` beside those copies (``WORKSHOP_OUT_DIR``, unless
set already): JupyterLab's file browser is rooted there and cannot open the kit's own ``out/``.

The emulator runs in its own process group: the Ctrl-C that asks JupyterLab to
stop must not stop the emulator under a notebook that is still running. When
JupyterLab exits, the emulator this command started is stopped (one that was
already running is left alone).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

from pixelkit.emulator.server import emulator_running
from pixelkit.context.paths import KIT_ROOT, workshop_dir
from pixelkit.context.target import use_target

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = KIT_ROOT / "notebooks"


def working_copy(destination: Path | None = None) -> Path:
    """The learner's notebooks: a copy of each of the kit's that is not there yet; edited ones are kept."""
    destination = destination or workshop_dir() / "notebooks"
    destination.mkdir(parents=True, exist_ok=True)
    copied = []
    for notebook in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        if not (destination / notebook.name).exists():
            shutil.copy2(notebook, destination / notebook.name)
            copied.append(notebook.name)
    if copied:
        logger.info("Copied %s to %s: JupyterLab saves your outputs there, and notebooks/ stays clean.",
                    ", ".join(copied), destination)
    logger.info("Your notebooks are in %s (delete one to get the kit's again).", destination)
    return destination


def lab_command(port: int | None = None, extra: list[str] | None = None, root_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """JupyterLab on loopback only, rooted at notebooks/ (the browser test serves a copy)."""
    command = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root_dir}"]
    if port:
        command.append(f"--ServerApp.port={port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root; Jupyter refuses it unasked
    return command + list(extra or [])


def outputs_beside(root: Path) -> Path:
    """Where the notebooks' kernels put the pictures: ``out/`` in JupyterLab's root, unless WORKSHOP_OUT_DIR says."""
    if not os.environ.get("WORKSHOP_OUT_DIR"):
        os.environ["WORKSHOP_OUT_DIR"] = str(root / "out")  # JupyterLab's kernels inherit it
    return Path(os.environ["WORKSHOP_OUT_DIR"])


def run_lab(extra: list[str] | None = None) -> int:
    target = use_target()
    emulator = emulator_running(target, "`make lab`", new_session=True) if target.is_local else nullcontext()
    root = working_copy()
    logger.info("The notebooks' pictures go to %s (in JupyterLab's file browser).", outputs_beside(root))
    with emulator:
        logger.info("Starting JupyterLab on %s; open 01-create-buckets.ipynb first. Ctrl-C (twice) stops it.", root)
        process = subprocess.Popen(lab_command(extra=extra, root_dir=root))
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                continue  # JupyterLab got the Ctrl-C too: it asks for confirmation, then exits
