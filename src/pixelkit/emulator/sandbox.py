"""The execution environment's sandbox: what a function may see of the learner's computer.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
and https://docs.aws.amazon.com/lambda/latest/dg/configuration-environment-variables.html): the
function's code is read-only at ``/var/task`` (``LAMBDA_TASK_ROOT``), layers are under ``/opt``,
``/tmp`` is the only writable place and holds ``EphemeralStorage`` (512 MB by default), and the
environment holds Lambda's variables and the function's own, nothing else.

Where bubblewrap (``bwrap``) is installed, each environment runs in one: a private ``/tmp`` capped
at the function's ephemeral storage, its own process namespace (it cannot see the emulator or any
other process), and of this computer's files only the system's libraries and the runtime's Python,
read-only. Without bwrap (not installed, not on Linux, failing to start, or ``PIXELKIT_WITHOUT=sandbox``)
the function runs as an ordinary process of the learner, which the emulator's console says once, with
what is and is not isolated on this computer and what to do about it.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pixelkit.emulator import capabilities

logger = logging.getLogger("pixelkit.emulator")

TASK_ROOT = "/var/task"
OPT = "/opt"
# What a program needs of the system to run: libraries, certificates, name resolution.
_SYSTEM_READ_ONLY = ["/usr", "/etc/ssl", "/etc/ca-certificates", "/etc/hosts", "/etc/resolv.conf",
                     "/etc/nsswitch.conf", "/etc/localtime", "/etc/ld.so.cache"]
_USR_MERGED = ["/lib", "/lib64", "/bin", "/sbin"]


def bubblewrap() -> str | None:
    """The bwrap binary, if it is installed and makes a sandbox here; else None (the console says why, once).

    ``PIXELKIT_WITHOUT=sandbox`` (or the older ``PIXELKIT_SANDBOX=0``) turns it off.
    """
    if capabilities.without("sandbox"):
        return _unsandboxed(f"{capabilities.SWITCH} names sandbox")
    if os.environ.get("PIXELKIT_SANDBOX", "").lower() in ("0", "off", "no"):
        return _unsandboxed(f"PIXELKIT_SANDBOX={os.environ['PIXELKIT_SANDBOX']}")
    return _probe_bubblewrap()


@functools.cache
def _probe_bubblewrap() -> str | None:
    path = shutil.which("bwrap")
    if not path:
        return _unsandboxed("bubblewrap is not installed")
    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent", "true"],
                               capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return _unsandboxed(f"bubblewrap could not start ({error})")
    if probe.returncode != 0:
        return _unsandboxed(f"bubblewrap is installed but cannot make a sandbox here "
                            f"({probe.stderr.strip() or f'exit status {probe.returncode}'})")
    return path


@functools.cache
def _unsandboxed(reason: str) -> None:
    """Said once per emulator: what an unsandboxed function can reach on this computer, and what to do."""
    logger.warning("Functions run unsandboxed: %s. %s", reason, unsandboxed_advice())
    return None


def unsandboxed_advice() -> str:
    """What is and is not isolated without bubblewrap, and how to get it, in words true for this computer."""
    isolated = ("Each function runs as an ordinary process of yours: it can read and write your files and see "
                "your other processes, and /tmp is this computer's, shared (TMPDIR names a folder of its own, its "
                "EphemeralStorage checked). It still gets only Lambda's environment variables, its MemorySize and "
                "its Timeout.")
    for manager, command in (("apt-get", "sudo apt install bubblewrap"), ("dnf", "sudo dnf install bubblewrap"),
                             ("pacman", "sudo pacman -S bubblewrap"), ("zypper", "sudo zypper install bubblewrap"),
                             ("apk", "sudo apk add bubblewrap")):
        if shutil.which(manager):
            return (f"{isolated} To give each function a private /tmp and no view of your home directory or "
                    f"other processes: `{command}`, then restart the emulator.")
    if sys.platform == "darwin":
        return (f"{isolated} macOS has no bubblewrap (it is a Linux tool): run only functions you trust, as "
                "with any program you start yourself.")
    if os.name == "nt":
        return (f"{isolated} Windows has no bubblewrap (it is a Linux tool): run only functions you trust, or "
                "run the kit in WSL2 (Ubuntu), where `sudo apt install bubblewrap` gives each function a sandbox.")
    return f"{isolated} Install bubblewrap (bwrap) with your system's package manager, then restart the emulator."


def command(argv: list[str], *, code_dir: Path, opt_dir: Path | None, tmp_dir: Path, tmp_bytes: int,
            read_only: list[Path], env: dict[str, str]) -> tuple[list[str], dict[str, str], str]:
    """The command, environment and working directory that start ``argv`` as Lambda would.

    Returns paths as the function sees them: ``/var/task`` inside the sandbox, the real folder without.
    """
    bwrap = bubblewrap()
    if bwrap is None:
        env = dict(env, LAMBDA_TASK_ROOT=str(code_dir), TMPDIR=str(tmp_dir))
        return argv, env, str(code_dir)
    # --die-with-parent: environments are started from one long-lived thread (environments._Spawner).
    args = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--new-session",
            "--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    for path in _SYSTEM_READ_ONLY:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    for path in _USR_MERGED:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in read_only:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--ro-bind", str(code_dir), TASK_ROOT]
    if opt_dir is not None:
        args += ["--ro-bind", str(opt_dir), OPT]
    args += ["--chdir", TASK_ROOT, "--"]
    env = dict(env, LAMBDA_TASK_ROOT=TASK_ROOT, TMPDIR="/tmp")
    return args + argv, env, str(code_dir)


def tmp_usage(tmp_dir: Path) -> int:
    """Bytes under an unsandboxed environment's /tmp (a sandboxed one has a tmpfs with a hard cap)."""
    total = 0
    for root, _dirs, files in os.walk(tmp_dir):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
