"""The execution environment's sandbox: what a function may see of the learner's computer.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
and https://docs.aws.amazon.com/lambda/latest/dg/configuration-environment-variables.html): the
function's code is read-only at ``/var/task`` (``LAMBDA_TASK_ROOT``), layers are under ``/opt``,
``/tmp`` is the only writable place and holds ``EphemeralStorage`` (512 MB by default), and the
environment holds Lambda's variables and the function's own, nothing else.

Where bubblewrap (``bwrap``) is installed, each environment runs in one: a private ``/tmp`` capped
at the function's ephemeral storage, its own process namespace (it cannot see the emulator or any
other process), and of this computer's files only the system's libraries and the runtime's Python,
read-only. Without bwrap the function runs as an ordinary process of the learner, which the
emulator's console says once.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from pathlib import Path

logger = logging.getLogger("pixelkit.emulator")

TASK_ROOT = "/var/task"
OPT = "/opt"
# What a program needs of the system to run: libraries, certificates, name resolution.
_SYSTEM_READ_ONLY = ["/usr", "/etc/ssl", "/etc/ca-certificates", "/etc/hosts", "/etc/resolv.conf",
                     "/etc/nsswitch.conf", "/etc/localtime", "/etc/ld.so.cache"]
_USR_MERGED = ["/lib", "/lib64", "/bin", "/sbin"]


@functools.cache
def bubblewrap() -> str | None:
    """The bwrap binary, if it is installed and user namespaces work here; else None (said once)."""
    if os.environ.get("PIXELKIT_SANDBOX", "").lower() in ("0", "off", "no"):
        logger.warning("Functions run unsandboxed (PIXELKIT_SANDBOX=%s).", os.environ["PIXELKIT_SANDBOX"])
        return None
    path = shutil.which("bwrap")
    if path:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent", "true"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            return path
        logger.warning("bubblewrap is installed but cannot make a sandbox here (%s); functions run unsandboxed: "
                       "they can read your files.", probe.stderr.strip() or probe.returncode)
        return None
    logger.warning("Functions run unsandboxed: they can read and write your files. Install bubblewrap "
                   "(Debian/Ubuntu: `sudo apt install bubblewrap`) and restart the emulator to give each "
                   "function a private /tmp and no view of your home directory or other processes.")
    return None


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
