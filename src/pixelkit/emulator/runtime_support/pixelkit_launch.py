"""Starts AWS's runtime interface client in an execution environment, as ``python -m awslambdaric``.

AWS behaviour followed (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html and
awslambdaric's ``__main__``): the runtime is awslambdaric's bootstrap, run with the handler as its
one argument; it resolves the handler, shapes errors and formats the log. This launcher adds only
what the learner's computer may lack, each asked for by the emulator in a variable it then removes
(the function sees none of them):

- ``_PIXELKIT_PARENT_WATCH=stdin``: where the kernel cannot kill this process with the emulator
  (no ``prctl(PR_SET_PDEATHSIG)``: macOS, Windows), standard input is a pipe from the emulator; its
  end of file means the emulator is gone, and the environment (its whole session, where there is
  one) ends at once. The function's own standard input is the null device, as on Lambda. Without
  sessions (Windows), a job object ends what the function started when this process ends.
- ``_PIXELKIT_RUNTIME_CLIENT=pure``: awslambdaric's compiled ``runtime_client`` is not importable
  (pip builds it on Linux only), so ``pixelkit_runtime_client`` takes its name; everything else is
  awslambdaric's own.
"""

import os
import runpy
import sys
import threading


def _end_with_parent(fd: int) -> None:
    """Block on the emulator's pipe; at its end of file, end this environment and what it started."""
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():  # a session of its own: take its children too
        try:
            os.killpg(os.getpgrp(), 9)
        except OSError:
            pass
    os._exit(137)


def _children_die_with_this_process() -> bool:
    """Windows: put this process in a job that kills every process in it when its last handle closes.

    Where there is no ``killpg`` (Windows), ``_end_with_parent`` would end the runtime alone and leave
    what the function started running. The processes the function starts join this job as they are
    created; when this process ends, its handle to the job closes and Windows ends them all. Best
    effort: False where the Windows API is absent or refuses (the runtime then runs as before).
    """
    try:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    except (ImportError, AttributeError, OSError):  # not Windows
        return False
    try:
        class BasicLimits(ctypes.Structure):
            _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                        ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                        ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                        ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                        ("SchedulingClass", wintypes.DWORD)]

        class ExtendedLimits(ctypes.Structure):
            _fields_ = [("BasicLimitInformation", BasicLimits), ("IoInfo", ctypes.c_ulonglong * 6),
                        ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                        ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        kernel32.CreateJobObjectW.argtypes = (ctypes.c_void_p, wintypes.LPCWSTR)
        kernel32.SetInformationJobObject.argtypes = (wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD)
        kernel32.GetCurrentProcess.restype = wintypes.HANDLE
        kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
        job = kernel32.CreateJobObjectW(None, None)  # not inheritable: only this process holds it
        if not job:
            return False
        limits = ExtendedLimits()
        limits.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        if not kernel32.SetInformationJobObject(job, 9, ctypes.byref(limits), ctypes.sizeof(limits)):  # extended
            return False
        return bool(kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess()))
    except Exception:  # a refusal must never stop the function from running
        return False


def _lambda_stdio() -> None:
    """Standard output and error as Lambda's: UTF-8 (its LANG is en_US.UTF-8) and lines ending in "\\n".

    Windows' Python writes a pipe in the ANSI code page (cp1252: a function's ``print("✓")`` raises
    UnicodeEncodeError) and turns each "\\n" into "\\r\\n"; elsewhere this changes nothing. A
    ``PYTHONIOENCODING`` the function sets itself is kept, as Lambda keeps it.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        if "PYTHONIOENCODING" in os.environ:
            stream.reconfigure(newline="\n")
        else:
            stream.reconfigure(encoding="utf-8", newline="\n")


def main() -> None:
    if os.environ.pop("_PIXELKIT_PARENT_WATCH", None) == "stdin":
        watched = os.dup(0)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        threading.Thread(target=_end_with_parent, args=(watched,), daemon=True, name="emulator-watch").start()
        if not hasattr(os, "killpg"):
            _children_die_with_this_process()
    _lambda_stdio()
    if os.environ.pop("_PIXELKIT_RUNTIME_CLIENT", None) == "pure":
        import pixelkit_runtime_client  # beside this file, which is sys.path[0] now

        sys.modules["runtime_client"] = pixelkit_runtime_client
    sys.path[0] = os.getcwd()  # as `python -m awslambdaric` has it: the task root first, not this folder
    sys.argv = ["awslambdaric", *sys.argv[1:]]
    runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
