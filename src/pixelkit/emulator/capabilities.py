"""What this computer offers the emulator's execution environments, each found by trying it.

AWS behaviour followed: none of its own. Lambda runs every function on Amazon Linux, where the
kernel kills a runtime with its parent, AWS's runtime interface client has its compiled HTTP
client and the sandbox is Firecracker's. A learner's computer may be a Mac, Windows or a Linux
without bubblewrap, so each of those is a *capability* the emulator detects here (by trying it, or
by inspecting what the library or the C library offers, never by the OS's name alone) and falls
back from when it is absent.

``PIXELKIT_WITHOUT`` (a comma-separated list) makes the emulator treat capabilities as absent, so
that every fallback runs on Linux too (``.ci/run`` and the tests use it):

- ``pdeathsig``: ``prctl(PR_SET_PDEATHSIG)``, the kernel killing an environment with the emulator;
- ``native-runtime-client``: awslambdaric's compiled ``runtime_client`` module;
- ``sandbox``: bubblewrap;
- ``fd-passing``: handing the runtime a file descriptor (``pass_fds``) for its telemetry log;
- ``process-groups``: a session of its own per environment, killed at once (``killpg``);
- ``select-pipes``: waiting on pipes with ``select``;
- ``pythonX.Y`` (e.g. ``python3.13``): an interpreter of that version is treated as not found.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import selectors
import subprocess
import sys

logger = logging.getLogger("pixelkit.emulator")

SWITCH = "PIXELKIT_WITHOUT"
KNOWN = ("pdeathsig", "native-runtime-client", "sandbox", "fd-passing", "process-groups", "select-pipes")
_PYTHON = re.compile(r"^python(3)\.(\d+)$")
_warned: set[str] = set()


def switched_off() -> set[str]:
    """The capabilities ``PIXELKIT_WITHOUT`` names (read each time: tests and ``.ci/run`` set it per process)."""
    names = {part.strip().lower() for part in os.environ.get(SWITCH, "").split(",") if part.strip()}
    unknown = sorted(n for n in names if n not in KNOWN and not _PYTHON.match(n) and n not in _warned)
    if unknown:
        _warned.update(unknown)
        logger.warning("%s names %s, which the emulator does not know; it knows %s and pythonX.Y.", SWITCH,
                       ", ".join(unknown), ", ".join(KNOWN))
    return names


def without(name: str) -> bool:
    return name in switched_off()


def python_hidden(version: tuple[int, int]) -> bool:
    """Whether ``PIXELKIT_WITHOUT`` hides interpreters of this version (``python3.13``)."""
    return f"python{version[0]}.{version[1]}" in switched_off()


# Detection: each is tried once per emulator, then the switch is applied on every question. ------------

@functools.cache
def _prctl_works() -> bool:
    """The C library has prctl and the kernel answers PR_GET_PDEATHSIG (Linux); a Mac's libc has no prctl."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
        signal_number = ctypes.c_int(0)
        return prctl(2, ctypes.byref(signal_number), 0, 0, 0) == 0  # PR_GET_PDEATHSIG
    except Exception:  # no ctypes, no CDLL(None) (Windows), no prctl symbol (macOS)
        return False


def pdeathsig() -> bool:
    return not without("pdeathsig") and _prctl_works()


@functools.cache
def _fd_passing_works() -> bool:
    """A child started with ``pass_fds`` can write to that descriptor (not on Windows)."""
    read_fd, write_fd = os.pipe()
    try:
        done = subprocess.run([sys.executable, "-c", "import os, sys; os.write(int(sys.argv[1]), b'ok')", str(write_fd)],
                              pass_fds=(write_fd,), capture_output=True, timeout=30)
        os.close(write_fd)
        write_fd = -1
        return done.returncode == 0 and os.read(read_fd, 2) == b"ok"
    except Exception:  # ValueError/AssertionError where pass_fds is unsupported
        return False
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def fd_passing() -> bool:
    return not without("fd-passing") and _fd_passing_works()


def process_groups() -> bool:
    """A new session per environment (``start_new_session``) and ``killpg`` to end all of it at once."""
    return not without("process-groups") and hasattr(os, "killpg") and hasattr(os, "setsid")


@functools.cache
def _select_on_pipes_works() -> bool:
    read_fd, write_fd = os.pipe()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(read_fd, selectors.EVENT_READ)
        return True
    except (OSError, ValueError):  # Windows: select() takes sockets only
        return False
    finally:
        os.close(read_fd)
        os.close(write_fd)


def select_pipes() -> bool:
    return not without("select-pipes") and _select_on_pipes_works()


def native_runtime_client(python: str) -> bool:
    """Whether the runtime environment's interpreter imports awslambdaric's compiled ``runtime_client``."""
    return not without("native-runtime-client") and _imports_runtime_client(python)


@functools.cache
def _imports_runtime_client(python: str) -> bool:
    try:
        done = subprocess.run([python, "-c", "import runtime_client"], capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def summary() -> dict[str, bool]:
    """Every capability as the emulator sees it now (for ``pixelkit runtimes list`` and bug reports)."""
    return {"pdeathsig": pdeathsig(), "fd-passing": fd_passing(), "process-groups": process_groups(),
            "select-pipes": select_pipes()}
